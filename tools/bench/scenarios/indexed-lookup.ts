/**
 * Scenario 9: an equality lookup on an indexed field through the driver, in a collection of
 * 1,000 and of 50,000 documents. With the lookup served by an index the two cost about the
 * same; a scan grows with the collection.
 */
import { type Db, MongoClient } from "mongodb";
import type { BenchContext, ScenarioGroup } from "../context.ts";
import { percentile, ratioRows, round2 } from "../measure.ts";

const SIZES = [1_000, 50_000];
/** The larger collection's p50 at most this many times the smaller's. */
export const LOOKUP_BAR = 2;

export interface LookupLevel {
  docs: number;
  samples: number;
  p50Ms: number;
  p99Ms: number;
}

/** Time `samples` sequential lookups of distinct keys; p50 and p99 in ms. */
export async function timeLookups(
  samples: number,
  lookup: (i: number) => Promise<unknown>,
): Promise<{ p50Ms: number; p99Ms: number }> {
  await lookup(0); // warm-up: connection, plan
  const times: number[] = [];
  for (let i = 1; i <= samples; i++) {
    const t0 = performance.now();
    const found = await lookup(i);
    times.push(performance.now() - t0);
    if (!found) throw new Error(`lookup ${i} found nothing`);
  }
  return { p50Ms: round2(percentile(times, 50)), p99Ms: round2(percentile(times, 99)) };
}

export async function measureIndexedLookup(
  db: Db,
  sizes: number[],
  samples: number,
): Promise<LookupLevel[]> {
  const coll = db.collection("lookup");
  await coll.createIndex({ email: 1 }, { unique: true });
  const results: LookupLevel[] = [];
  let count = 0;
  for (const size of sizes) {
    for (; count < size; count += 1000) {
      const docs = [];
      for (let n = count; n < Math.min(count + 1000, size); n++) {
        docs.push({ email: `user-${n}@bench.example`, n, name: `User ${n}` });
      }
      await coll.insertMany(docs, { ordered: false });
    }
    count = size;
    // Keys spread over the whole collection, each looked up once.
    const step = Math.floor(size / (samples + 1));
    const r = await timeLookups(
      samples,
      (i) => coll.findOne({ email: `user-${i * step}@bench.example` }),
    );
    results.push({ docs: size, samples, ...r });
  }
  return results;
}

async function run(ctx: BenchContext): Promise<void> {
  const client = new MongoClient(ctx.ferret.uri);
  ctx.defer(() => client.close());
  const levels = await measureIndexedLookup(
    client.db("bench_lookup"),
    SIZES,
    ctx.timing.samples * 5,
  );
  ctx.details.indexedLookup = levels;
  ctx.rows.push(...ratioRows("9", "indexed equality lookup (driver)", "docs", levels, LOOKUP_BAR));
}

/** Scenario 9 for the bench's main. */
export const indexedLookup: ScenarioGroup = { ids: [9], run };
