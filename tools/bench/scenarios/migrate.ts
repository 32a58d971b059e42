/**
 * `deno task migrate` over 1,000 orgs (scenario 12 of `deno task bench`; alone:
 * `deno run --allow-all tools/bench/scenarios/migrate.ts [--orgs=N]`).
 *
 * The orgs are created by the service's own provisioning on an embedded server, then set back
 * to schema version 1 (as orgs made before migration 002 existed), and the real task runs as a
 * child process with its default concurrency. Figures: orgs per second over the run, and the
 * time per org (from the per-org records the task writes) of the first hundred orgs against the
 * last hundred, which should stay flat as the orgs migrated pile up (bar: the last hundred's
 * median at most 1.5 × the first's).
 */
import { closeDeps, createDeps, ensureMasterIndexes } from "../../../src/bootstrap.ts";
import { startFerretDB } from "../../../src/platform/embedded/ferretdb.ts";
import { orgMigrationTimings } from "../../../src/tenants/migration-records.ts";
import { loadConfig } from "../../../src/platform/config.ts";
import { createLogger } from "../../../src/platform/log.ts";
import { createOrg } from "../../../src/tenants/provisioning.ts";
import { LATEST_SCHEMA_VERSION } from "../../../src/tenants/migrations/mod.ts";
import { spawnDeno } from "../../lib/spawn.ts";
import { percentile, round1 } from "../measure.ts";
import type { BenchContext, ScenarioGroup } from "../context.ts";
import type { Row } from "../report.ts";

export const MIGRATE_BARS = { flatRatio: 1.5 };
/** The permissions `deno task migrate` gives the task (deno.json). */
const TASK_FLAGS = [
  "--allow-net",
  "--allow-env",
  "--allow-read",
  "--allow-write",
  "--allow-run",
  "--allow-sys",
];

export interface MigrateBenchResult {
  orgs: number;
  seedS: number;
  /** The task's process from start to exit, start-up included. */
  wallMs: number;
  /** From the first org's start to the last org's end. */
  spanMs: number;
  orgsPerS: number;
  exitCode: number;
  first100: { medianMs: number; meanMs: number };
  last100: { medianMs: number; meanMs: number };
  ratio: number;
  /** Median time per org of each tenth of the run, in order (where a trend shows). */
  decileMedianMs: number[];
  /** The machine's 1-minute load average before and after the task (a shared machine). */
  loadAvg: [number, number];
  lastLine: string;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

export async function measureMigrate(
  opts: { orgs?: number; log?: (line: string) => void } = {},
): Promise<MigrateBenchResult> {
  const orgs = opts.orgs ?? 1000;
  const say = opts.log ?? (() => {});
  const tmp = await Deno.makeTempDir({ prefix: "orgservice-bench-migrate-" });
  // The embedded PostgreSQL runs as its own user (`orgservice-db`) when we are root: it must pass through this folder.
  if (Deno.uid() === 0) await Deno.chmod(tmp, 0o711);
  const server = await startFerretDB({ dataDir: `${tmp}/db`, log: () => {} });
  const env = {
    MONGO_URI: server.uri,
    MASTER_DB: "bench_migrate",
    TENANT_DB_PREFIX: "bmg_",
    JWT_SECRET: crypto.randomUUID() + crypto.randomUUID(),
    BCRYPT_COST: "4",
    HASH_WORKERS: "1",
    LOG_LEVEL: "warn",
    ORG_CREATE_LIMIT: "0",
  };
  const config = loadConfig(env);
  const deps = createDeps({ config, uri: server.uri, log: createLogger("warn", () => {}) });
  try {
    await ensureMasterIndexes(deps.db);
    const t0 = performance.now();
    const ids: string[] = [];
    for (let i = 0; i < orgs; i += 8) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(8, orgs - i) }, (_, j) =>
          createOrg(deps, {
            name: `Bench Org ${i + j}`,
            owner: {
              kind: "new-user",
              email: `owner-${i + j}@example.com`,
              password: "bench-password-1234567",
            },
          }, { ip: "127.0.0.1" })),
      );
      ids.push(...batch.map((b) => b.org.id));
      if ((i + 8) % 200 === 0) say(`  created ${i + 8} orgs`);
    }
    // Back to schema version 1: migration 002 is pending for every org.
    await deps.db.master.collection("orgs").updateMany({}, { $set: { schemaVersion: 1 } });
    for (const id of ids) {
      await deps.db.tenantDb({ cluster: "default", databaseName: `${config.tenantDbPrefix}${id}` })
        .collection<{ _id: string; version: number }>("_meta")
        .updateOne({ _id: "schema" }, { $set: { version: 1 } });
    }
    const seedS = round1((performance.now() - t0) / 1000);
    say(`seeded ${orgs} orgs in ${seedS} s; running deno task migrate`);

    const loadBefore = Deno.loadavg()[0];
    const started = performance.now();
    // As `deno task migrate` runs it (deno.json), through the spawner the tests use.
    const task = await spawnDeno("src/tasks/migrate.ts", {
      flags: TASK_FLAGS,
      env,
      waitPath: null,
    });
    const out = await task.exited;
    const wallMs = Math.round(performance.now() - started);
    const stdout = task.stdout();
    const timings = await orgMigrationTimings(deps.db.master);
    const migrated = await deps.db.master.collection("orgs")
      .countDocuments({ schemaVersion: LATEST_SCHEMA_VERSION });
    if (migrated !== orgs || timings.length !== orgs) {
      throw new Error(
        `the task migrated ${migrated} of ${orgs} orgs (exit ${out.code}):\n${stdout}\n` +
          task.stderr(),
      );
    }
    const begin = Math.min(...timings.map((t) => t.startedAt.getTime()));
    const end = Math.max(...timings.map((t) => t.startedAt.getTime() + t.durationMs));
    const first = timings.slice(0, 100).map((t) => t.durationMs);
    const last = timings.slice(-100).map((t) => t.durationMs);
    const stats = (xs: number[]) => ({
      medianMs: round1(percentile(xs, 50)),
      meanMs: round1(mean(xs)),
    });
    const result: MigrateBenchResult = {
      orgs,
      seedS,
      wallMs,
      spanMs: Math.round(end - begin),
      orgsPerS: round1(orgs / ((end - begin) / 1000)),
      exitCode: out.code,
      first100: stats(first),
      last100: stats(last),
      ratio: Math.round(percentile(last, 50) / percentile(first, 50) * 100) / 100,
      decileMedianMs: Array.from({ length: 10 }, (_, i) => {
        const part = timings.slice(Math.floor(i * orgs / 10), Math.floor((i + 1) * orgs / 10));
        return round1(percentile(part.map((t) => t.durationMs), 50));
      }),
      loadAvg: [loadBefore, Deno.loadavg()[0]],
      lastLine: stdout.trim().split("\n").at(-1) ?? "",
    };
    return result;
  } finally {
    await closeDeps(deps);
    await server.stop();
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}

