/**
 * The `invitations` collection. The token is shown once; only its sha256 is stored. An
 * invitation is pending until accepted, revoked or expired.
 */
import { type Db, ObjectId, ReadPreference } from "mongodb";
import { ensureTtlIndex } from "../db.ts";
import type { Logger } from "../log.ts";
import { encodeBase64Url, sha256Hex } from "./encoding.ts";
import type { Role } from "./memberships.ts";

interface InvitationDoc {
  _id: ObjectId;
  orgId: ObjectId;
  email: string;
  role: Role;
  tokenHash: string;
  invitedBy: ObjectId;
  createdAt: Date;
  expiresAt: Date;
  acceptedAt: Date | null;
  revokedAt: Date | null;
}

export interface Invitation {
  id: string;
  orgId: string;
  email: string;
  role: Role;
  invitedBy: string;
  createdAt: Date;
  expiresAt: Date;
}

const invitations = (db: Db) => db.collection<InvitationDoc>("invitations");
const toInvitation = (d: InvitationDoc): Invitation => ({
  id: d._id.toHexString(),
  orgId: d.orgId.toHexString(),
  email: d.email,
  role: d.role,
  invitedBy: d.invitedBy.toHexString(),
  createdAt: d.createdAt,
  expiresAt: d.expiresAt,
});

export async function ensureInvitationIndexes(db: Db, log?: Logger): Promise<void> {
  await invitations(db).createIndex({ tokenHash: 1 }, { unique: true, name: "token_unique" });
  await invitations(db).createIndex({ orgId: 1, _id: 1 }, { name: "org_page" });
  await ensureTtlIndex(invitations(db), "expiresAt", log);
}

const pending = (now: Date) => ({ acceptedAt: null, revokedAt: null, expiresAt: { $gt: now } });

/** Create an invitation, revoking earlier pending ones for the same email (a re-send). */
export async function createInvitation(
  db: Db,
  inv: { orgId: string; email: string; role: Role; invitedBy: string },
  now: Date,
  ttlMs: number,
): Promise<{ invitation: Invitation; token: string }> {
  const token = `inv_${encodeBase64Url(crypto.getRandomValues(new Uint8Array(32)))}`;
  const orgId = new ObjectId(inv.orgId);
  await invitations(db).updateMany(
    { orgId, email: inv.email, ...pending(now) },
    { $set: { revokedAt: now } },
  );
  const doc: InvitationDoc = {
    _id: new ObjectId(),
    orgId,
    email: inv.email,
    role: inv.role,
    tokenHash: await sha256Hex(token),
    invitedBy: new ObjectId(inv.invitedBy),
    createdAt: now,
    expiresAt: new Date(now.getTime() + ttlMs),
    acceptedAt: null,
    revokedAt: null,
  };
  await invitations(db).insertOne(doc);
  return { invitation: toInvitation(doc), token };
}

/** The pending invitation a token names, or null (unknown, used, revoked or expired). */
export async function findPendingByToken(db: Db, token: string, now: Date) {
  if (token.length > 100) return null;
  const d = await invitations(db).findOne({ tokenHash: await sha256Hex(token), ...pending(now) });
  return d ? toInvitation(d) : null;
}

/** Mark accepted, once: of two concurrent accepts exactly one gets true. */
export async function markAccepted(db: Db, id: string, now: Date): Promise<boolean> {
  const r = await invitations(db).updateOne(
    { _id: new ObjectId(id), ...pending(now) },
    { $set: { acceptedAt: now } },
  );
  return r.modifiedCount === 1;
}

/** Undo `markAccepted` when the membership could not be made. */
export async function unmarkAccepted(db: Db, id: string): Promise<void> {
  await invitations(db).updateOne({ _id: new ObjectId(id) }, { $set: { acceptedAt: null } });
}

export async function revokeInvitation(db: Db, orgId: string, id: string, now: Date) {
  if (!/^[0-9a-f]{24}$/.test(id)) return null;
  const d = await invitations(db).findOneAndUpdate(
    { _id: new ObjectId(id), orgId: new ObjectId(orgId), ...pending(now) },
    { $set: { revokedAt: now } },
    { returnDocument: "after" },
  );
  return d ? toInvitation(d) : null;
}

export async function pendingPage(
  db: Db,
  orgId: string,
  now: Date,
  limit: number,
  after?: string,
): Promise<Invitation[]> {
  const docs = await invitations(db)
    .find({
      orgId: new ObjectId(orgId),
      ...pending(now),
      ...(after ? { _id: { $gt: new ObjectId(after) } } : {}),
    })
    .sort({ _id: 1 })
    .limit(limit)
    .toArray();
  return docs.map(toInvitation);
}

export async function deleteOrgInvitations(db: Db, orgId: string): Promise<void> {
  await invitations(db).deleteMany({ orgId: new ObjectId(orgId) });
}

export async function deleteExpiredInvitations(db: Db, now: Date): Promise<number> {
  return (await invitations(db).deleteMany({ expiresAt: { $lte: now } })).deletedCount;
}

/** Ids of the orgs that have invitations (to find those of orgs that are gone); from the primary. */
export async function orgIdsOfInvitations(db: Db): Promise<string[]> {
  const ids = await invitations(db).distinct("orgId", {}, {
    readPreference: ReadPreference.PRIMARY,
  });
  return ids.map((id) => id.toHexString());
}
