/**
 * Scenario 8: `POST /v1/orgs` latency (sequential, normal bcrypt cost) with 100, 1,000 and
 * 5,000 orgs already present, seeded in bulk straight into the master database.
 */
import { MongoClient } from "mongodb";
import type { BenchContext, ScenarioGroup } from "../context.ts";
import { percentile, round1, round2, timed as timedWindow, watch } from "../measure.ts";
import { procMemMiB } from "../processes.ts";
import { type BulkSeed, bulkSeed, orgCreator, seedUpTo } from "../seed.ts";

const LEVELS = [100, 1000, 5000];
const BAR = 1.5;

export interface CreationLevel {
  orgs: number;
  /** Whether the seeded orgs have their tenant databases. */
  tenantDbs: boolean;
  /** Time to seed up to this level (s). */
  seedS: number;
  samples: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
}

export interface CreationOptions {
  base: string;
  seed: BulkSeed;
  levels: number[];
  samples: number;
  onLevel?: (level: CreationLevel) => void;
  /** Wraps each level's creates (main.ts records their time range for the CPU profile). */
  timed?: <T>(id: string, f: () => Promise<T>) => Promise<T>;
}

export async function measureOrgCreation(o: CreationOptions): Promise<CreationLevel[]> {
  const { base, seed, levels, samples } = o;
  const timed = o.timed ?? (<T>(_id: string, f: () => Promise<T>) => f());
  const results: CreationLevel[] = [];
  const create = orgCreator(base, "Bench");
  await create(); // warm-up: first use of the route and the migrations
  for (const level of levels) {
    const step = await seedUpTo(seed, level);
    const seedS = step.seconds;
    const times: number[] = [];
    await timed(`8·${level}`, async () => {
      for (let i = 0; i < samples; i++) times.push(await create());
    });
    const r: CreationLevel = {
      orgs: level,
      tenantDbs: seed.withTenantDbs,
      seedS,
      samples,
      p50Ms: round1(percentile(times, 50)),
      p99Ms: round1(percentile(times, 99)),
      meanMs: round1(times.reduce((a, b) => a + b, 0) / times.length),
    };
    o.onLevel?.(r);
    results.push(r);
  }
  return results;
}

function openFilesLimit(pid: number): number {
  try {
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(
      Deno.readTextFileSync(`/proc/${pid}/limits`),
    );
    return !m || m[1] === "unlimited" ? Infinity : Number(m[1]);
  } catch {
    return 0;
  }
}

async function run(ctx: BenchContext): Promise<void> {
  const { config, ferret, service, quick, notes, rows, details } = ctx;
  const client = new MongoClient(ferret.uri);
  ctx.defer(() => client.close());
  const limit = openFilesLimit(ferret.pid);
  const withTenantDbs = !quick;
  if (quick) {
    notes.push(
      "8: --quick seeds org documents, users and memberships only, without tenant databases; " +
        "the full run creates them too",
    );
  }
  // CPU of the service and of FerretDB while each level's creates run: who is busy.
  const usage: Record<string, { service: number; ferretdb: number }> = {};
  const svc = watch(service.pid);
  const db = watch(ferret.pid);
  const levels = await measureOrgCreation({
    base: service.url,
    seed: await bulkSeed(client, config, withTenantDbs),
    levels: LEVELS,
    samples: ctx.timing.samples,
    onLevel: (l) =>
      console.error(`  8: ${l.orgs} orgs: p50 ${l.p50Ms} ms (seeded in ${l.seedS} s)`),
    timed: async (id, f) => {
      svc.take();
      db.take();
      const r = await timedWindow(id, f);
      usage[id] = { service: svc.take().cpuPct, ferretdb: db.take().cpuPct };
      return r;
    },
  });
  svc.stop();
  db.stop();
  details.orgCreation = levels.map((l) => ({ ...l, cpuPct: usage[`8·${l.orgs}`] }));
  const first = levels[0];
  for (const l of levels) {
    const ratio = round2(l.p50Ms / first.p50Ms);
    const last = l === levels[levels.length - 1];
    const cpu = usage[`8·${l.orgs}`];
    rows.push({
      id: `8·${l.orgs}`,
      name: `POST /v1/orgs with ${l.orgs.toLocaleString("en-US")} orgs present` +
        (l.tenantDbs ? "" : " (no tenant DBs)"),
      status: "ok",
      p50Ms: l.p50Ms,
      p99Ms: l.p99Ms,
      errors: 0,
      cpuPct: cpu?.service,
      ceiling: `8·${first.orgs}`,
      ratio,
      load: `${l.samples} sequential creates after seeding ${l.seedS} s; CPU meanwhile: ` +
        `service ${cpu?.service}%, FerretDB ${cpu?.ferretdb}%`,
      ...(last ? { bar: `p50 ≤ ${BAR.toFixed(2)} ×`, pass: ratio <= BAR } : {}),
    });
  }
  details.ferretdb = {
    peakRssMiB: procMemMiB(ferret.pid, "VmHWM"),
    openFiles: [...Deno.readDirSync(`/proc/${ferret.pid}/fd`)].length,
    openFilesLimit: limit,
  };
}

/** Scenario 8 for the bench's main. */
export const orgCreation: ScenarioGroup = { ids: [8], run };
