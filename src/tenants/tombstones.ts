/**
 * The `deleted_orgs` collection of the master database: a short-lived record of each deleted
 * org's database. Only this module names it.
 *
 * Without transactions a write that was in flight when an org was deleted (a document insert, a
 * quota counter's fold, an audit event) can land after the database was dropped and create it
 * again, without its owner marker, so the orphan sweep would never touch it. The tombstone names
 * that database for a while after the deletion, and each maintenance pass drops it again. The
 * name is the prefix plus the deleted org's own id, so no other org's database can carry it.
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

export async function ensureTombstoneIndexes(db: Db, log?: Logger): Promise<void> {
  await ensureTtlIndex(tombstones(db), "expiresAt", log);
}

/** Record (or renew) the tombstone of an org whose database is about to be dropped. */
export async function recordTombstone(db: Db, t: Tombstone, now: Date): Promise<void> {
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

/** The tombstones still in force. */
export async function liveTombstones(db: Db, now: Date): Promise<Tombstone[]> {
  const docs = await tombstones(db).find({ expiresAt: { $gt: now } }).toArray();
  return docs.map((d) => ({ orgId: d._id, cluster: d.cluster, databaseName: d.databaseName }));
}

export async function deleteExpiredTombstones(db: Db, now: Date): Promise<number> {
  return (await tombstones(db).deleteMany({ expiresAt: { $lte: now } })).deletedCount;
}
