/**
 * The records of deleted orgs' databases in the master database. Only this module names their
 * collections.
 *
 * Without transactions a write that was in flight when an org was deleted (a document insert, a
 * quota counter's fold, an audit event) can land after the database was dropped and create it
 * again, without its owner marker. Two records name that database:
 *
 * - the tombstone (`deleted_orgs`, expiring after `TOMBSTONE_MS`): while it lasts, each
 *   maintenance pass drops the database again at once;
 * - the deletion record (`deleted_org_ids`, kept for good, one small document per deleted org):
 *   a write that lands later still (a request stalled for longer than the tombstone lasts)
 *   makes a database the reconciler's orphan search drops, as it drops a marked orphan, because
 *   this record says the unmarked database was this master's org's.
 *
 * The name is the prefix plus the deleted org's own id, and ids are never used again, so no
 * other org's database can carry it; another master keeps its own records, so a database it
 * deleted is never this master's to drop.
 */
import type { Db } from "mongodb";
import { ensureTtlIndex } from "../platform/db.ts";
import type { Logger } from "../platform/log.ts";

/** Far longer than any request in flight may take to land (a few database timeouts). */
export const TOMBSTONE_MS = 60 * 60_000;

export interface Tombstone {
  orgId: string;
  cluster: string;
  databaseName: string;
}

interface TombstoneDoc {
  _id: string;
  cluster: string;
  databaseName: string;
  expiresAt: Date;
}

const tombstones = (db: Db) => db.collection<TombstoneDoc>("deleted_orgs");

interface DeletionDoc {
  _id: string;
  cluster: string;
  databaseName: string;
  deletedAt: Date;
}

const deletions = (db: Db) => db.collection<DeletionDoc>("deleted_org_ids");

export async function ensureTombstoneIndexes(db: Db, log?: Logger): Promise<void> {
  await ensureTtlIndex(tombstones(db), "expiresAt", log);
}

/**
 * Record (or renew) the tombstone of an org whose database is about to be dropped, and its
 * lasting deletion record.
 */
export async function recordTombstone(db: Db, t: Tombstone, now: Date): Promise<void> {
  await deletions(db).updateOne(
    { _id: t.orgId },
    {
      $set: { cluster: t.cluster, databaseName: t.databaseName },
      $setOnInsert: { deletedAt: now },
    },
    { upsert: true },
  );
  await tombstones(db).updateOne(
    { _id: t.orgId },
    {
      $set: {
        cluster: t.cluster,
        databaseName: t.databaseName,
        expiresAt: new Date(now.getTime() + TOMBSTONE_MS),
      },
    },
    { upsert: true },
  );
}

/**
 * Whether this master deleted the org `orgId` whose database was `databaseName` on `cluster`
 * (whenever that was).
 */
export async function wasDeletedHere(
  db: Db,
  orgId: string,
  cluster: string,
  databaseName: string,
): Promise<boolean> {
  return (await deletions(db).countDocuments({ _id: orgId, cluster, databaseName }, {
    limit: 1,
  })) > 0;
}

/** The tombstones still in force. */
export async function liveTombstones(db: Db, now: Date): Promise<Tombstone[]> {
  const docs = await tombstones(db).find({ expiresAt: { $gt: now } }).toArray();
  return docs.map((d) => ({ orgId: d._id, cluster: d.cluster, databaseName: d.databaseName }));
}

export async function deleteExpiredTombstones(db: Db, now: Date): Promise<number> {
  return (await tombstones(db).deleteMany({ expiresAt: { $lte: now } })).deletedCount;
}
