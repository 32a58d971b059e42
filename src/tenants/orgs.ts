/**
 * The `orgs` collection of the master database. Only this module queries it.
 */
import { type Db, ObjectId } from "mongodb";
import type { DataQuotas } from "../config.ts";

export type OrgStatus = "provisioning" | "active" | "suspended" | "deleting";

export interface OrgDoc {
  _id: ObjectId;
  slug: string;
  name: string;
  status: OrgStatus;
  cluster: string;
  databaseName: string;
  schemaVersion: number;
  /** The user who created the org (the compatibility routes' `admin_id`). */
  ownerId: ObjectId;
  /** Set while provisioning: what a rollback must undo. */
  provisioning?: { userCreated: boolean };
  /** This org's own quotas of its database, where an operator set them. */
  quotas?: Partial<DataQuotas>;
  createdAt: Date;
  updatedAt: Date;
}

/** An org as the rest of the code sees it: string ids, no driver types. */
export interface Org {
  id: string;
  slug: string;
  name: string;
  status: OrgStatus;
  cluster: string;
  databaseName: string;
  schemaVersion: number;
  ownerId: string;
  userCreated: boolean;
  quotas?: Partial<DataQuotas>;
  createdAt: Date;
  updatedAt: Date;
}

const orgs = (db: Db) => db.collection<OrgDoc>("orgs");

export function toOrg(d: OrgDoc): Org {
  return {
    id: d._id.toHexString(),
    slug: d.slug,
    name: d.name,
    status: d.status,
    cluster: d.cluster,
    databaseName: d.databaseName,
    schemaVersion: d.schemaVersion,
    ownerId: d.ownerId.toHexString(),
    userCreated: d.provisioning?.userCreated ?? false,
    ...(d.quotas ? { quotas: d.quotas } : {}),
    createdAt: d.createdAt,
    updatedAt: d.updatedAt,
  };
}

export async function ensureOrgIndexes(db: Db): Promise<void> {
  await orgs(db).createIndex({ slug: 1 }, { unique: true, name: "slug_unique" });
  await orgs(db).createIndex({ status: 1, updatedAt: 1 }, { name: "status_updated" });
}

/** Insert a new org in `provisioning`; the unique slug index makes this the name claim. */
export async function insertOrg(db: Db, doc: OrgDoc): Promise<void> {
  await orgs(db).insertOne(doc);
}

export const isObjectId = (id: string) => /^[0-9a-f]{24}$/i.test(id);

export async function findOrgById(db: Db, id: string): Promise<Org | null> {
  if (!isObjectId(id)) return null;
  const d = await orgs(db).findOne({ _id: new ObjectId(id) });
  return d ? toOrg(d) : null;
}

export async function findOrgBySlug(db: Db, slug: string): Promise<Org | null> {
  const d = await orgs(db).findOne({ slug });
  return d ? toOrg(d) : null;
}

export async function findOrgsByIds(db: Db, ids: string[]): Promise<Org[]> {
  const docs = await orgs(db).find({
    _id: { $in: ids.filter(isObjectId).map((i) => new ObjectId(i)) },
  })
    .toArray();
  return docs.map(toOrg);
}

/**
 * Move an org from one of `from` to `to`; returns the updated org, or null when the org was
 * not in one of those states (someone else moved it first).
 */
export async function transitionOrg(
  db: Db,
  id: string,
  from: OrgStatus[],
  to: OrgStatus,
  now: Date,
  extra: { schemaVersion?: number } = {},
): Promise<Org | null> {
  const d = await orgs(db).findOneAndUpdate(
    { _id: new ObjectId(id), status: { $in: from } },
    {
      $set: { status: to, updatedAt: now, ...extra },
      ...(to === "active" ? { $unset: { provisioning: "" as const } } : {}),
    },
    { returnDocument: "after" },
  );
  return d ? toOrg(d) : null;
}

/**
 * Make a provisioning org `active`, by id alone: for the creator once the outcome is decided
 * (src/tenants/outcomes.ts), when nothing else may write the org (a rollback cannot proceed,
 * and deletion and rename need an active org). A filter of `_id` alone is an index lookup
 * everywhere, and the only filter FerretDB's SQLite backend hands to SQLite.
 */
export async function activateOrg(
  db: Db,
  id: string,
  now: Date,
  schemaVersion: number,
): Promise<Org | null> {
  const d = await orgs(db).findOneAndUpdate(
    { _id: new ObjectId(id) },
    { $set: { status: "active", updatedAt: now, schemaVersion }, $unset: { provisioning: "" } },
    { returnDocument: "after" },
  );
  return d ? toOrg(d) : null;
}

/** Rename: name and slug change in one update. Throws the driver's duplicate-key error on a clash. */
export async function renameOrg(
  db: Db,
  id: string,
  name: string,
  slug: string,
  now: Date,
): Promise<Org | null> {
  const d = await orgs(db).findOneAndUpdate(
    { _id: new ObjectId(id), status: { $in: ["active", "suspended"] } },
    { $set: { name, slug, updatedAt: now } },
    { returnDocument: "after" },
  );
  return d ? toOrg(d) : null;
}

export async function deleteOrgDoc(db: Db, id: string, status: OrgStatus): Promise<void> {
  await orgs(db).deleteOne({ _id: new ObjectId(id), status });
}

/** Orgs in `status` last touched before `before` (the reconciler's work list). */
export async function findStuckOrgs(db: Db, status: OrgStatus, before: Date): Promise<Org[]> {
  const docs = await orgs(db).find({ status, updatedAt: { $lte: before } }).limit(1000).toArray();
  return docs.map(toOrg);
}

/** Ids of every org that has a document, whatever its status (to find orphan databases). */
export async function allOrgIds(db: Db): Promise<Set<string>> {
  const ids = new Set<string>();
  for await (const d of orgs(db).find({}, { projection: { _id: 1 } })) ids.add(d._id.toHexString());
  return ids;
}

/** Provisioning found the owner's email taken concurrently: attach the existing user instead. */
export async function setOrgOwner(db: Db, id: string, userId: string): Promise<void> {
  await orgs(db).updateOne(
    { _id: new ObjectId(id), status: "provisioning" },
    { $set: { ownerId: new ObjectId(userId), "provisioning.userCreated": false } },
  );
}

/** Orgs with a database in use, in id order after `afterId`, at most `limit` (the sweeper's batches). */
export async function activeOrgsAfter(
  db: Db,
  afterId: string | undefined,
  limit: number,
): Promise<Org[]> {
  const docs = await orgs(db)
    .find({
      status: { $in: ["active", "suspended"] },
      ...(afterId ? { _id: { $gt: new ObjectId(afterId) } } : {}),
    })
    .sort({ _id: 1 })
    .limit(limit)
    .toArray();
  return docs.map(toOrg);
}
