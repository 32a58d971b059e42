/**
 * Tenant migrations across every org (docs/architecture.md, "Tenant migrations and deployments"):
 * every org below the latest schema, a few at a time, each under its own lease (a second run at the
 * same time skips the orgs the first is migrating), recorded per org in `org_migrations` (what ran,
 * what failed), past any org that fails. The org's `schemaVersion` is what is pending, so a run
 * that stopped resumes where it stopped: the orgs it finished are no longer below the latest
 * schema.
 *
 * An org's lease is short and renewed while its migrations run, so the orgs a killed run was
 * migrating are free again soon. A run comes back to the orgs it skipped for a lease once the
 * rest are done: by then the other run has finished them (they are skipped as migrated) or died
 * (its leases have run out, and this run migrates them), so a run that ends has left no org
 * behind that it could have migrated.
 */
import type { Db } from "mongodb";
import { pause } from "../platform/async.ts";
import type { Deps } from "../platform/deps.ts";
import type { JobHandler } from "./job-runner.ts";
import { acquireLease, releaseLease } from "../platform/leases.ts";
import { describeError } from "../platform/log.ts";
import {
  LATEST_SCHEMA_VERSION,
  type Migration,
  MIGRATIONS,
  runTenantMigrations,
} from "../tenants/migrations/mod.ts";
import {
  countOrgsBySchemaVersion,
  findOrgById,
  type Org,
  orgsBelowSchema,
  setSchemaVersion,
} from "../tenants/orgs.ts";
import { ownerOf } from "../tenants/meta.ts";
import { failedOrgMigrations, recordOrgMigration } from "../tenants/migration-records.ts";

export const DEFAULT_MIGRATE_CONCURRENCY = 4;
/** How long one org's lease lasts unless renewed (it is, every third of it, while in use). */
export const ORG_MIGRATION_LEASE_MS = 30_000;
/** Why an org was skipped when another run holds its lease (this run comes back to it). */
export const HELD_BY_ANOTHER_RUN = "being migrated by another run";

export type OrgOutcome = "migrated" | "failed" | "skipped";

export interface OrgMigrationResult {
  orgId: string;
  slug: string;
  outcome: OrgOutcome;
  from: number;
  to: number;
  ran: string[];
  /** Why it failed or was skipped. */
  reason?: string;
  durationMs: number;
}

export interface MigrateProgress {
  total: number;
  done: number;
  migrated: number;
  failed: number;
  skipped: number;
  elapsedMs: number;
}

export interface MigrateAllOptions {
  concurrency?: number;
  /** The migrations to apply (tests add their own); default: the service's. */
  migrations?: readonly Migration[];
  leaseMs?: number;
  onProgress?(p: MigrateProgress, last: OrgMigrationResult): void | Promise<void>;
  signal?: AbortSignal;
}

export interface MigrateAllReport extends MigrateProgress {
  latest: number;
  results: OrgMigrationResult[];
}

const PAGE = 1000;

/** Every org below the latest schema, in id order. */
async function pendingOrgs(db: Db, latest: number): Promise<Org[]> {
  const all: Org[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await orgsBelowSchema(db, latest, after, PAGE);
    all.push(...page);
    if (page.length < PAGE) return all;
    after = page[page.length - 1].id;
  }
}

/** Apply every pending migration to every org; resolves with what happened to each. */
export async function migrateAllOrgs(
  deps: Deps,
  opts: MigrateAllOptions = {},
): Promise<MigrateAllReport> {
  const migrations = opts.migrations ?? MIGRATIONS;
  const latest = migrations[migrations.length - 1].version;
  const concurrency = Math.max(1, opts.concurrency ?? DEFAULT_MIGRATE_CONCURRENCY);
  const started = performance.now();
  const orgs = await pendingOrgs(deps.db.master, latest);
  const progress: MigrateProgress = {
    total: orgs.length,
    done: 0,
    migrated: 0,
    failed: 0,
    skipped: 0,
    elapsedMs: 0,
  };
  const results: OrgMigrationResult[] = [];
  const leaseMs = opts.leaseMs ?? ORG_MIGRATION_LEASE_MS;
  let queue = orgs;
  let held: Org[] = [];
  let next = 0;
  const worker = async () => {
    while (next < queue.length && !opts.signal?.aborted) {
      const org = queue[next++];
      const result = await migrateOrg(deps, org, migrations, leaseMs);
      if (result.outcome === "skipped" && result.reason === HELD_BY_ANOTHER_RUN) {
        held.push(org);
        continue;
      }
      results.push(result);
      progress.done++;
      progress[result.outcome]++;
      progress.elapsedMs = performance.now() - started;
      await opts.onProgress?.({ ...progress }, result);
    }
  };
  for (;;) {
    await Promise.all(Array.from({ length: Math.min(concurrency, queue.length) }, worker));
    if (!held.length || opts.signal?.aborted) break;
    // Another run holds these: wait a little for it to finish them or for its leases to lapse.
    await pause(Math.min(1000, leaseMs / 3), opts.signal);
    [queue, held, next] = [held, [], 0];
  }
  progress.elapsedMs = performance.now() - started;
  return { ...progress, latest, results };
}

