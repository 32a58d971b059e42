/**
 * Versioned tenant migrations. Each `up(db, ctx)` is idempotent; `_meta` records the schema
 * version and what ran (src/tenants/meta.ts), so a run that stopped half-way resumes where it
 * stopped.
 */
import type { Db } from "mongodb";
import type { Logger } from "../../platform/log.ts";
import { recordMigration, schemaVersion, type TenantOwner } from "../meta.ts";
import { migration as m001 } from "./001-init.ts";
import { migration as m002 } from "./002-marker.ts";
import { migration as m003 } from "./003-audit-log-name.ts";
import type { Migration } from "./migration.ts";

export type { Migration, MigrationContext } from "./migration.ts";
export { schemaVersion };

export const MIGRATIONS: readonly Migration[] = [m001, m002, m003];
export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;

/** What one tenant's migration run did. */
export interface TenantMigrationReport {
  from: number;
  to: number;
  ran: { version: number; name: string }[];
  /** The migration that failed (the ones before it stay applied). */
  failed?: { version: number; name: string; error: unknown };
}

/**
 * Apply every pending migration of `migrations` in order, stopping at the first that fails.
 * A database already newer than the last one known is left alone (`to` tells its version).
 */
export async function runTenantMigrations(
  db: Db,
  opts: { owner: TenantOwner; log?: Logger; now: () => Date; migrations?: readonly Migration[] },
): Promise<TenantMigrationReport> {
  const migrations = opts.migrations ?? MIGRATIONS;
  const from = await schemaVersion(db);
  const report: TenantMigrationReport = { from, to: from, ran: [] };
  for (const m of migrations) {
    if (m.version <= report.to) continue;
    try {
      await m.up(db, { log: opts.log, now: opts.now, owner: opts.owner });
      await recordMigration(db, m, opts.now());
    } catch (error) {
      report.failed = { version: m.version, name: m.name, error };
      return report;
    }
    report.ran.push({ version: m.version, name: m.name });
    report.to = m.version;
  }
  return report;
}

/** Apply every pending migration in order; returns the version reached, throws on a failure. */
export async function migrateTenant(
  db: Db,
  owner: TenantOwner,
  log?: Logger,
  now = () => new Date(),
): Promise<number> {
  const report = await runTenantMigrations(db, { owner, log, now });
  if (report.failed) throw report.failed.error;
  return report.to;
}