/** The scenario's rows for the bench's report. */
export async function migrateScenario(
  opts: { orgs?: number; log?: (line: string) => void } = {},
): Promise<{ rows: Row[]; details: MigrateBenchResult }> {
  const r = await measureMigrate(opts);
  const orgs = r.orgs.toLocaleString("en-US");
  const rows: Row[] = [
    {
      id: "12",
      name: `deno task migrate over ${orgs} orgs (orgs/s)`,
      status: "ok",
      rps: r.orgsPerS,
      errors: r.exitCode === 0 ? 0 : 1,
      load: `one pending migration per org, concurrency 4; ${r.spanMs} ms from the first org ` +
        `to the last, ${r.wallMs} ms with the process's start; exit ${r.exitCode}`,
    },
    {
      id: "12t",
      name: "time per org: last hundred against the first hundred (median)",
      status: "ok",
      p50Ms: r.last100.medianMs,
      ceiling: "first hundred",
      ratio: r.ratio,
      bar: `≤ ${MIGRATE_BARS.flatRatio.toFixed(2)} ×`,
      pass: r.ratio <= MIGRATE_BARS.flatRatio,
      load: `first hundred: median ${r.first100.medianMs} ms, mean ${r.first100.meanMs} ms; ` +
        `last hundred: median ${r.last100.medianMs} ms, mean ${r.last100.meanMs} ms; medians ` +
        `per tenth ${r.decileMedianMs.join(", ")} ms; load average ${r.loadAvg.join(" → ")}`,
    },
  ];
  return { rows, details: r };
}

/** Scenario 12 for the bench's main: it starts embedded servers of its own. */
export const migrateTask: ScenarioGroup = {
  ids: [12],
  async run(ctx: BenchContext) {
    const s = await migrateScenario({ orgs: ctx.quick ? 200 : undefined, log: console.error });
    ctx.rows.push(...s.rows);
    ctx.details.scenario12 = s.details;
  },
};

if (import.meta.main) {
  const orgsArg = Deno.args.find((a) => a.startsWith("--orgs="));
  const { rows, details } = await migrateScenario({
    orgs: orgsArg ? Number(orgsArg.slice(7)) : undefined,
    log: (line) => console.error(line),
  });
  console.log(JSON.stringify({ rows, details }, null, 2));
}
