/**
 * The `orgs` collection of the master database. Only this module queries it.
 */
import { type Db, type Filter, ObjectId, ReadPreference, type UpdateFilter } from "mongodb";
import type { DataQuotas } from "../platform/config.ts";

import { isId } from "../platform/ids.ts";
import { type OrgStatus, VISIBLE_STATUSES } from "./org-status.ts";

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
  /** Set while a move job copies the org's database to another cluster (src/ops/move/). */
  move?: { jobId: ObjectId; to: string; since: Date };
  /** Set while writes are refused (503 `org_maintenance`); reads continue. */
  maintenance?: { reason: string; since: Date };
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
  move?: { jobId: string; to: string; since: Date };
  maintenance?: { reason: string; since: Date };
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
    ...(d.move ? { move: { ...d.move, jobId: d.move.jobId.toHexString() } } : {}),
    ...(d.maintenance ? { maintenance: d.maintenance } : {}),
    ...(d.quotas ? { quotas: d.quotas } : {}),
    createdAt: d.createdAt,
    updatedAt: d.updatedAt,
  };
}

export async function ensureOrgIndexes(db: Db): Promise<void> {
  await orgs(db).createIndex({ slug: 1 }, { unique: true, name: "slug_unique" });
  await orgs(db).createIndex({ status: 1, updatedAt: 1 }, { name: "status_updated" });
  await orgs(db).createIndex({ cluster: 1 }, { name: "cluster" });
  await orgs(db).createIndex({ schemaVersion: 1 }, { name: "schema_version" });
}

/** Insert a new org in `provisioning`; the unique slug index makes this the name claim. */
export async function insertOrg(db: Db, doc: OrgDoc): Promise<void> {
  await orgs(db).insertOne(doc);
}

export async function findOrgById(db: Db, id: string): Promise<Org | null> {
  if (!isId(id)) return null;
  const d = await orgs(db).findOne({ _id: new ObjectId(id) });
  return d ? toOrg(d) : null;
}

export async function findOrgBySlug(db: Db, slug: string): Promise<Org | null> {
  const d = await orgs(db).findOne({ slug });
  return d ? toOrg(d) : null;
}

/** Update one org; the org after the update, or null when none matched `filter`. */
async function updateOrg(
  db: Db,
  filter: Filter<OrgDoc>,
  update: UpdateFilter<OrgDoc>,
): Promise<Org | null> {
  const d = await orgs(db).findOneAndUpdate(filter, update, { returnDocument: "after" });
  return d ? toOrg(d) : null;
}

