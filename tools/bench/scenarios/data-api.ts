/**
 * Scenario 5: the document API against the same work done through the driver directly, on the
 * same embedded server in the same run (issue 13, "Performance"):
 * - get-by-id and a filtered list of 20 on an indexed field (≥ 0.5× and ≥ 0.4× direct);
 * - insert (≥ 0.5× direct `insertOne`) and a batch of 500 (≥ 0.5× direct `insertMany`);
 * - p50 of the filtered list with 1,000 and with 100,000 documents in the collection (≤ 1.5×).
 *
 * The API is driven by wrk; the direct side by the same number of concurrent callers of the
 * driver in this process, each op as the service would issue it.
 */
import { type Collection, type Db, type Document, MongoClient, ObjectId } from "mongodb";
import { STAMP } from "../../../src/data/sanitize.ts";
import type { BenchContext, ScenarioGroup } from "../context.ts";
import { type Load, load as measure, percentile, round2, row, timed, wrkLine } from "../measure.ts";
import type { Child } from "../processes.ts";
import type { Row } from "../report.ts";
import { expectApi } from "../seed.ts";
import { runWrk, type WrkResult } from "../wrk.ts";

export const DATA_BARS = { get: 0.5, list: 0.4, insert: 0.5, batch: 0.5, flat: 1.5 };
const LOAD = { threads: 1, connections: 8 };
const PROBE = { threads: 1, connections: 4, delayMs: 10 };
const SMALL = 1_000;

export interface DataApiOptions {
  app: Child;
  token: string;
  slug: string;
  /** The org's own database, through a driver of this process. */
  db: Db;
  durationS: number;
  warmS: number;
  /** Documents of the large collection (100,000; fewer in a quick run). */
  large: number;
  log?: (line: string) => void;
}

/** A document of the seeded collections: `k` has exactly 20 documents per value. */
const seedDoc = (i: number) => ({
  _id: new ObjectId(),
  k: Math.floor(i / 20),
  name: `item ${i}`,
  email: `user${i}@example.com`,
  active: i % 2 === 0,
  score: i % 97,
  [STAMP]: new ObjectId(),
});

const newDoc = (i: number) => ({
  name: `new ${i}`,
  email: `new${i}@example.com`,
  tags: ["a", "b"],
  score: i % 97,
});

async function seed(col: Collection, from: number, to: number): Promise<void> {
  for (let i = from; i < to; i += 1000) {
    const docs = [];
    for (let j = i; j < Math.min(to, i + 1000); j++) docs.push(seedDoc(j));
    await col.insertMany(docs, { ordered: false });
  }
}

/** `concurrency` callers of `op` for `durationS`: ops/s and latency percentiles. */
async function direct(
  id: string,
  op: (n: number) => Promise<unknown>,
  durationS: number,
  warmS: number,
  concurrency = LOAD.connections,
) {
  const run = async (s: number) => {
    const until = performance.now() + s * 1000;
    const latencies: number[] = [];
    let n = 0;
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (performance.now() < until) {
        const t0 = performance.now();
        await op(n++);
        latencies.push(performance.now() - t0);
      }
    }));
    return latencies;
  };
  if (warmS > 0) await run(warmS);
  const latencies = await timed(id, () => run(durationS));
  return {
    rps: round2(latencies.length / durationS),
    p50Ms: round2(percentile(latencies, 50)),
    p99Ms: round2(percentile(latencies, 99)),
  };
}

function directRow(id: string, name: string, r: Awaited<ReturnType<typeof direct>>, s: number) {
  return {
    id,
    name,
    status: "ok" as const,
    rps: r.rps,
    p50Ms: r.p50Ms,
    p99Ms: r.p99Ms,
    errors: 0,
    load: `${LOAD.connections} concurrent driver calls for ${s} s, in the bench process`,
  };
}

function apiRow(id: string, name: string, r: Load, ceiling: Row, bar: number): Row {
  const ratio = round2((r.w.rps ?? 0) / (ceiling.rps ?? 1));
  return {
    ...row(id, name, r),
    ceiling: ceiling.id,
    ratio,
    bar: `≥ ${bar.toFixed(2)} ×`,
    pass: ratio >= bar,
  };
}

