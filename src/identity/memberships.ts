/** The `memberships` collection: which user belongs to which org, with which role. */
import { type Db, ObjectId, ReadPreference } from "mongodb";
import { findPage, type Page, type PageRequest } from "../platform/paging.ts";

export const ROLES = ["owner", "admin", "member"] as const;
export type Role = typeof ROLES[number];

interface MembershipDoc {
  _id: ObjectId;
  userId: ObjectId;
  orgId: ObjectId;
  role: Role;
  joinedAt: Date;
}

export interface Membership {
  id: string;
  userId: string;
  orgId: string;
  role: Role;
  joinedAt: Date;
}

const memberships = (db: Db) => db.collection<MembershipDoc>("memberships");
const toMembership = (d: MembershipDoc): Membership => ({
  id: d._id.toHexString(),
  userId: d.userId.toHexString(),
  orgId: d.orgId.toHexString(),
  role: d.role,
  joinedAt: d.joinedAt,
});

export async function ensureMembershipIndexes(db: Db): Promise<void> {
  await memberships(db).createIndex({ userId: 1, orgId: 1 }, { unique: true, name: "user_org" });
  await memberships(db).createIndex({ orgId: 1, _id: 1 }, { name: "org_page" });
}

/** Add a membership; a second one for the same user and org is a duplicate-key error. */
export async function addMembership(
  db: Db,
  m: { userId: string; orgId: string; role: Role },
  now: Date,
): Promise<Membership> {
  const doc: MembershipDoc = {
    _id: new ObjectId(),
    userId: new ObjectId(m.userId),
    orgId: new ObjectId(m.orgId),
    role: m.role,
    joinedAt: now,
  };
  await memberships(db).insertOne(doc);
  return toMembership(doc);
}

export async function findMembership(
  db: Db,
  userId: string,
  orgId: string,
): Promise<Membership | null> {
  const d = await memberships(db).findOne({
    userId: new ObjectId(userId),
    orgId: new ObjectId(orgId),
  });
  return d ? toMembership(d) : null;
}

/** A user's memberships, oldest first. */
export async function membershipsOfUser(db: Db, userId: string): Promise<Membership[]> {
  const docs = await memberships(db).find({ userId: new ObjectId(userId) }).sort({ joinedAt: 1 })
    .toArray();
  return docs.map(toMembership);
}

export async function countMembers(db: Db, orgId: string, role?: Role): Promise<number> {
  return await memberships(db).countDocuments({
    orgId: new ObjectId(orgId),
    ...(role ? { role } : {}),
  });
}

/** Members per org, for a page of orgs at once (orgs with none are absent). */
export async function countMembersOfOrgs(db: Db, orgIds: string[]): Promise<Map<string, number>> {
  if (!orgIds.length) return new Map();
  const rows = await memberships(db).aggregate<{ _id: ObjectId; n: number }>([
    { $match: { orgId: { $in: orgIds.map((id) => new ObjectId(id)) } } },
    { $group: { _id: "$orgId", n: { $sum: 1 } } },
  ]).toArray();
  return new Map(rows.map((r) => [r._id.toHexString(), r.n]));
}

export async function hasMemberships(db: Db, userId: string): Promise<boolean> {
  return (await memberships(db).countDocuments({ userId: new ObjectId(userId) }, { limit: 1 })) > 0;
}

/** One page of an org's members in join order (`secret` signs the cursor). */
export async function membersPage(
  db: Db,
  orgId: string,
  page: PageRequest,
  secret: string,
): Promise<Page<Membership>> {
  const opts = { sort: [], scope: `members:${orgId}`, secret };
  return await findPage(memberships(db), opts, { orgId: new ObjectId(orgId) }, page, toMembership);
}

/** Change a role only if it is still `from` (so two concurrent changes cannot both pass a check). */
export async function setRole(
  db: Db,
  userId: string,
  orgId: string,
  from: Role,
  to: Role,
): Promise<Membership | null> {
  const d = await memberships(db).findOneAndUpdate(
    { userId: new ObjectId(userId), orgId: new ObjectId(orgId), role: from },
    { $set: { role: to } },
    { returnDocument: "after" },
  );
  return d ? toMembership(d) : null;
}

export async function removeMembership(db: Db, userId: string, orgId: string): Promise<boolean> {
  const r = await memberships(db).deleteOne({
    userId: new ObjectId(userId),
    orgId: new ObjectId(orgId),
  });
  return r.deletedCount === 1;
}

export async function removeOrgMemberships(db: Db, orgId: string): Promise<void> {
  await memberships(db).deleteMany({ orgId: new ObjectId(orgId) });
}

/** Ids of the orgs that have memberships (to find those of orgs that are gone); from the primary. */
export async function orgIdsOfMemberships(db: Db): Promise<string[]> {
  const ids = await memberships(db).distinct("orgId", {}, {
    readPreference: ReadPreference.PRIMARY,
  });
  return ids.map((id) => id.toHexString());
}
