/**
 * The `sessions` collection: one session per sign-in, holding the hash of its current refresh
 * token; `spent_refresh_tokens` holds the hashes of spent ones (refresh token rotation with
 * reuse detection, OAuth 2.0 Security BCP). A refresh token is `<sessionId>.<secret>`; only
 * sha256(secret) is stored.
 */
import { type Db, ObjectId, ReadPreference } from "mongodb";
import { sleep } from "../platform/async.ts";
import { ID_SOURCE, isId } from "../platform/ids.ts";
import { ensureTtlIndex, isDuplicateKey } from "../platform/db.ts";
import type { Logger } from "../platform/log.ts";
import { encodeBase64Url, sha256Hex } from "../platform/encoding.ts";

interface SessionDoc {
  _id: ObjectId;
  userId: ObjectId;
  /** Null for an operator's session outside any org. */
  orgId: ObjectId | null;
  refreshHash: string;
  createdAt: Date;
  lastUsedAt: Date;
  expiresAt: Date;
  revokedAt: Date | null;
  revokedReason?: string;
}

export interface Session {
  id: string;
  userId: string;
  /** Null for an operator's session outside any org. */
  orgId: string | null;
  expiresAt: Date;
  revokedAt: Date | null;
}

const sessions = (db: Db) => db.collection<SessionDoc>("sessions");

const toSession = (d: SessionDoc): Session => ({
  id: d._id.toHexString(),
  userId: d.userId.toHexString(),
  orgId: d.orgId ? d.orgId.toHexString() : null,
  expiresAt: d.expiresAt,
  revokedAt: d.revokedAt,
});

/**
 * One document per spent refresh token (`_id`: its hash). Inserting it is how a rotation claims
 * the token: a unique-key insert has exactly one winner on every server, and the document stays
 * to recognise the token when it is presented again.
 */
interface SpentDoc {
  _id: string;
  sessionId: ObjectId;
  expiresAt: Date;
  /** When the rotation that holds the claim began (absent on claims older than this field). */
  claimedAt?: Date;
  /** The rotation that held the claim failed before moving the session on. */
  abandonedAt?: Date;
  /** Presented again while it was being spent. */
  reusedAt?: Date;
}
const spentTokens = (db: Db) => db.collection<SpentDoc>("spent_refresh_tokens");

export async function ensureSessionIndexes(db: Db, log?: Logger): Promise<void> {
  await sessions(db).createIndex({ userId: 1 }, { name: "user" });
  await sessions(db).createIndex({ orgId: 1 }, { name: "org" });
  await ensureTtlIndex(sessions(db), "expiresAt", log);
  await ensureTtlIndex(spentTokens(db), "expiresAt", log);
}

export const isLive = (s: Session, now: Date) => s.revokedAt === null && s.expiresAt > now;

const newSecret = () => encodeBase64Url(crypto.getRandomValues(new Uint8Array(32)));

export async function createSession(
  db: Db,
  s: { userId: string; orgId: string | null },
  now: Date,
  ttlMs: number,
): Promise<{ session: Session; refreshToken: string }> {
  const secret = newSecret();
  const doc: SessionDoc = {
    _id: new ObjectId(),
    userId: new ObjectId(s.userId),
    orgId: s.orgId === null ? null : new ObjectId(s.orgId),
    refreshHash: await sha256Hex(secret),
    createdAt: now,
    lastUsedAt: now,
    expiresAt: new Date(now.getTime() + ttlMs),
    revokedAt: null,
  };
  await sessions(db).insertOne(doc);
  return { session: toSession(doc), refreshToken: `${doc._id.toHexString()}.${secret}` };
}

export async function findSession(db: Db, id: string): Promise<Session | null> {
  if (!isId(id)) return null;
  const d = await sessions(db).findOne({ _id: new ObjectId(id) });
  return d ? toSession(d) : null;
}

export type RotateResult<T> =
  | { kind: "rotated"; session: Session; refreshToken: string; grant: T }
  | { kind: "reused"; session: Session }
  | { kind: "invalid" };

export interface RotateSteps<T> {
  /**
   * Run once the token is known to be the session's current one, before it is spent: what the
   * new pair grants (the org and role). A refusal, or a database error, here leaves it usable.
   */
  check(session: Session): Promise<T>;
  /**
   * How long a rotation may hold its claim before it counts as abandoned (its request failed
   * without saying so): longer than one database write can take.
   */
  claimTtlMs: number;
  /** A test hook, awaited after the claim and before the session is rotated. */
  afterClaim?(): Promise<void> | void;
}

/**
 * Spend a refresh token and issue the next one. Presenting a spent token revokes the session.
 *
 * A rotation first claims the token (inserting its spent-token document: one winner on every
 * server), then moves the session to the next token's hash, its commit. Nothing after the
 * commit touches the database, and a rotation that fails before it marks its claim abandoned
 * (or, when the database cannot be reached, lets it age past `claimTtlMs`), so a database error
 * part-way leaves the token current and the session intact: the retry takes the claim over.
 * A request that finds the token claimed by a rotation still under way waits for it: once the
 * session has moved on, the token was spent, and presenting it was a replay.
 */
/** `<session id>.<43 base64url characters>` */
const REFRESH_TOKEN = new RegExp(`^(${ID_SOURCE})\\.([A-Za-z0-9_-]{43})$`);

