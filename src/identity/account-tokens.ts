/**
 * The `account_tokens` collection: the secrets of the links a mail carries to prove a mailbox
 * (docs/api.md, "Accounts by mail"): a password reset's and
 * an email verification's. Only this module names the collection.
 *
 * A token is 256 random bits (base64url, with a prefix naming its purpose); only its SHA-256 is
 * stored. It works once (`usedAt`) and until `expiresAt`. It names the user and the address it
 * was sent to, so that a token mailed to an old address never acts on a new one.
 */
import { type Db, ObjectId } from "mongodb";
import { ensureTtlIndex } from "../platform/db.ts";
import { encodeBase64Url, sha256Hex } from "../platform/encoding.ts";
import { isId } from "../platform/ids.ts";
import type { Logger } from "../platform/log.ts";

export const ACCOUNT_TOKEN_PURPOSES = ["password_reset", "email_verification"] as const;
export type AccountTokenPurpose = typeof ACCOUNT_TOKEN_PURPOSES[number];

const PREFIX: Record<AccountTokenPurpose, string> = {
  password_reset: "rst_",
  email_verification: "vfy_",
};

/** Longer than any token this module makes: nothing longer is hashed or looked up. */
const TOKEN_MAX = 100;

interface AccountTokenDoc {
  _id: ObjectId;
  purpose: AccountTokenPurpose;
  userId: ObjectId;
  /** The address the link was mailed to. */
  email: string;
  tokenHash: string;
  createdAt: Date;
  expiresAt: Date;
  usedAt: Date | null;
  /** Which use spent it (a random id per use), so that of two concurrent uses one wins. */
  usedBy?: string;
}

export interface AccountToken {
  id: string;
  purpose: AccountTokenPurpose;
  userId: string;
  email: string;
  createdAt: Date;
  expiresAt: Date;
}

const tokens = (db: Db) => db.collection<AccountTokenDoc>("account_tokens");
const toToken = (d: AccountTokenDoc): AccountToken => ({
  id: d._id.toHexString(),
  purpose: d.purpose,
  userId: d.userId.toHexString(),
  email: d.email,
  createdAt: d.createdAt,
  expiresAt: d.expiresAt,
});

export async function ensureAccountTokenIndexes(db: Db, log?: Logger): Promise<void> {
  await tokens(db).createIndex({ tokenHash: 1 }, { unique: true, name: "token_unique" });
  await tokens(db).createIndex({ userId: 1, purpose: 1 }, { name: "user_purpose" });
  await ensureTtlIndex(tokens(db), "expiresAt", log);
}

const live = (now: Date) => ({ usedAt: null, expiresAt: { $gt: now } });

/**
 * A new token for `userId`'s `email`. `spendEarlier`: the user's earlier live tokens of this
 * purpose stop working (a new verification mail replaces the last one).
 */
export async function issueAccountToken(
  db: Db,
  t: { purpose: AccountTokenPurpose; userId: string; email: string },
  now: Date,
  ttlMs: number,
  opts: { spendEarlier?: boolean } = {},
): Promise<{ token: AccountToken; secret: string }> {
  const userId = new ObjectId(t.userId);
  if (opts.spendEarlier) {
    await tokens(db).updateMany(
      { userId, purpose: t.purpose, ...live(now) },
      { $set: { usedAt: now } },
    );
  }
  const secret = PREFIX[t.purpose] + encodeBase64Url(crypto.getRandomValues(new Uint8Array(32)));
  const doc: AccountTokenDoc = {
    _id: new ObjectId(),
    purpose: t.purpose,
    userId,
    email: t.email,
    tokenHash: await sha256Hex(secret),
    createdAt: now,
    expiresAt: new Date(now.getTime() + ttlMs),
    usedAt: null,
  };
  await tokens(db).insertOne(doc);
  return { token: toToken(doc), secret };
}

/** The live token of `purpose` that `secret` names, or null (unknown, spent, expired, altered). */
export async function findLiveAccountToken(
  db: Db,
  purpose: AccountTokenPurpose,
  secret: string,
  now: Date,
): Promise<AccountToken | null> {
  if (secret.length > TOKEN_MAX || !secret.startsWith(PREFIX[purpose])) return null;
  const d = await tokens(db).findOne({ tokenHash: await sha256Hex(secret), purpose, ...live(now) });
  return d ? toToken(d) : null;
}

/**
 * Spend a live token, once: true for exactly one of concurrent uses. The use's mark is read
 * back, so that even where a conditional update is not atomic (FerretDB lets two match), only
 * the use whose mark stayed counts.
 */
export async function spendAccountToken(db: Db, id: string, now: Date): Promise<boolean> {
  if (!isId(id)) return false;
  const mark = crypto.randomUUID();
  const _id = new ObjectId(id);
  const r = await tokens(db).updateOne(
    { _id, ...live(now) },
    { $set: { usedAt: now, usedBy: mark } },
  );
  if (r.modifiedCount !== 1) return false;
  return (await tokens(db).countDocuments({ _id, usedBy: mark })) === 1;
}

/** Spend every live token of `purpose` of the user (a reset spends the other resets). */
export async function spendUserAccountTokens(
  db: Db,
  userId: string,
  purpose: AccountTokenPurpose,
  now: Date,
): Promise<number> {
  const r = await tokens(db).updateMany(
    { userId: new ObjectId(userId), purpose, ...live(now) },
    { $set: { usedAt: now } },
  );
  return r.modifiedCount;
}

export async function deleteExpiredAccountTokens(db: Db, now: Date): Promise<number> {
  return (await tokens(db).deleteMany({ expiresAt: { $lte: now } })).deletedCount;
}
