/**
 * The `sessions` collection: one session per sign-in, holding the hash of its current refresh
 * token; `spent_refresh_tokens` holds the hashes of spent ones (refresh token rotation with
 * reuse detection, OAuth 2.0 Security BCP). A refresh token is `<sessionId>.<secret>`; only
 * sha256(secret) is stored.
 */
import { type Db, ObjectId } from "mongodb";
import { ensureTtlIndex, isDuplicateKey } from "../db.ts";
import type { Logger } from "../log.ts";
import { encodeBase64Url, sha256Hex as sha256 } from "./encoding.ts";

interface SessionDoc {
  _id: ObjectId;
  userId: ObjectId;
  orgId: ObjectId;
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
  orgId: string;
  expiresAt: Date;
  revokedAt: Date | null;
}

const sessions = (db: Db) => db.collection<SessionDoc>("sessions");

const toSession = (d: SessionDoc): Session => ({
  id: d._id.toHexString(),
  userId: d.userId.toHexString(),
  orgId: d.orgId.toHexString(),
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
  s: { userId: string; orgId: string },
  now: Date,
  ttlMs: number,
): Promise<{ session: Session; refreshToken: string }> {
  const secret = newSecret();
  const doc: SessionDoc = {
    _id: new ObjectId(),
    userId: new ObjectId(s.userId),
    orgId: new ObjectId(s.orgId),
    refreshHash: await sha256(secret),
    createdAt: now,
    lastUsedAt: now,
    expiresAt: new Date(now.getTime() + ttlMs),
    revokedAt: null,
  };
  await sessions(db).insertOne(doc);
  return { session: toSession(doc), refreshToken: `${doc._id.toHexString()}.${secret}` };
}

export async function findSession(db: Db, id: string): Promise<Session | null> {
  if (!/^[0-9a-f]{24}$/.test(id)) return null;
  const d = await sessions(db).findOne({ _id: new ObjectId(id) });
  return d ? toSession(d) : null;
}

export type RotateResult =
  | { kind: "rotated"; session: Session; refreshToken: string }
  | { kind: "reused"; session: Session }
  | { kind: "invalid" };

/** Spend a refresh token and issue the next one. Presenting a spent token revokes the session. */
export async function rotateRefreshToken(
  db: Db,
  token: string,
  now: Date,
): Promise<RotateResult> {
  const m = /^([0-9a-f]{24})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!m) return { kind: "invalid" };
  const [, sid, secret] = m;
  const doc = await sessions(db).findOne({ _id: new ObjectId(sid) });
  if (!doc || doc.revokedAt !== null || doc.expiresAt <= now) return { kind: "invalid" };
  const hash = await sha256(secret);
  if (doc.refreshHash !== hash) {
    if (!await spentTokens(db).findOne({ _id: hash, sessionId: doc._id })) {
      return { kind: "invalid" };
    }
    await revokeSession(db, sid, "refresh_reused", now);
    return { kind: "reused", session: toSession(doc) };
  }
  try {
    await spentTokens(db).insertOne({ _id: hash, sessionId: doc._id, expiresAt: doc.expiresAt });
  } catch (e) {
    if (!isDuplicateKey(e)) throw e;
    // Spent concurrently. Mark it reused first: the winner checks for it after its own session
    // write below.
    await spentTokens(db).updateOne({ _id: hash }, { $set: { reusedAt: now } });
    await revokeSession(db, sid, "refresh_reused", now);
    return { kind: "reused", session: toSession(doc) };
  }
  const next = newSecret();
  // The spent-token insert above picked this request as the one winner; the filter keeps a
  // session revoked meanwhile revoked.
  const updated = await sessions(db).findOneAndUpdate(
    { _id: doc._id, refreshHash: hash, revokedAt: null },
    { $set: { refreshHash: await sha256(next), lastUsedAt: now } },
    { returnDocument: "after" },
  );
  if (!updated || (await spentTokens(db).findOne({ _id: hash }))?.reusedAt) {
    await revokeSession(db, sid, "refresh_reused", now);
    return { kind: "reused", session: toSession(doc) };
  }
  return { kind: "rotated", session: toSession(updated), refreshToken: `${sid}.${next}` };
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