export async function rotateRefreshToken<T>(
  db: Db,
  token: string,
  now: Date,
  steps: RotateSteps<T>,
): Promise<RotateResult<T>> {
  const m = REFRESH_TOKEN.exec(token);
  if (!m) return { kind: "invalid" };
  const [, sid, secret] = m;
  const doc = await sessions(db).findOne({ _id: new ObjectId(sid) });
  if (!doc || doc.revokedAt !== null || doc.expiresAt <= now) return { kind: "invalid" };
  const hash = await sha256Hex(secret);
  const replay = async () => {
    await spentTokens(db).updateOne({ _id: hash }, { $set: { reusedAt: now } });
    await revokeSession(db, sid, "refresh_reused", now);
    return { kind: "reused" as const, session: toSession(doc) };
  };
  if (doc.refreshHash !== hash) {
    if (!await spentTokens(db).findOne({ _id: hash, sessionId: doc._id })) {
      return { kind: "invalid" };
    }
    return await replay();
  }
  const grant = await steps.check(toSession(doc));

  const claim: SpentDoc = {
    _id: hash,
    sessionId: doc._id,
    expiresAt: doc.expiresAt,
    claimedAt: now,
  };
  const started = Date.now();
  for (let pause = 10;; pause = Math.min(pause * 2, 200)) {
    try {
      await spentTokens(db).insertOne(claim);
      break;
    } catch (e) {
      if (!isDuplicateKey(e)) throw e;
    }
    const held = await spentTokens(db).findOne({ _id: hash });
    if (!held) continue; // released by a takeover between the two reads: claim again
    if (held.reusedAt) return await replay();
    const current = await sessions(db).findOne({ _id: doc._id });
    if (!current || current.revokedAt !== null || current.refreshHash !== hash) {
      return await replay(); // the holder spent it: this presentation came too late
    }
    const age = now.getTime() + (Date.now() - started) - (held.claimedAt?.getTime() ?? 0);
    if (held.claimedAt && (held.abandonedAt || age >= steps.claimTtlMs)) {
      // Abandoned before its commit: release it, then claim it like any other rotation.
      await spentTokens(db).deleteOne({ _id: hash, claimedAt: held.claimedAt });
      continue;
    }
    if (!held.claimedAt) return await replay(); // a claim from before claims carried a time
    await sleep(pause); // a rotation under way: see how it ends
  }

  const next = newSecret();
  try {
    await steps.afterClaim?.();
    // The commit. This request holds the claim, so no other rotation writes the session now.
    const updated = await sessions(db).findOneAndUpdate(
      { _id: doc._id, refreshHash: hash, revokedAt: null },
      { $set: { refreshHash: await sha256Hex(next), lastUsedAt: now } },
      { returnDocument: "after" },
    );
    if (!updated) return { kind: "invalid" }; // revoked meanwhile (a logout, say)
    return { kind: "rotated", session: toSession(updated), refreshToken: `${sid}.${next}`, grant };
  } catch (e) {
    // Best effort: when the database still answers, a retry may take the claim over at once.
    await spentTokens(db).updateOne(
      { _id: hash, claimedAt: now },
      { $set: { abandonedAt: new Date() } },
    ).catch(() => {});
    throw e;
  }
}

export async function revokeSession(db: Db, id: string, reason: string, now: Date) {
  const r = await sessions(db).updateOne(
    { _id: new ObjectId(id), revokedAt: null },
    { $set: { revokedAt: now, revokedReason: reason } },
  );
  return r.modifiedCount === 1;
}

/** Revoke every live session of a user, except `keep`; returns the ids revoked. */
export async function revokeUserSessions(
  db: Db,
  userId: string,
  reason: string,
  now: Date,
  keep?: string,
): Promise<void> {
  await sessions(db).updateMany(
    {
      userId: new ObjectId(userId),
      revokedAt: null,
      ...(keep ? { _id: { $ne: new ObjectId(keep) } } : {}),
    },
    { $set: { revokedAt: now, revokedReason: reason } },
  );
}

export async function deleteOrgSessions(db: Db, orgId: string): Promise<void> {
  await sessions(db).deleteMany({ orgId: new ObjectId(orgId) });
}

/** Remove expired sessions (the sweeper; a TTL index does the same where supported). */
export async function deleteExpiredSessions(db: Db, now: Date): Promise<number> {
  await spentTokens(db).deleteMany({ expiresAt: { $lte: now } });
  return (await sessions(db).deleteMany({ expiresAt: { $lte: now } })).deletedCount;
}

/** Revoke a user's live sessions in one org (removed from it). */
export async function revokeMemberSessions(
  db: Db,
  userId: string,
  orgId: string,
  reason: string,
  now: Date,
): Promise<void> {
  await sessions(db).updateMany(
    { userId: new ObjectId(userId), orgId: new ObjectId(orgId), revokedAt: null },
    { $set: { revokedAt: now, revokedReason: reason } },
  );
}

/** Ids of the orgs that have sessions (to find those of orgs that are gone); from the primary. */
export async function orgIdsOfSessions(db: Db): Promise<string[]> {
  const ids = await sessions(db).distinct("orgId", {}, { readPreference: ReadPreference.PRIMARY });
  // An operator's session outside any org has no org to be gone.
  return ids.flatMap((id) => id ? [id.toHexString()] : []);
}
