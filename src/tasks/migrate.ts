/**
 * `deno task migrate [--concurrency=N]`: every pending tenant migration on every org, with a
 * progress bar on a terminal (plain lines otherwise). Exit code 0 when every org is at the latest
 * schema, 1 when any failed, 2 when interrupted (run it again: it resumes).
 *
 * `deno task migrate --status`: orgs per schema version, and the orgs whose last run failed.
 */
import type { Deps } from "../platform/deps.ts";
import { runClaimedJob } from "../ops/job-runner.ts";
import { claimJob, enqueueJob } from "../ops/jobs.ts";
import type { Migration } from "../tenants/migrations/mod.ts";
import {
  DEFAULT_MIGRATE_CONCURRENCY,
  MIGRATE_JOB,
  type MigrateAllOptions,
  type MigrateAllReport,
  migrateJobHandler,
  type MigrateProgress,
  migrationStatus,
  type OrgMigrationResult,
} from "../ops/migrate-all.ts";
import { openTask, parseArgs } from "./cli.ts";

const USAGE = "usage: deno task migrate [--concurrency=N] | --status";
const encoder = new TextEncoder();
const write = (s: string) => Deno.stdout.writeSync(encoder.encode(s));

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return "?";
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor(s / 60) % 60).padStart(2, "0")}m`;
}

/** One line of counts, rate and ETA (the ETA from the rate so far). */
export function progressLine(p: MigrateProgress): string {
  const rate = p.elapsedMs > 0 ? p.done / (p.elapsedMs / 1000) : 0;
  const eta = rate > 0 ? (p.total - p.done) / rate * 1000 : Infinity;
  return `${p.done}/${p.total} orgs · migrated ${p.migrated} · failed ${p.failed} · ` +
    `skipped ${p.skipped} · ${rate.toFixed(1)} orgs/s · ETA ${
      p.done === p.total ? "0s" : formatDuration(eta)
    }`;
}

function bar(p: MigrateProgress, width = 24): string {
  const filled = p.total ? Math.round(width * p.done / p.total) : width;
  return `[${"#".repeat(filled)}${".".repeat(width - filled)}]`;
}

/** Progress on a terminal: one bar redrawn in place; failures printed above it. */
function terminalProgress() {
  return (p: MigrateProgress, last: OrgMigrationResult) => {
    if (last.outcome === "failed") write(`\r\x1b[2Kfailed: ${last.slug}: ${last.reason}\n`);
    write(`\r\x1b[2K${bar(p)} ${progressLine(p)}`);
    if (p.done === p.total) write("\n");
  };
}

/** Progress elsewhere (logs, CI): a line every `everyMs`, one per failure, and a last one. */
function plainProgress(everyMs = 2000) {
  let shown = performance.now();
  return (p: MigrateProgress, last: OrgMigrationResult) => {
    if (last.outcome === "failed") write(`failed: ${last.slug}: ${last.reason}\n`);
    if (p.done === p.total || performance.now() - shown >= everyMs) {
      shown = performance.now();
      write(`${progressLine(p)}\n`);
    }
  };
}

/** What a caller other than the command line may set: its own migrations, a shorter lease. */
export type MigrateTaskOptions = Pick<MigrateAllOptions, "migrations" | "leaseMs">;

async function printStatus(deps: Deps, migrations?: readonly Migration[]): Promise<number> {
  const status = await migrationStatus(deps, migrations?.[migrations.length - 1].version);
  write(`latest schema version: ${status.latest}\n`);
  for (const v of status.versions) {
    write(`  version ${v.schemaVersion}: ${v.orgs} org${v.orgs === 1 ? "" : "s"}\n`);
  }
  if (!status.versions.length) write("  no orgs\n");
  write(`failures: ${status.failures.length}\n`);
  for (const f of status.failures) {
    write(`  ${f.slug} (${f.orgId}): ${f.version}_${f.name}: ${f.error} (${f.at.toISOString()})\n`);
  }
  return status.failures.length ? 1 : 0;
}

async function run(
  deps: Deps,
  concurrency: number,
  options: MigrateTaskOptions,
): Promise<number> {
  const master = deps.db.master;
  const claim = { holder: deps.instanceId, leaseMs: 60_000, kinds: [MIGRATE_JOB] };
  // A run whose process died is taken over (its record says nothing more than the orgs' own
  // schema versions do); else this run is a job of its own.
  const job = await claimJob(master, { ...claim, now: deps.now() }) ??
    await claimJob(master, {
      ...claim,
      now: deps.now(),
      id: (await enqueueJob(master, MIGRATE_JOB, { concurrency }, deps.now())).id,
    });
  if (!job) throw new Error("Could not claim the migration job just queued");
  const stop = new AbortController();
  const onSignal = () => {
    write("\ninterrupted: finishing the orgs under way; run again to resume\n");
    stop.abort();
  };
  Deno.addSignalListener("SIGINT", onSignal);
  let report: MigrateAllReport | undefined;
  try {
    const outcome = await runClaimedJob(
      deps,
      job,
      migrateJobHandler({
        ...options,
        concurrency,
        signal: stop.signal,
        onProgress: Deno.stdout.isTerminal() ? terminalProgress() : plainProgress(),
        onReport: (r) => report = r,
      }),
      { leaseMs: claim.leaseMs },
    );
    if (!report) return 1;
    if (report.total === 0) write("every org is at the latest schema version\n");
    write(
      `done in ${formatDuration(report.elapsedMs)}: migrated ${report.migrated}, failed ` +
        `${report.failed}, skipped ${report.skipped} of ${report.total} (job ${job.id})\n`,
    );
    if (outcome === "abandoned" || stop.signal.aborted) return 2;
    return report.failed ? 1 : 0;
  } finally {
    Deno.removeSignalListener("SIGINT", onSignal);
  }
}

export async function main(args: string[], options: MigrateTaskOptions = {}): Promise<number> {
  const { flags, positional } = parseArgs(args);
  const concurrency = Number(flags.get("concurrency") ?? DEFAULT_MIGRATE_CONCURRENCY);
  const known = new Set(["concurrency", "status"]);
  if (
    positional.length || [...flags.keys()].some((f) => !known.has(f)) ||
    !Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64
  ) {
    console.error(USAGE);
    return 64;
  }
  const task = await openTask();
  try {
    return flags.has("status")
      ? await printStatus(task.deps, options.migrations)
      : await run(task.deps, concurrency, options);
  } finally {
    await task.close();
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
