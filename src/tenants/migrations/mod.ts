/**
 * Versioned tenant migrations. Each `up(db)` is idempotent; `_meta` records the schema version
 * and what ran, so a run that stopped half-way resumes where it stopped.
 */
import type { Db } from "mongodb";
import type { Logger } from "../../platform/log.ts";
import { migration as m001 } from "./001-init.ts";

export interface Migration {
  version: number;
  name: string;
  up(db: Db, log?: Logger): Promise<void>;
}

export const MIGRATIONS: readonly Migration[] = [m001];
export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;

interface MetaDoc {
  _id: "schema";
  version: number;
  applied: { version: number; name: string; at: Date }[];
}

export async function schemaVersion(db: Db): Promise<number> {
  const meta = await db.collection<MetaDoc>("_meta").findOne({ _id: "schema" });
  return meta?.version ?? 0;
}

/** Apply every pending migration in order; returns the version reached. */
export async function migrateTenant(db: Db, log?: Logger, now = () => new Date()): Promise<number> {
  let version = await schemaVersion(db);
  for (const m of MIGRATIONS) {
    if (m.version <= version) continue;
    await m.up(db, log);
    await db.collection<MetaDoc>("_meta").updateOne(
      { _id: "schema" },
      {
        $set: { version: m.version },
        $push: { applied: { version: m.version, name: m.name, at: now() } },
      },
      { upsert: true },
    );
    version = m.version;
  }
  return version;
}
