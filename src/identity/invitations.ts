/**
 * The `invitations` collection. An invitation has two tokens: one shown once to the inviter,
 * one mailed to the invitee (docs/api.md, "Accounts by mail"); only their sha256 is stored. Either accepts it,
 * and accepting spends both (they name one document). An invitation is pending until accepted,
 * revoked or expired.
 */
import { type Db, ObjectId, ReadPreference } from "mongodb";
import { isId } from "../platform/ids.ts";
import { ensureTtlIndex } from "../platform/db.ts";
import { findPage, type Page, type PageRequest } from "../platform/paging.ts";
import type { Logger } from "../platform/log.ts";
import { encodeBase64Url, sha256Hex } from "../platform/encoding.ts";
import type { Role } from "./memberships.ts";

interface InvitationDoc {
  _id: ObjectId;
  orgId: ObjectId;
  email: string;
  role: Role;
  tokenHash: string;
  /** The mailed token's hash (absent on invitations made before invitations were mailed). */
  mailTokenHash?: string;
  invitedBy: ObjectId;
  createdAt: Date;
  expiresAt: Date;
  acceptedAt: Date | null;
  /** Which acceptance marked it (a random id per request), so that only it undoes its mark. */
  acceptedBy?: string;
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
  // Not unique: older invitations have none (256 random bits never collide anyway).
  await invitations(db).createIndex({ mailTokenHash: 1 }, { name: "mail_token" });
  await invitations(db).createIndex({ orgId: 1, _id: 1 }, { name: "org_page" });
  await ensureTtlIndex(invitations(db), "expiresAt", log);
}

const pending = (now: Date) => ({ acceptedAt: null, revokedAt: null, expiresAt: { $gt: now } });

const newToken = () => `inv_${encodeBase64Url(crypto.getRandomValues(new Uint8Array(32)))}`;

/**
 * Create an invitation, revoking earlier pending ones for the same email (a re-send). `token`
 * is the inviter's, `mailToken` the one for the invitee's mail.
 */
export async function createInvitation(
  db: Db,
  inv: { orgId: string; email: string; role: Role; invitedBy: string },
  now: Date,
  ttlMs: number,
): Promise<{ invitation: Invitation; token: string; mailToken: string }> {
  const token = newToken();
  const mailToken = newToken();
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
    mailTokenHash: await sha256Hex(mailToken),
    invitedBy: new ObjectId(inv.invitedBy),
    createdAt: now,
    expiresAt: new Date(now.getTime() + ttlMs),
    acceptedAt: null,
    revokedAt: null,
  };
  await invitations(db).insertOne(doc);
  return { invitation: toInvitation(doc), token, mailToken };
}

/**
 * The pending invitation a token names, or null (unknown, used, revoked or expired); `mailed`
 * when the token is the one mailed to the invitee.
 */
export async function findPendingByToken(db: Db, token: string, now: Date) {
  if (token.length > 100) return null;
  const hash = await sha256Hex(token);
  const d = await invitations(db).findOne({
    $or: [{ tokenHash: hash }, { mailTokenHash: hash }],
    ...pending(now),
  });
  return d ? { ...toInvitation(d), mailed: d.mailTokenHash === hash } : null;
}

export async function findInvitationById(db: Db, id: string): Promise<Invitation | null> {
  if (!isId(id)) return null;
  const d = await invitations(db).findOne({ _id: new ObjectId(id) });
  return d ? toInvitation(d) : null;
}

/**
 * Mark accepted, once: of two concurrent accepts exactly one gets its mark back (the other
 * null). The mark names this acceptance, for `unmarkAccepted`.
 */
export async function markAccepted(db: Db, id: string, now: Date): Promise<string | null> {
  const mark = crypto.randomUUID();
  const r = await invitations(db).updateOne(
    { _id: new ObjectId(id), ...pending(now) },
    { $set: { acceptedAt: now, acceptedBy: mark } },
  );
  return r.modifiedCount === 1 ? mark : null;
}

/**
 * Undo `markAccepted` when the membership could not be made, only if the invitation still
 * carries this acceptance's mark. FerretDB's conditional update is not atomic, so two
 * acceptances can both "mark" it, the later write winning; the one whose mark was overwritten
 * must not reopen an invitation the other used.
 */
export async function unmarkAccepted(db: Db, id: string, mark: string): Promise<void> {
  await invitations(db).updateOne(
    { _id: new ObjectId(id), acceptedBy: mark },
    { $set: { acceptedAt: null }, $unset: { acceptedBy: "" } },
  );
}

/** Revoke the pending invitations `invitedBy` made in an org for any of `roles`. */
export async function revokeInvitationsBy(
  db: Db,
  orgId: string,
  invitedBy: string,
  roles: readonly Role[],
  now: Date,
): Promise<number> {
  if (!roles.length) return 0;
  const r = await invitations(db).updateMany(
    {
      orgId: new ObjectId(orgId),
      invitedBy: new ObjectId(invitedBy),
      role: { $in: [...roles] },
      ...pending(now),
    },
    { $set: { revokedAt: now } },
  );
  return r.modifiedCount;
}

export async function revokeInvitation(db: Db, orgId: string, id: string, now: Date) {
  if (!isId(id)) return null;
  const d = await invitations(db).findOneAndUpdate(
    { _id: new ObjectId(id), orgId: new ObjectId(orgId), ...pending(now) },
    { $set: { revokedAt: now } },
    { returnDocument: "after" },
  );
  return d ? toInvitation(d) : null;
}

/** One page of an org's pending invitations, oldest first (`secret` signs the cursor). */
export async function pendingPage(
  db: Db,
  orgId: string,
  now: Date,
  page: PageRequest,
  secret: string,
): Promise<Page<Invitation>> {
  const opts = { sort: [], scope: `invitations:${orgId}`, secret };
  const filter = { orgId: new ObjectId(orgId), ...pending(now) };
  return await findPage(invitations(db), opts, filter, page, toInvitation);
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