export async function measureDataApi(o: DataApiOptions): Promise<Row[]> {
  const { app, token, slug, db, durationS: d, warmS: w } = o;
  const log = o.log ?? (() => {});
  const rows: Row[] = [];
  const base = app.url;
  const path = (name: string) => `/v1/orgs/${slug}/collections/${name}`;
  for (const name of ["bench", "writes", "large"]) {
    await expectApi(201, base, "POST", `/v1/orgs/${slug}/collections`, {
      token,
      body: { name, indexes: [{ fields: { k: 1 } }] },
    });
  }
  const bench = db.collection("bench");
  await seed(bench, 0, SMALL);
  const one = await bench.findOne({ k: 7 });
  const id = one!._id as ObjectId;
  const filter = encodeURIComponent(JSON.stringify({ k: 7 }));
  const listPath = `${path("bench")}/documents?filter=${filter}&limit=20`;
  await expectApi(200, base, "GET", `${path("bench")}/documents/${id.toHexString()}`, { token });
  const listed = await expectApi(200, base, "GET", listPath, { token });
  if (listed.body.items.length !== 20) throw new Error("the filtered list should have 20 items");

  // 5a: get by id.
  const getDirect = directRow(
    "5a-d",
    "direct: findOne({ _id })",
    await direct("5a-d", () => bench.findOne({ _id: id }), d, w),
    d,
  );
  const getApi = await measure(
    "5a",
    app,
    `${path("bench")}/documents/${id.toHexString()}`,
    {
      ...LOAD,
      token,
    },
    d,
    w,
  );
  rows.push(
    getDirect,
    apiRow("5a", "GET …/documents/{documentId}", getApi, getDirect, DATA_BARS.get),
  );
  log(`  5a: ${getApi.w.rps} req/s vs ${getDirect.rps} direct`);

  // 5b: a filtered list of 20 on an indexed field. The direct side runs the page's query (a
  // page is in `_id` order); unsorted, FerretDB stops reading at the 20th match instead of
  // reading every match to sort them, which row 5b-u shows.
  const pageQuery = () =>
    bench.find({ k: 7 }, { projection: { [STAMP]: 0 } }).sort({ _id: 1 }).limit(21).toArray();
  const listDirect = directRow(
    "5b-d",
    "direct: find({ k }).sort({ _id: 1 }).limit(21), the page's query",
    await direct("5b-d", pageQuery, d, w),
    d,
  );
  const unsorted = directRow(
    "5b-u",
    "direct: find({ k }).limit(20), unsorted (for comparison, no bar)",
    await direct("5b-u", () => bench.find({ k: 7 }).limit(20).toArray(), d, w),
    d,
  );
  const listApi = await measure("5b", app, listPath, { ...LOAD, token }, d, w);
  rows.push(
    listDirect,
    unsorted,
    apiRow(
      "5b",
      "GET …/documents?filter={k}&limit=20 (indexed)",
      listApi,
      listDirect,
      DATA_BARS.list,
    ),
  );
  log(`  5b: ${listApi.w.rps} req/s vs ${listDirect.rps} direct`);

  // 5c: insert one document.
  const writes = db.collection("writes");
  const insertDirect = directRow(
    "5c-d",
    "direct: insertOne",
    await direct("5c-d", (n) => writes.insertOne({ ...newDoc(n), [STAMP]: new ObjectId() }), d, w),
    d,
  );
  const insertApi = await measure(
    "5c",
    app,
    `${path("writes")}/documents`,
    {
      ...LOAD,
      token,
      method: "POST",
      body: JSON.stringify(newDoc(0)),
    },
    d,
    w,
  );
  rows.push(
    insertDirect,
    apiRow("5c", "POST …/documents", insertApi, insertDirect, DATA_BARS.insert),
  );
  log(`  5c: ${insertApi.w.rps} req/s vs ${insertDirect.rps} direct`);

  // 5d: a batch of 500, fewer callers (each request carries 500 documents).
  const batch = Array.from({ length: 500 }, (_, i) => newDoc(i));
  const batchLoad = { threads: 1, connections: 2 };
  const batchDirect = directRow(
    "5d-d",
    "direct: insertMany of 500",
    await direct(
      "5d-d",
      () => writes.insertMany(batch.map((b) => ({ ...b, [STAMP]: new ObjectId() }))),
      d,
      w,
      batchLoad.connections,
    ),
    d,
  );
  batchDirect.load = `${batchLoad.connections} concurrent driver calls for ${d} s`;
  const batchApi = await measure(
    "5d",
    app,
    `${path("writes")}/documents/batch`,
    {
      ...batchLoad,
      token,
      method: "POST",
      body: JSON.stringify({ documents: batch }),
      timeoutS: 30,
    },
    d,
    w,
  );
  rows.push(
    batchDirect,
    apiRow("5d", "POST …/documents/batch (500 documents)", batchApi, batchDirect, DATA_BARS.batch),
  );
  log(`  5d: ${batchApi.w.rps} req/s vs ${batchDirect.rps} direct`);

  // 5e: p50 of the filtered list as the collection grows: the same list on `bench` (1,000
  // documents) and on `large` (seeded to o.large), both with the index on `k`, measured in
  // alternating rounds once both exist, so a slow spell of the machine (or of the database's own
  // background work after the bulk load) falls on both; the ratio is the median of the rounds'.
  const large = db.collection("large");
  const t0 = performance.now();
  await seed(large, 0, o.large);
  const seedS = Math.round((performance.now() - t0) / 100) / 10;
  log(`  5e: seeded ${o.large} documents in ${seedS} s; alternating rounds`);
  const probe = async (name: string, label: string, seconds: number) => {
    const url = `${base}${path(name)}/documents?filter=${filter}&limit=20`;
    return await timed(
      label,
      () => runWrk({ ...PROBE, url, token, timeoutS: 60, durationS: seconds }),
    );
  };
  await probe("bench", `5e·${SMALL}`, w);
  await probe("large", `5e·${o.large}`, w);
  const rounds: { small: WrkResult; big: WrkResult }[] = [];
  for (let r = 0; r < 3; r++) {
    const smallRound = await probe("bench", `5e·${SMALL}`, d);
    rounds.push({ small: smallRound, big: await probe("large", `5e·${o.large}`, d) });
  }
  const median = <T>(xs: T[], key: (x: T) => number) =>
    [...xs].sort((a, b) => key(a) - key(b))[Math.floor(xs.length / 2)];
  const mid = median(rounds, (x) => x.big.p50Ms / x.small.p50Ms);
  const small = mid.small;
  const big = mid.big;
  const ratio = round2(big.p50Ms / small.p50Ms);
  const probeLine = wrkLine(PROBE, d);
  const failed = (w: WrkResult) => Object.values(w.errors).reduce((a, b) => a + b, 0);
  // A p50 of requests that all failed or timed out is no measurement.
  const measured = big.requests > 0 && small.requests > 0 && failed(big) + failed(small) === 0;
  rows.push(
    {
      id: `5e·${SMALL}`,
      name: `GET filtered list of 20 (indexed), ${SMALL.toLocaleString("en-US")} documents`,
      status: "ok",
      rps: small.rps,
      p50Ms: small.p50Ms,
      p99Ms: small.p99Ms,
      errors: failed(small),
      load: probeLine,
    },
    {
      id: `5e·${o.large}`,
      name: `GET filtered list of 20 (indexed), ${o.large.toLocaleString("en-US")} documents`,
      status: "ok",
      rps: big.rps,
      p50Ms: big.p50Ms,
      p99Ms: big.p99Ms,
      errors: failed(big),
      ceiling: `5e·${SMALL}`,
      ratio,
      bar: `p50 ≤ ${DATA_BARS.flat.toFixed(2)} ×`,
      pass: measured && ratio <= DATA_BARS.flat,
      load: `${probeLine}, 3 rounds alternating with 5e·${SMALL} (the median round's ratio); ` +
        `${o.large} documents seeded in ${seedS} s straight into the database` +
        (measured ? "" : `; ${big.requests} answers, ${failed(big)} failed`),
    },
  );
  log(`  5e: p50 ${big.p50Ms} ms with ${o.large} documents (${ratio}×)`);
  return rows;
}

/** The org's database name, read from the master database (the bench seeds straight into it). */
export async function orgDatabase(master: Db, slug: string): Promise<string> {
  const org = await master.collection<Document>("orgs").findOne({ slug });
  if (!org) throw new Error(`no org ${slug}`);
  return org.databaseName as string;
}

async function run(ctx: BenchContext): Promise<void> {
  const { quick, ferret, config, account, timing: T } = ctx;
  const client = new MongoClient(ferret.uri);
  ctx.defer(() => client.close());
  const db = client.db(await orgDatabase(client.db(config.masterDb), account.slug));
  ctx.rows.push(
    ...await measureDataApi({
      app: ctx.service,
      token: ctx.token,
      slug: account.slug,
      db,
      // --quick runs in `deno task ok`: short loads, a large collection of 5,000.
      durationS: quick ? 2 : 10,
      warmS: T.warmS,
      large: quick ? 5_000 : 100_000,
      log: console.error,
    }),
  );
}

/** Scenario 5 for the bench's main. */
export const dataApi: ScenarioGroup = { ids: [5], run };
