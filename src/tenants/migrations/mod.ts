/**
 * Versioned tenant migrations. Each `up(db)` is idempotent; `_meta` records the schema version
 * and what ran (src/tenants/meta.ts), so a run that stopped half-way resumes where it stopped.
 */
import type { Db } from "mongodb";
import type { Logger } from "../../log.ts";
import { recordMigration, schemaVersion, type TenantOwner } from "../meta.ts";
import { migration as m001 } from "./001_init.ts";
import { migration as m002 } from "./002_marker.ts";

export interface Migration {
  version: number;
  name: string;
  /** `owner`: whose database this is (the master database and the org). */
  up(db: Db, log: Logger | undefined, owner: TenantOwner): Promise<void>;
}

export const MIGRATIONS: readonly Migration[] = [m001, m002];
export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;

export { schemaVersion };

/** Apply every pending migration in order; returns the version reached. */
export async function migrateTenant(
  db: Db,
  owner: TenantOwner,
  log?: Logger,
  now = () => new Date(),
): Promise<number> {
  let version = await schemaVersion(db);
  for (const m of MIGRATIONS) {
    if (m.version <= version) continue;
    await m.up(db, log, owner);
    await recordMigration(db, m, now());
    version = m.version;
  }
  return version;
}