export async function findOrgsByIds(db: Db, ids: string[]): Promise<Org[]> {
  const docs = await orgs(db).find({
    _id: { $in: ids.filter(isId).map((i) => new ObjectId(i)) },
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
  return await updateOrg(db, { _id: new ObjectId(id), status: { $in: from } }, {
    $set: { status: to, updatedAt: now, ...extra },
    ...(to === "active" ? { $unset: { provisioning: "" as const } } : {}),
  });
}

/**
 * Make a provisioning org `active`: for the creator once the outcome is decided
 * (src/tenants/outcomes.ts). Only from `provisioning`: an org a rollback has moved to
 * `deleting` never comes back, whatever the creator decided. Returns null when the org is not
 * (or no longer) provisioning.
 */
export async function activateOrg(
  db: Db,
  id: string,
  now: Date,
  schemaVersion: number,
): Promise<Org | null> {
  return await transitionOrg(db, id, ["provisioning"], "active", now, { schemaVersion });
}

/** Rename: name and slug change in one update. Throws the driver's duplicate-key error on a clash. */
export async function renameOrg(
  db: Db,
  id: string,
  name: string,
  slug: string,
  now: Date,
): Promise<Org | null> {
  return await updateOrg(db, { _id: new ObjectId(id), status: { $in: VISIBLE_STATUSES } }, {
    $set: { name, slug, updatedAt: now },
  });
}

export async function deleteOrgDoc(db: Db, id: string, status: OrgStatus): Promise<void> {
  await orgs(db).deleteOne({ _id: new ObjectId(id), status });
}

/** Orgs in `status` last touched before `before` (the reconciler's work list). */
export async function findStuckOrgs(db: Db, status: OrgStatus, before: Date): Promise<Org[]> {
  const docs = await orgs(db).find({ status, updatedAt: { $lte: before } }).limit(1000).toArray();
  return docs.map(toOrg);
}

/**
 * Ids of every org that has a document, whatever its status (to find orphan databases and
 * references). Read from the primary: a lagging secondary could miss a new org, and what is
 * decided from this is dropped.
 */
export async function allOrgIds(db: Db): Promise<Set<string>> {
  const ids = new Set<string>();
  const found = orgs(db).find({}, {
    projection: { _id: 1 },
    readPreference: ReadPreference.PRIMARY,
  });
  for await (const d of found) ids.add(d._id.toHexString());
  return ids;
}

/** Whether org `id` has a document, whatever its status; read from the primary. */
export async function orgExists(db: Db, id: string): Promise<boolean> {
  if (!isId(id)) return false;
  const d = await orgs(db).findOne({ _id: new ObjectId(id) }, {
    projection: { _id: 1 },
    readPreference: ReadPreference.PRIMARY,
  });
  return d !== null;
}

/** Orgs with a database in use, in id order after `afterId`, at most `limit` (the sweeper's batches). */
export async function activeOrgsAfter(
  db: Db,
  afterId: string | undefined,
  limit: number,
): Promise<Org[]> {
  return await liveOrgsAfter(db, {}, afterId, limit);
}

/** How many orgs (of any status) a cluster holds: placement counts them. */
export async function countOrgsInCluster(db: Db, cluster: string): Promise<number> {
  return await orgs(db).countDocuments({ cluster });
}

/** Orgs with a database in use below schema `version`, in id order after `afterId`. */
export async function orgsBelowSchema(
  db: Db,
  version: number,
  afterId: string | undefined,
  limit: number,
): Promise<Org[]> {
  return await liveOrgsAfter(db, { schemaVersion: { $lt: version } }, afterId, limit);
}

/** Orgs with a database in use that match `filter`, in id order after `afterId`. */
async function liveOrgsAfter(
  db: Db,
  filter: Filter<OrgDoc>,
  afterId: string | undefined,
  limit: number,
): Promise<Org[]> {
  const docs = await orgs(db)
    .find({
      ...filter,
      status: { $in: VISIBLE_STATUSES },
      ...(afterId ? { _id: { $gt: new ObjectId(afterId) } } : {}),
    })
    .sort({ _id: 1 })
    .limit(limit)
    .toArray();
  return docs.map(toOrg);
}

/** Record the schema version an org's database reached (never lowers it). */
export async function setSchemaVersion(
  db: Db,
  id: string,
  version: number,
  now: Date,
): Promise<void> {
  await orgs(db).updateOne(
    {
      _id: new ObjectId(id),
      status: { $in: VISIBLE_STATUSES },
      schemaVersion: { $lt: version },
    },
    { $set: { schemaVersion: version, updatedAt: now } },
  );
}

/** Orgs with a database in use, per schema version. */
export async function countOrgsBySchemaVersion(db: Db): Promise<Map<number, number>> {
  const rows = await orgs(db).aggregate<{ _id: number; n: number }>([
    { $match: { status: { $in: VISIBLE_STATUSES } } },
    { $group: { _id: "$schemaVersion", n: { $sum: 1 } } },
  ]).toArray();
  return new Map(rows.map((r) => [r._id, r.n]));
}

/**
 * Mark an org as moving to `to` under job `jobId`: only a live org not being moved by another
 * job, and not already there. Returns the org, or null when it is not in such a state.
 */
export async function startOrgMove(
  db: Db,
  id: string,
  move: { jobId: string; to: string },
  now: Date,
): Promise<Org | null> {
  const jobId = new ObjectId(move.jobId);
  const live = {
    _id: new ObjectId(id),
    status: { $in: VISIBLE_STATUSES },
    cluster: { $ne: move.to },
  };
  const d = await orgs(db).findOneAndUpdate(
    { ...live, move: { $exists: false } },
    { $set: { move: { jobId, to: move.to, since: now } } },
    { returnDocument: "after" },
  ) ?? await orgs(db).findOne({ ...live, "move.jobId": jobId }); // resumed: already marked
  return d ? toOrg(d) : null;
}

/** Refuse (or again accept) writes to an org moved by `jobId`. */
export async function setMoveMaintenance(
  db: Db,
  id: string,
  jobId: string,
  on: boolean,
  now: Date,
): Promise<boolean> {
  const filter = { _id: new ObjectId(id), "move.jobId": new ObjectId(jobId) };
  const r = await orgs(db).updateOne(
    filter,
    on
      ? { $set: { maintenance: { reason: "move", since: now }, updatedAt: now } }
      : { $unset: { maintenance: "" }, $set: { updatedAt: now } },
  );
  return r.matchedCount === 1;
}

/**
 * The switch of a move: the org's cluster changes, and the move and its maintenance end, in
 * one update, so every reader sees either the old cluster with writes refused or the new one.
 */
export async function finishOrgMove(
  db: Db,
  id: string,
  jobId: string,
  to: string,
  now: Date,
): Promise<boolean> {
  const r = await orgs(db).updateOne(
    { _id: new ObjectId(id), "move.jobId": new ObjectId(jobId) },
    { $set: { cluster: to, updatedAt: now }, $unset: { move: "", maintenance: "" } },
  );
  return r.matchedCount === 1;
}

/** Give up a move: the org stays where it is and accepts writes again. */
export async function abandonOrgMove(db: Db, id: string, jobId: string, now: Date): Promise<void> {
  await orgs(db).updateOne(
    { _id: new ObjectId(id), "move.jobId": new ObjectId(jobId) },
    { $unset: { move: "", maintenance: "" }, $set: { updatedAt: now } },
  );
}

/** Orgs of any status in id order after `afterId`, optionally of one status and deployment. */
export async function orgsPage(
  db: Db,
  filter: { status?: OrgStatus; cluster?: string },
  afterId: string | undefined,
  limit: number,
): Promise<Org[]> {
  const docs = await orgs(db)
    .find({
      ...(filter.status !== undefined ? { status: filter.status } : {}),
      ...(filter.cluster !== undefined ? { cluster: filter.cluster } : {}),
      ...(afterId ? { _id: { $gt: new ObjectId(afterId) } } : {}),
    })
    .sort({ _id: 1 })
    .limit(limit)
    .toArray();
  return docs.map(toOrg);
}
