/**
 * The `org_migrations` collection of the master database: per org, what the runs of
 * `deno task migrate` applied and the last run's failure. Written by the runs, read by
 * `--status` and the benchmark, and removed with the org.
 */
import { type Db, ObjectId } from "mongodb";

export interface MigrationFailure {
  version: number;
  name: string;
  error: string;
  at: Date;
}

interface OrgMigrationDoc {
  _id: ObjectId;
  slug: string;
  /** The schema version the org's database reached. */
  schemaVersion: number;
  /** Every migration applied by a run, oldest first. */
  ran: { version: number; name: string; at: Date }[];
  /** The last run's failure; absent once a later run succeeds. */
  failed?: MigrationFailure;
  startedAt: Date;
  durationMs: number;
}

const records = (db: Db) => db.collection<OrgMigrationDoc>("org_migrations");

/** Record a run's work on one org: what it applied (appended) and its failure, if any. */
export async function recordOrgMigration(
  db: Db,
  orgId: string,
  run: {
    slug: string;
    schemaVersion: number;
    ran: { version: number; name: string; at: Date }[];
    failed?: MigrationFailure;
    startedAt: Date;
    durationMs: number;
  },
): Promise<void> {
  const { ran, failed, ...fields } = run;
  await records(db).updateOne(
    { _id: new ObjectId(orgId) },
    {
      $set: { ...fields, ...(failed ? { failed } : {}) },
      ...(failed ? {} : { $unset: { failed: "" as const } }),
      $push: { ran: { $each: ran } },
    },
    { upsert: true },
  );
}

/** The orgs whose last run failed, with the failure, in the order of their ids. */
export async function failedOrgMigrations(
  db: Db,
): Promise<({ orgId: string; slug: string } & MigrationFailure)[]> {
  const docs = await records(db).find({ failed: { $exists: true } }).sort({ _id: 1 }).toArray();
  return docs.map((d) => ({ orgId: d._id.toHexString(), slug: d.slug, ...d.failed! }));
}

/** Per-org timings of the runs recorded, in the order they started. */
export async function orgMigrationTimings(
  db: Db,
): Promise<{ orgId: string; startedAt: Date; durationMs: number }[]> {
  const docs = await records(db).find({}, { projection: { startedAt: 1, durationMs: 1 } })
    .sort({ startedAt: 1 }).toArray();
  return docs.map((d) => ({
    orgId: d._id.toHexString(),
    startedAt: d.startedAt,
    durationMs: d.durationMs,
  }));
}

/** Part of an org's deletion. */
export async function forgetOrgMigrations(db: Db, orgId: string): Promise<void> {
  await records(db).deleteOne({ _id: new ObjectId(orgId) });
}
