/**
 * Moving an org between two embedded servers (scenario 11 of `deno task bench`; alone:
 * `deno run --allow-all tools/bench/scenarios/move.ts [--docs=N]`).
 *
 * An org holding 20,000 documents in three collections with indexes is moved by the move job
 * (src/ops/move/) while a client keeps writing to it. Compared with a direct copy between the
 * same two servers (find in `_id` order, `insertMany` in batches of the same size, the same
 * indexes): the move's throughput counts the time of its own work (copy, catch-up rounds, the
 * final sync and verification), not the waits it makes on purpose (one cache period after
 * marking the org, the grace before the final sync, one after the switch). Bars: at least half
 * the direct copy's documents per second; writes unavailable under 2 s.
 */
import { type Db, ObjectId } from "mongodb";
import { closeDeps, createDeps, ensureMasterIndexes } from "../../../src/bootstrap.ts";
import { startFerretDB } from "../../../src/platform/embedded/ferretdb.ts";
import { runClaimedJob } from "../../../src/ops/job-runner.ts";
import { claimJob, getJob } from "../../../src/ops/jobs.ts";
import {
  DEFAULT_STAMP_FIELD,
  moveJobHandler,
  type MoveState,
  requestMove,
} from "../../../src/ops/move/mod.ts";
import { loadConfig } from "../../../src/platform/config.ts";
import type { Deps } from "../../../src/platform/deps.ts";
import { AppError } from "../../../src/platform/errors.ts";
import { createLogger } from "../../../src/platform/log.ts";
import { createOrg } from "../../../src/tenants/provisioning.ts";
import { visibleOrg, writableOrg } from "../../../src/tenants/visibility.ts";
import { findOrgById } from "../../../src/tenants/orgs.ts";
import type { BenchContext, ScenarioGroup } from "../context.ts";
import type { Row } from "../report.ts";

export const MOVE_BARS = { throughputRatio: 0.5, writeUnavailableMs: 2000 };
const COLLECTIONS = ["events", "items", "people"];
const BATCH = 1000;

export interface MoveBenchResult {
  documents: number;
  direct: { ms: number; docsPerS: number };
  move: {
    /** The move's own work: copy, catch-up, final sync and verification. */
    workMs: number;
    docsPerS: number;
    copyMs: number;
    copyDocsPerS: number;
    /** From the request to the job's end, waits included. */
    wallMs: number;
    writeUnavailableMs: number;
    timings: Record<string, number>;
  };
  writer: { acknowledged: number; refused: number };
  ratio: number;
}

function doc(collection: string, v: number) {
  const _id = new ObjectId();
  const hex = _id.toHexString();
  const fields = collection === "items"
    ? { sku: `sku-${hex}` }
    : collection === "people"
    ? { email: `${hex}@example.com`, age: v % 90 }
    : { at: new Date(), kind: ["a", "b", "c"][v % 3] };
  return { _id, v, ...fields, payload: "x".repeat(64), [DEFAULT_STAMP_FIELD]: new ObjectId() };
}

async function createIndexes(db: Db): Promise<void> {
  await db.collection("items").createIndex({ sku: 1 }, { unique: true, name: "sku_unique" });
  await db.collection("people").createIndex({ email: 1 }, { unique: true, name: "email_unique" });
  await db.collection("people").createIndex({ age: -1 }, { name: "age" });
  await db.collection("events").createIndex({ at: -1, kind: 1 }, { name: "at_kind" });
}

async function seed(db: Db, documents: number): Promise<void> {
  await createIndexes(db);
  const per = Math.ceil(documents / COLLECTIONS.length);
  for (const name of COLLECTIONS) {
    for (let i = 0; i < per; i += BATCH) {
      const n = Math.min(BATCH, per - i);
      await db.collection(name).insertMany(Array.from({ length: n }, (_, j) => doc(name, i + j)));
    }
  }
}

/** The baseline: every collection read in `_id` order and inserted in batches, then indexed. */
async function directCopy(source: Db, target: Db): Promise<number> {
  const t0 = performance.now();
  for (const name of COLLECTIONS) {
    const cursor = source.collection(name).find({}).sort({ _id: 1 }).batchSize(BATCH);
    let batch = [];
    for await (const d of cursor) {
      batch.push(d);
      if (batch.length === BATCH) {
        await target.collection(name).insertMany(batch, { ordered: false });
        batch = [];
      }
    }
    if (batch.length) await target.collection(name).insertMany(batch, { ordered: false });
  }
  await createIndexes(target);
  return performance.now() - t0;
}

