/**
 * Scenario 10: one embedded deployment growing to 10,000 orgs (each with its tenant database,
 * made by the service's own migrations). At each level: org creation (`POST /v1/orgs`), an
 * uncached org lookup (`GET /v1/orgs/{slug}` of a seeded org not asked for before), and
 * login's email lookup (the service's `findUserByEmail` on the master database); at the end,
 * the embedded server's open files and memory (FerretDB's process and every postgres process).
 */
import { type Db, MongoClient } from "mongodb";
import { findUserByEmail } from "../../../src/identity/users.ts";
import type { BenchContext, ScenarioGroup } from "../context.ts";
import { LOOKUP_BAR, timeLookups } from "./indexed-lookup.ts";
import { percentile, ratioRows, round1 } from "../measure.ts";
import { type BulkSeed, bulkSeed, expectApi, orgCreator, seedUpTo } from "../seed.ts";

const LEVELS = [100, 1_000, 10_000];
/** The largest level's p50 of creation and of an org lookup at most this many times the first's. */
const ORGS_BAR = 1.5;

export interface ScaleLevel {
  orgs: number;
  /** Time to seed up to this level (s). */
  seedS: number;
  samples: number;
  create: { p50Ms: number; p99Ms: number };
  orgLookup: { p50Ms: number; p99Ms: number };
  emailLookup: { p50Ms: number; p99Ms: number };
}

export interface ServerFootprint {
  processes: number;
  openFiles: number;
  /** Proportional set size summed over the processes (shared memory counted once), MiB. */
  pssMiB: number;
  /** FerretDB's own process: resident and peak (MiB). */
  ferretdbRssMiB: number;
  ferretdbPeakRssMiB: number;
}

/** `pid` and all its descendants. */
function processTree(pid: number): number[] {
  const parent = new Map<number, number>();
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${e.name}/stat`);
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      parent.set(Number(e.name), Number(f[1]));
    } catch { /* gone */ }
  }
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) {
    for (const [child, p] of parent) if (p === tree[i]) tree.push(child);
  }
  return tree;
}

function kib(path: string, field: string): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(Deno.readTextFileSync(path));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

export function footprint(serverPid: number): ServerFootprint {
  const pids = processTree(serverPid);
  let openFiles = 0;
  let pss = 0;
  for (const pid of pids) {
    try {
      openFiles += [...Deno.readDirSync(`/proc/${pid}/fd`)].length;
    } catch { /* gone */ }
    pss += kib(`/proc/${pid}/smaps_rollup`, "Pss");
  }
  return {
    processes: pids.length,
    openFiles,
    pssMiB: round1(pss / 1024),
    ferretdbRssMiB: round1(kib(`/proc/${serverPid}/status`, "VmRSS") / 1024),
    ferretdbPeakRssMiB: round1(kib(`/proc/${serverPid}/status`, "VmHWM") / 1024),
  };
}

export interface ScaleOptions {
  base: string;
  seed: BulkSeed;
  master: Db;
  levels: number[];
  samples: number;
  onLevel?: (level: ScaleLevel) => void;
}

const stats = (times: number[]) => ({
  p50Ms: round1(percentile(times, 50)),
  p99Ms: round1(percentile(times, 99)),
});

export async function measureScale(o: ScaleOptions): Promise<ScaleLevel[]> {
  const { base, seed, levels, samples } = o;
  const results: ScaleLevel[] = [];
  const create = orgCreator(base, "Scale");
  await create(); // warm-up: first use of the route and the migrations
  // Seeded orgs are numbered from 0 (scenario 8 may have seeded some already); each lookup
  // takes one never asked for (so never cached).
  let looked = 0;
  const tag = (n: number) => String(n).padStart(6, "0");
  for (const level of levels) {
    const step = await seedUpTo(seed, level);
    const seeded = step.seeded;
    const seedS = step.seconds;
    const times: number[] = [];
    for (let i = 0; i < samples; i++) times.push(await create());
    // Spread over everything seeded so far, skipping those already asked for.
    const picks = Array.from(
      { length: samples + 1 },
      (_, i) => Math.floor((i + 0.5) * seeded / (samples + 1)),
    ).map((n) => (n + looked++) % seeded);
    const orgLookup = await timeLookups(
      samples,
      (i) => expectApi(200, base, "GET", `/v1/orgs/seed-${tag(picks[i])}`),
    );
    const emailLookup = await timeLookups(
      samples,
      (i) => findUserByEmail(o.master, `seed-${tag(picks[i])}@bench.example`),
    );
    const r: ScaleLevel = {
      orgs: level,
      seedS,
      samples,
      create: stats(times),
      orgLookup,
      emailLookup,
    };
    o.onLevel?.(r);
    results.push(r);
  }
  return results;
}

async function run(ctx: BenchContext): Promise<void> {
  const { config, ferret, quick } = ctx;
  const client = new MongoClient(ferret.uri);
  ctx.defer(() => client.close());
  const seed = await bulkSeed(client, config, !quick);
  // Scenario 8 may have seeded orgs already: this one seeds from where that stopped.
  const levels = await measureScale({
    base: ctx.service.url,
    seed,
    master: seed.master,
    levels: LEVELS,
    samples: ctx.timing.samples,
    onLevel: (l) =>
      console.error(
        `  10: ${l.orgs} orgs (seeded in ${l.seedS} s): create p50 ${l.create.p50Ms} ms, ` +
          `org lookup ${l.orgLookup.p50Ms} ms, email lookup ${l.emailLookup.p50Ms} ms`,
      ),
  });
  const server = footprint(ferret.pid);
  ctx.details.scale = { levels, server, tenantDbs: !quick };
  const at = (k: "create" | "orgLookup" | "emailLookup") =>
    levels.map((l) => ({ orgs: l.orgs, samples: l.samples, ...l[k] }));
  ctx.rows.push(
    ...ratioRows("10c", "POST /v1/orgs", "orgs", at("create"), ORGS_BAR),
    ...ratioRows("10o", "GET /v1/orgs/{slug} uncached", "orgs", at("orgLookup"), ORGS_BAR),
    ...ratioRows(
      "10e",
      "login's email lookup (findUserByEmail)",
      "orgs",
      at("emailLookup"),
      LOOKUP_BAR,
    ),
  );
  ctx.notes.push(
    `10: the embedded server at ${LEVELS[LEVELS.length - 1].toLocaleString("en-US")} ` +
      `orgs${quick ? " (no tenant DBs)" : ""}: ${server.openFiles} open files over ` +
      `${server.processes} processes (FerretDB and postgres), ${server.pssMiB} MiB PSS ` +
      `in all; FerretDB's process ${server.ferretdbRssMiB} MiB RSS (peak ` +
      `${server.ferretdbPeakRssMiB} MiB)`,
  );
}

/** Scenario 10 for the bench's main. */
export const scale: ScenarioGroup = { ids: [10], run };
