/**
 * Scenario 8: `POST /v1/orgs` latency (sequential, normal bcrypt cost) with 100, 1,000 and
 * 5,000 orgs already present, seeded in bulk straight into the master database.
 */
import { type BulkSeed, expectApi, randomPassword, seedOrgs } from "./seed.ts";

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

/** Nearest-rank percentile. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil(p / 100 * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

const round1 = (n: number) => Math.round(n * 10) / 10;

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
  const orgs = seed.master.collection("orgs");
  const results: CreationLevel[] = [];
  let seeded = 0;
  let created = 0;
  const create = async () => {
    const n = ++created;
    const t0 = performance.now();
    await expectApi(201, base, "POST", "/v1/orgs", {
      body: {
        name: `Bench New ${n}`,
        admin: { email: `bench-new-${n}@bench.example`, password: randomPassword() },
      },
    });
    return performance.now() - t0;
  };
  await create(); // warm-up: first use of the route and the migrations
  for (const level of levels) {
    const t0 = performance.now();
    const missing = level - await orgs.countDocuments();
    if (missing > 0) {
      await seedOrgs(seed, seeded, missing);
      seeded += missing;
    }
    const seedS = round1((performance.now() - t0) / 1000);
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