/** A client writing to the org as the document API would (the org checked before each write). */
function startWriter(deps: Deps, orgId: string) {
  let running = true;
  let acknowledged = 0;
  let refused = 0;
  let n = 1_000_000;
  // Updates go by `_id` to documents this writer inserted, as a client's would.
  const inserted = new Map(COLLECTIONS.map((c) => [c, [] as ObjectId[]]));
  const loop = (async () => {
    while (running) {
      const name = COLLECTIONS[n % COLLECTIONS.length];
      try {
        const org = await writableOrg(deps, await visibleOrg(deps, { id: orgId }));
        const col = deps.db.tenantDb(org).collection(name);
        const mine = inserted.get(name)!;
        if (n % 2 || !mine.length) {
          const d = doc(name, n);
          await col.insertOne(d);
          mine.push(d._id);
        } else {
          await col.updateOne({ _id: mine[n % mine.length] }, {
            $set: { touched: n, [DEFAULT_STAMP_FIELD]: new ObjectId() },
          });
        }
        acknowledged++;
      } catch (e) {
        if (!(e instanceof AppError) || e.code !== "org_maintenance") throw e;
        refused++;
        await new Promise((r) => setTimeout(r, 20));
      }
      n++;
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  return {
    get acknowledged() {
      return acknowledged;
    },
    get refused() {
      return refused;
    },
    async stop() {
      running = false;
      await loop;
    },
  };
}

/** Measure one move of an org of `documents` documents; `log` gets progress lines. */
export async function measureMove(
  opts: { documents?: number; log?: (line: string) => void } = {},
): Promise<MoveBenchResult> {
  const documents = opts.documents ?? 20_000;
  const say = opts.log ?? (() => {});
  const tmp = await Deno.makeTempDir({ prefix: "orgservice-bench-move-" });
  // As root the embedded PostgreSQL runs as its own user (orgservice-db), who must reach the servers' folders in it.
  if (Deno.uid() === 0) await Deno.chmod(tmp, 0o711);
  const a = await startFerretDB({ dataDir: `${tmp}/a`, log: () => {} });
  const b = await startFerretDB({ dataDir: `${tmp}/b`, log: () => {} });
  const config = loadConfig({
    MONGO_CLUSTERS: JSON.stringify({ b: b.uri }),
    MASTER_DB: "bench_move",
    TENANT_DB_PREFIX: "bm_",
    JWT_SECRET: crypto.randomUUID() + crypto.randomUUID(),
    BCRYPT_COST: "4",
    HASH_WORKERS: "1",
    LOG_LEVEL: "warn",
    ORG_CREATE_LIMIT: "0",
  });
  const deps = createDeps({ config, uri: a.uri, log: createLogger("warn", () => {}) });
  try {
    await ensureMasterIndexes(deps.db);
    const { org } = await createOrg(deps, {
      name: "Moving Bench",
      owner: { kind: "new-user", email: "mover@example.com", password: "bench-password-1234567" },
      cluster: "default",
    }, { ip: "127.0.0.1" });
    const source = deps.db.tenantDb(org);
    say(`seeding ${documents} documents`);
    await seed(source, documents);

    say("direct copy");
    const direct = deps.db.clients.b.db("bench_direct_copy");
    await direct.dropDatabase();
    const directMs = await directCopy(source, direct);
    await direct.dropDatabase();

    // Seeded documents older than the move's allowance for clock skew, as an org's data is.
    await new Promise((r) => setTimeout(r, 3000));
    const writer = startWriter(deps, org.id);
    say("move");
    const t0 = performance.now();
    const job = await requestMove(deps, org.slug, "b", { ip: "internal", requestId: "bench" });
    const claimed = await claimJob(deps.db.master, {
      holder: deps.instanceId,
      leaseMs: 30_000,
      now: deps.now(),
      kinds: [job.kind],
      id: job.id,
    });
    if (!claimed) throw new Error("could not claim the move job");
    const outcome = await runClaimedJob(deps, claimed, moveJobHandler({ batchSize: BATCH }));
    const wallMs = performance.now() - t0;
    await writer.stop();
    const done = await getJob(deps.db.master, job.id);
    if (outcome !== "succeeded" || !done) throw new Error(`the move ${outcome}: ${done?.error}`);
    const moved = await findOrgById(deps.db.master, org.id);
    if (moved?.cluster !== "b") throw new Error("the org did not end on b");
    const state = done.state as MoveState;
    const timings = state.timings ?? {};
    const waits = new Set(["propagationWaitMs", "graceMs"]);
    const workMs = Object.entries(timings)
      .filter(([k]) => k.endsWith("Ms") && !waits.has(k))
      .reduce((s, [, v]) => s + v, 0);
    const copyMs = timings.copyMs ?? workMs;
    const perS = (ms: number) => Math.round(documents / (ms / 1000));
    const result: MoveBenchResult = {
      documents,
      direct: { ms: Math.round(directMs), docsPerS: perS(directMs) },
      move: {
        workMs,
        docsPerS: perS(workMs),
        copyMs,
        copyDocsPerS: perS(copyMs),
        wallMs: Math.round(wallMs),
        writeUnavailableMs: state.writeUnavailableMs ?? NaN,
        timings,
      },
      writer: { acknowledged: writer.acknowledged, refused: writer.refused },
      ratio: Math.round(perS(workMs) / perS(directMs) * 100) / 100,
    };
    await deps.db.clients.b.db(org.databaseName).dropDatabase();
    return result;
  } finally {
    await closeDeps(deps);
    await a.stop();
    await b.stop();
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}

/** The scenario's rows for the bench's report. */
export async function moveScenario(
  opts: { documents?: number; log?: (line: string) => void } = {},
): Promise<{ rows: Row[]; details: MoveBenchResult }> {
  const r = await measureMove(opts);
  const docs = r.documents.toLocaleString("en-US");
  const rows: Row[] = [
    {
      id: "11c",
      name: `ceiling: direct copy of ${docs} documents between two servers (insertMany)`,
      status: "ok",
      rps: r.direct.docsPerS,
      load: `find in _id order, insertMany of ${BATCH}, 4 indexes after: ${r.direct.ms} ms`,
    },
    {
      id: "11",
      name: `move an org of ${docs} documents, documents/s of its work`,
      status: "ok",
      rps: r.move.docsPerS,
      ceiling: "11c",
      ratio: r.ratio,
      bar: `≥ ${MOVE_BARS.throughputRatio.toFixed(2)} ×`,
      pass: r.ratio >= MOVE_BARS.throughputRatio,
      load: `work ${r.move.workMs} ms (copy ${r.move.copyMs} ms: ${r.move.copyDocsPerS} docs/s), ` +
        `${r.move.wallMs} ms with its deliberate waits; a client wrote meanwhile ` +
        `(${r.writer.acknowledged} acknowledged, ${r.writer.refused} refused); ` +
        `phases ${JSON.stringify(r.move.timings)}`,
    },
    {
      id: "11w",
      name: `writes unavailable during the move's switch (${docs} documents)`,
      status: "ok",
      p50Ms: r.move.writeUnavailableMs,
      bar: `< ${MOVE_BARS.writeUnavailableMs} ms`,
      pass: r.move.writeUnavailableMs < MOVE_BARS.writeUnavailableMs,
    },
  ];
  return { rows, details: r };
}

/** Scenario 11 for the bench's main: it starts embedded servers of its own. */
export const orgMove: ScenarioGroup = {
  ids: [11],
  async run(ctx: BenchContext) {
    const s = await moveScenario({ documents: ctx.quick ? 5000 : undefined, log: console.error });
    ctx.rows.push(...s.rows);
    ctx.details.scenario11 = s.details;
  },
};

if (import.meta.main) {
  const docsArg = Deno.args.find((a) => a.startsWith("--docs="));
  const { rows, details } = await moveScenario({
    documents: docsArg ? Number(docsArg.slice(7)) : undefined,
    log: (line) => console.error(line),
  });
  console.log(JSON.stringify({ rows, details }, null, 2));
}
