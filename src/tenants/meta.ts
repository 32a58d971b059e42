/**
 * The `_meta` collection of a tenant database: its owner marker and its schema version. Only
 * this module names it.
 *
 * The marker `{ master, orgId }` says which master database's org owns the database. Several
 * deployments of the service (staging beside production, two regions) may share one MongoDB
 * server and even one tenant prefix, so a database name alone never says whose it is: the
 * reconciler drops a database only when its marker is this master's (src/ops/reconciler.ts).
 */
import { type Db, ReadPreference } from "mongodb";
import { isDroppedMidRead, isDuplicateKey } from "../platform/db.ts";
import type { Deps } from "../platform/deps.ts";
import { TENANT_COLLECTIONS } from "./service-collections.ts";

/** Whose database this is: the master database's name and the org's id. */
export interface TenantOwner {
  master: string;
  orgId: string;
}

interface MarkerDoc extends TenantOwner {
  _id: "marker";
}

interface SchemaDoc {
  _id: "schema";
  version: number;
  applied: { version: number; name: string; at: Date }[];
}

const meta = (db: Db) => db.collection<MarkerDoc | SchemaDoc>(TENANT_COLLECTIONS.meta);

/**
 * Write the marker unless one exists. Throws when the database carries another owner's marker:
 * nothing of this org may be written into it.
 */
export async function writeMarker(db: Db, owner: TenantOwner): Promise<void> {
  try {
    const r = await meta(db).updateOne(
      { _id: "marker" },
      { $setOnInsert: { master: owner.master, orgId: owner.orgId } },
      { upsert: true },
    );
    if (r.upsertedCount === 1) return;
  } catch (e) {
    // Two upserts at once (FerretDB reads, then inserts): the other one wrote it.
    if (!isDuplicateKey(e)) throw e;
  }
  const found = await readMarker(db);
  if (found?.master !== owner.master || found.orgId !== owner.orgId) {
    throw new Error(`tenant database ${db.databaseName} belongs to another owner`);
  }
}

/** The marker, read from the primary (a decision to drop the database rests on it); null if none. */
export async function readMarker(db: Db): Promise<TenantOwner | null> {
  const read = () =>
    meta(db).findOne({ _id: "marker" }, { readPreference: ReadPreference.PRIMARY });
  // Two parties may drop one database at once (a rollback and the creator's own undo): a read
  // under the other's drop fails on the embedded server, and finds the database gone when made
  // again.
  const d = await read().catch((e) => {
    if (isDroppedMidRead(e)) return read();
    throw e;
  });
  return d && "master" in d ? { master: d.master, orgId: d.orgId } : null;
}

export async function schemaVersion(db: Db): Promise<number> {
  const d = await meta(db).findOne({ _id: "schema" });
  return d && "version" in d ? d.version : 0;
}

/** Record that migration `version` ran, so a stopped run resumes after it. */
export async function recordMigration(
  db: Db,
  m: { version: number; name: string },
  at: Date,
): Promise<void> {
  await db.collection<SchemaDoc>(TENANT_COLLECTIONS.meta).updateOne(
    { _id: "schema" },
    {
      $set: { version: m.version },
      $push: { applied: { version: m.version, name: m.name, at } },
    },
    { upsert: true },
  );
}

/** The marker of this service's databases of org `orgId`. */
export const ownerOf = (deps: Pick<Deps, "config">, orgId: string): TenantOwner => ({
  master: deps.config.masterDb,
  orgId,
});