/** One org under its lease: its pending migrations, its `schemaVersion`, its record. */
export async function migrateOrg(
  deps: Deps,
  org: Org,
  migrations: readonly Migration[] = MIGRATIONS,
  leaseMs = ORG_MIGRATION_LEASE_MS,
): Promise<OrgMigrationResult> {
  const startedAt = deps.now();
  const t0 = performance.now();
  const base = { orgId: org.id, slug: org.slug, from: org.schemaVersion, to: org.schemaVersion };
  const skipped = (reason: string): OrgMigrationResult => ({
    ...base,
    outcome: "skipped",
    ran: [],
    reason,
    durationMs: performance.now() - t0,
  });
  // A move copies the database as it is; it is migrated once it has landed.
  if (org.move) return skipped("being moved to another cluster");
  const lease = `migrate:${org.id}`;
  const master = deps.db.master;
  if (!await acquireLease(master, lease, deps.instanceId, leaseMs, deps.now())) {
    return skipped(HELD_BY_ANOTHER_RUN);
  }
  const renew = setInterval(() => {
    acquireLease(master, lease, deps.instanceId, leaseMs, deps.now()).catch(() => {});
  }, Math.max(50, Math.floor(leaseMs / 3)));
  try {
    // Another run may have finished it since the list of pending orgs was read.
    const current = await findOrgById(master, org.id);
    const latest = migrations[migrations.length - 1].version;
    if (!current || current.schemaVersion >= latest) return skipped("already migrated");
    if (current.move) return skipped("being moved to another cluster");
    const report = await runTenantMigrations(deps.db.tenantDb(org), {
      owner: ownerOf(deps, org.id),
      log: deps.log,
      now: deps.now,
      migrations,
    });
    const failure = report.failed
      ? {
        version: report.failed.version,
        name: report.failed.name,
        error: errorText(report.failed.error),
      }
      : report.to > latest
      ? { version: report.to, name: "(unknown)", error: "The schema is newer than this code knows" }
      : undefined;
    const at = deps.now();
    const durationMs = performance.now() - t0;
    await recordOrgMigration(master, org.id, {
      slug: org.slug,
      schemaVersion: report.to,
      ran: report.ran.map((r) => ({ ...r, at })),
      ...(failure ? { failed: { ...failure, at } } : {}),
      startedAt,
      durationMs,
    });
    // The org's version last: a run killed before it does the org again (nothing is pending in
    // its database, so nothing runs twice) and rewrites the record, which never tells of a
    // failure the org has got past.
    if (report.to > org.schemaVersion) {
      await setSchemaVersion(master, org.id, report.to, deps.now());
    }
    if (failure) {
      deps.log.warn("tenant migration failed", {
        orgId: org.id,
        slug: org.slug,
        ...failure,
        ...(report.failed ? describeError(report.failed.error) : {}),
      });
    }
    return {
      ...base,
      to: report.to,
      outcome: failure ? "failed" : "migrated",
      ran: report.ran.map((r) => `${r.version}_${r.name}`),
      ...(failure ? { reason: `${failure.version}_${failure.name}: ${failure.error}` } : {}),
      durationMs,
    };
  } catch (e) {
    // The org's database or the master could not be reached: nothing was recorded.
    deps.log.warn("tenant migration failed", {
      orgId: org.id,
      slug: org.slug,
      ...describeError(e),
    });
    return {
      ...base,
      outcome: "failed",
      ran: [],
      reason: errorText(e),
      durationMs: performance.now() - t0,
    };
  } finally {
    clearInterval(renew);
    await releaseLease(master, lease, deps.instanceId).catch(() => {});
  }
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export interface MigrationStatus {
  latest: number;
  /** Orgs with a database in use, per schema version, lowest first. */
  versions: { schemaVersion: number; orgs: number }[];
  failures: {
    orgId: string;
    slug: string;
    version: number;
    name: string;
    error: string;
    at: Date;
  }[];
}

/** `deno task migrate --status`: orgs per schema version, and the orgs whose last run failed. */
export async function migrationStatus(
  deps: Deps,
  latest = LATEST_SCHEMA_VERSION,
): Promise<MigrationStatus> {
  const master = deps.db.master;
  const counts = await countOrgsBySchemaVersion(master);
  const failures = await failedOrgMigrations(master);
  return {
    latest,
    versions: [...counts].map(([schemaVersion, orgs]) => ({ schemaVersion, orgs }))
      .sort((a, b) => a.schemaVersion - b.schemaVersion),
    failures,
  };
}

/** The job kind of a run of `deno task migrate` (listed with the other jobs). */
export const MIGRATE_JOB = "migrate";

/**
 * A migration run as a job: progress recorded as orgs finish (at most every `saveEveryMs`), and
 * a failed job when any org failed. The report goes to `onReport`.
 */
export function migrateJobHandler(
  opts: MigrateAllOptions & {
    onReport?(r: MigrateAllReport): void;
    saveEveryMs?: number;
  } = {},
): JobHandler {
  return async (ctx) => {
    let saved = 0;
    const report = await migrateAllOrgs(ctx.deps, {
      ...opts,
      signal: opts.signal ? AbortSignal.any([opts.signal, ctx.signal]) : ctx.signal,
      async onProgress(p, last) {
        await opts.onProgress?.(p, last);
        if (p.done === p.total || performance.now() - saved >= (opts.saveEveryMs ?? 1000)) {
          saved = performance.now();
          await ctx.save({ progress: { done: p.done, total: p.total } });
        }
      },
    });
    opts.onReport?.(report);
    await ctx.save({ progress: { done: report.done, total: report.total } });
    if (report.failed) throw new Error(`${report.failed} of ${report.total} orgs failed`);
  };
}
