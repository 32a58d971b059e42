/**
 * Moving an org between two embedded servers while a client keeps writing through the driver,
 * stamping each write with a fresh ObjectId the way the document API does.
 */
import { type Db, ObjectId } from "mongodb";
import { assert, assertEquals } from "../support/assert.ts";
import { startTestServer } from "../support/server.ts";
import { waitUntil } from "../../tools/lib/wait.ts";
import type { MoveStep } from "../../src/platform/deps.ts";
import { AppError } from "../../src/platform/errors.ts";
import { runClaimedJob, startJobRunner } from "../../src/ops/job-runner.ts";
import { claimJob, getJob } from "../../src/ops/jobs.ts";
import { MOVE_JOB, moveJobHandler, requestMove } from "../../src/ops/move/mod.ts";
import { verify } from "../support/move-verify.ts";
import { visibleOrg } from "../../src/tenants/visibility.ts";
import { assertWritable } from "../../src/tenants/org-status.ts";
import { writableOrg } from "../../src/tenants/visibility.ts";
import { findOrgById } from "../../src/tenants/orgs.ts";
import { noteMoveDeletion } from "../../src/tenants/move-deletions.ts";
import { createOrgAndLogin, createTestApp, dbTest, type TestApp } from "../support/app.ts";

const STAMP = "_stamp";
const COLLECTIONS = ["events", "items", "people"];
/** Documents in the org when the move starts (20,000 in the benchmark; fewer keeps this quick). */
const DOCS = Number(Deno.env.get("MOVE_TEST_DOCS") ?? 6000);
const rand = () => crypto.randomUUID().slice(0, 8);
/** Who asks for the moves here, for the audit log. */
const CTX = { ip: "127.0.0.1", requestId: "req-move" };

async function withTwoServers(fn: (app: TestApp, writer: TestApp) => Promise<void>) {
  await using b = await startTestServer();
  // Short cache: the move waits one cache period after marking the org and after the switch.
  const env = { MONGO_CLUSTERS: JSON.stringify({ b: b.uri }), AUTH_CACHE_TTL_MS: "500" };
  await using app = await createTestApp({ env });
  await using writer = await createTestApp({ env, sameDatabaseAs: app });
  try {
    await fn(app, writer);
  } finally {
    // A failed assertion leaves the writer running: stop it before its clients close.
    for (const w of writers) await w.stop().catch(() => {});
    writers.clear();
    for (
      const name of (await app.deps.db.clients.b.db("admin").admin().listDatabases()).databases
    ) {
      if (name.name.startsWith(app.config.tenantDbPrefix)) {
        await app.deps.db.clients.b.db(name.name).dropDatabase();
      }
    }
  }
}

/** What every acknowledged write says each collection holds: `_id` → value. */
type Model = Map<string, Map<string, number>>;

async function seed(db: Db, perCollection: number): Promise<Model> {
  const model: Model = new Map();
  await db.collection("items").createIndex({ sku: 1 }, { unique: true, name: "sku_unique" });
  await db.collection("people").createIndex({ email: 1 }, { unique: true, name: "email_unique" });
  await db.collection("people").createIndex({ age: -1 }, { name: "age" });
  await db.collection("events").createIndex({ at: -1, kind: 1 }, { name: "at_kind" });
  for (const name of COLLECTIONS) {
    const m = new Map<string, number>();
    for (let i = 0; i < perCollection; i += 1000) {
      const docs = Array.from({ length: Math.min(1000, perCollection - i) }, (_, j) => {
        const _id = new ObjectId();
        m.set(_id.toHexString(), i + j);
        return doc(name, _id, i + j);
      });
      await db.collection(name).insertMany(docs);
    }
    model.set(name, m);
  }
  return model;
}

function doc(collection: string, _id: ObjectId, v: number) {
  const hex = _id.toHexString();
  const fields = collection === "items"
    ? { sku: `sku-${hex}` }
    : collection === "people"
    ? { email: `${hex}@example.com`, age: v % 90 }
    : { at: new Date(), kind: ["a", "b", "c"][v % 3] };
  return { _id, v, ...fields, payload: "x".repeat(64), [STAMP]: new ObjectId() };
}

/**
 * A client that keeps writing (inserts, updates, deletes) as the document API would: the org
 * from the cache, `writableOrg` before each write, a fresh stamp on each. Records every
 * acknowledged write in the model, and when writes were refused.
 */
const writers = new Set<{ stop(): Promise<void> }>();

function startWriter(t: TestApp, orgId: string, model: Model) {
  let running = true;
  const refusals: number[] = [];
  let acknowledged = 0;
  let firstOnTargetAt: number | undefined;
  let n = 1_000_000;
  const loop = (async () => {
    while (running) {
      const name = COLLECTIONS[n % 3];
      const m = model.get(name)!;
      try {
        const cached = await visibleOrg(t.deps, { id: orgId });
        const org = await writableOrg(t.deps, cached);
        const col = t.deps.db.tenantDb(org).collection(name);
        const op = n % 5;
        if (op < 2 || m.size < 10) {
          const _id = new ObjectId();
          await col.insertOne(doc(name, _id, n));
          m.set(_id.toHexString(), n);
        } else {
          const hex = [...m.keys()][n % m.size];
          if (op < 4) {
            await col.updateOne({ _id: new ObjectId(hex) }, {
              $set: { v: n, [STAMP]: new ObjectId() },
            });
            m.set(hex, n);
          } else {
            // Noted first while the org is being moved, as the document API does.
            if (org.move) {
              await noteMoveDeletion(t.deps.db.master, org.move.jobId, {
                collection: name,
                documentId: new ObjectId(hex),
              });
            }
            await col.deleteOne({ _id: new ObjectId(hex) });
            m.delete(hex);
          }
        }
        acknowledged++;
        if (org.cluster === "b" && firstOnTargetAt === undefined) firstOnTargetAt = Date.now();
      } catch (e) {
        if (!(e instanceof AppError) || e.code !== "org_maintenance") throw e;
        assertEquals(e.extra.headers?.["Retry-After"], "2");
        refusals.push(Date.now());
        await new Promise((r) => setTimeout(r, 20));
      }
      n++;
      await new Promise((r) => setTimeout(r, 2));
    }
  })();
  const writer = {
    refusals,
    get acknowledged() {
      return acknowledged;
    },
    get firstOnTargetAt() {
      return firstOnTargetAt;
    },
    async stop() {
      running = false;
      await loop;
    },
  };
  writers.add(writer);
  return writer;
}

async function assertHolds(db: Db, model: Model) {
  for (const name of COLLECTIONS) {
    const docs = await db.collection(name).find({}, { projection: { v: 1 } }).toArray();
    const found = new Map(docs.map((d) => [d._id.toHexString(), d.v as number]));
    const want = model.get(name)!;
    assertEquals(found.size, want.size, `${name}: document count`);
    for (const [id, v] of want) {
      assertEquals(found.get(id), v, `${name}: acknowledged write to ${id}`);
    }
  }
  const indexes = async (name: string) =>
    (await db.collection(name).listIndexes().toArray()).map((ix) => ix.name).sort();
  assertEquals(await indexes("items"), ["_id_", "sku_unique"]);
  assertEquals(await indexes("people"), ["_id_", "age", "email_unique"]);
  assertEquals(await indexes("events"), ["_id_", "at_kind"]);
}

async function databasesOn(t: TestApp, cluster: string): Promise<string[]> {
  const { databases } = await t.deps.db.clients[cluster].db("admin").admin().listDatabases({
    nameOnly: true,
  });
  return databases.map((d) => d.name).filter((n) => n.startsWith(t.config.tenantDbPrefix));
}

async function waitForJob(t: TestApp, id: string) {
  let job: Awaited<ReturnType<typeof getJob>> = null;
  await waitUntil(
    async () => {
      job = await getJob(t.deps.db.master, id);
      return job?.status === "succeeded" || job?.status === "failed";
    },
    "the move to finish",
    { timeoutMs: 300_000, intervalMs: 50 },
  );
  return job!;
}

Deno.test(
  `moving an org of ${DOCS} documents while a client writes: nothing lost, writes refused only during the switch`,
  dbTest,
  async () => {
    await withTwoServers(async (app, writerApp) => {
      const owner = await createOrgAndLogin(app, `Moving ${rand()}`);
      const org = (await findOrgById(app.deps.db.master, owner.org.id))!;
      assertEquals(org.cluster, "default");
      const model = await seed(app.deps.db.tenantDb(org), Math.ceil(DOCS / 3));
      // Seeded documents older than the stamps' allowance for clock skew, as an org's data is.
      await new Promise((r) => setTimeout(r, 3000));
      // The source as it was, to compare the copy's indexes and checksums against at the end.
      const writer = startWriter(writerApp, org.id, model);
      const job = await requestMove(app.deps, org.slug, "b", CTX);
      const stop = startJobRunner(app.deps, {
        [MOVE_JOB]: moveJobHandler({ stampField: STAMP, batchSize: 500 }),
      }, { pollMs: 50 });
      let done;
      try {
        done = await waitForJob(app, job.id);
        // Keep writing a little on the new deployment.
        const target = writer.acknowledged + 20;
        while (writer.acknowledged < target) await new Promise((r) => setTimeout(r, 10));
      } finally {
        await writer.stop();
        await stop();
      }
      assertEquals(done.status, "succeeded", done.error);
      const moved = (await findOrgById(app.deps.db.master, org.id))!;
      assertEquals(moved.cluster, "b");
      assertEquals(moved.move, undefined);
      assertEquals(moved.maintenance, undefined);
      // On exactly one deployment: the source database is gone.
      assert(!(await databasesOn(app, "default")).includes(org.databaseName));
      assert((await databasesOn(app, "b")).includes(org.databaseName));
      await assertHolds(app.deps.db.tenantDb(moved), model);
      // Reads work after the move through the API (the audit log lives in the moved database).
      const audit = await app.client(owner.token).v1.orgs[":slug"].audit.$get({
        param: { slug: org.slug },
        query: {},
      });
      assertEquals(audit.status, 200);
      assertEquals(
        ((await audit.json()) as { items: { type: string }[] }).items.at(-1)?.type,
        "org.created",
      );
      // Refusals happened only inside the maintenance, before the first write to the target.
      const state = done.state as { maintenanceSince: Date; writeUnavailableMs: number };
      for (const t of writer.refusals) {
        assert(t >= state.maintenanceSince.getTime(), "a write was refused before the maintenance");
        assert(writer.firstOnTargetAt && t <= writer.firstOnTargetAt, "refused after the switch");
      }
      console.log(
        `moved ${DOCS} documents: ${writer.acknowledged} acknowledged writes meanwhile, ` +
          `${writer.refusals.length} refused; writes unavailable for ${state.writeUnavailableMs} ms ` +
          JSON.stringify((done.state as { timings: unknown }).timings),
      );
    });
  },
);

for (
  const crashAt of [
    { step: "copy-batch", nth: 2, what: "mid-copy" },
    { step: "caught-up", nth: 1, what: "mid-catch-up" },
    { step: "maintenance", nth: 1, what: "mid-switch, in maintenance" },
    { step: "verified", nth: 1, what: "mid-switch, verified" },
    { step: "switched", nth: 1, what: "after the switch, before the drop" },
  ] as { step: MoveStep; nth: number; what: string }[]
) {
  Deno.test(
    `a move that crashes ${crashAt.what} resumes on another instance, nothing lost`,
    dbTest,
    async () => {
      await withTwoServers(async (app, writerApp) => {
        const owner = await createOrgAndLogin(app, `Crashing ${rand()}`);
        const org = (await findOrgById(app.deps.db.master, owner.org.id))!;
        const model = await seed(app.deps.db.tenantDb(org), 600);
        const writer = startWriter(writerApp, org.id, model);
        const job = await requestMove(app.deps, org.slug, "b", CTX);
        // Instance A claims the move and dies at the step.
        let seen = 0;
        const crash = new AbortController();
        const crashed = await createTestApp({
          sameDatabaseAs: app,
          env: {
            MONGO_CLUSTERS: JSON.stringify({ b: app.config.clusters.b }),
            AUTH_CACHE_TTL_MS: "500",
          },
          hooks: {
            afterMoveStep(step) {
              if (step === crashAt.step && ++seen === crashAt.nth) crash.abort();
            },
          },
        });
        const leaseMs = 600;
        const handler = moveJobHandler({ stampField: STAMP, batchSize: 200 });
        try {
          const claimed = await claimJob(app.deps.db.master, {
            holder: crashed.deps.instanceId,
            leaseMs,
            now: new Date(),
            kinds: [MOVE_JOB],
            id: job.id,
          });
          assert(claimed);
          const outcome = await runClaimedJob(crashed.deps, claimed, handler, {
            leaseMs,
            signal: crash.signal,
          });
          assertEquals(outcome, "abandoned");
        } finally {
          await crashed.close({ drop: false });
        }
        // Meanwhile the org is readable where it lives (the writer keeps writing, so the exact
        // contents are checked at the end).
        const during = (await findOrgById(app.deps.db.master, org.id))!;
        assertEquals(during.cluster, crashAt.step === "switched" ? "b" : "default");
        const live = app.deps.db.tenantDb(during);
        for (const name of COLLECTIONS) {
          assert(await live.collection(name).countDocuments() > 500, `${name} readable`);
        }
        // Instance B resumes once the lease has run out.
        const stop = startJobRunner(app.deps, { [MOVE_JOB]: handler }, { leaseMs, pollMs: 50 });
        let done;
        try {
          done = await waitForJob(app, job.id);
        } finally {
          await writer.stop();
          await stop();
        }
        assertEquals(done.status, "succeeded", done.error);
        assert(done.attempts >= 2, "resumed by another claim");
        const moved = (await findOrgById(app.deps.db.master, org.id))!;
        assertEquals(moved.cluster, "b");
        assertEquals(moved.move, undefined);
        assert(!(await databasesOn(app, "default")).includes(org.databaseName));
        await assertHolds(app.deps.db.tenantDb(moved), model);
      });
    },
  );
}

Deno.test(
  "a move that fails before the switch gives up: the org stays, writable, where it was",
  dbTest,
  async () => {
    await withTwoServers(async (app) => {
      const owner = await createOrgAndLogin(app, `Stays ${rand()}`);
      const org = (await findOrgById(app.deps.db.master, owner.org.id))!;
      const model = await seed(app.deps.db.tenantDb(org), 300);
      const job = await requestMove(app.deps, org.slug, "b", CTX);
      // An error (not a crash) in maintenance, once the copy is complete.
      await using tamper = await createTestApp({
        sameDatabaseAs: app,
        env: { MONGO_CLUSTERS: JSON.stringify({ b: app.config.clusters.b }) },
        hooks: {
          afterMoveStep(step) {
            if (step === "maintenance") throw new Error("The target deployment ran out of disk");
          },
        },
      });
      const stop = startJobRunner(tamper.deps, {
        [MOVE_JOB]: moveJobHandler({ stampField: STAMP }),
      }, { pollMs: 50 });
      try {
        const done = await waitForJob(app, job.id);
        assertEquals(done.status, "failed");
        assertEquals(done.error, "The target deployment ran out of disk");
      } finally {
        await stop();
      }
      const after = (await findOrgById(app.deps.db.master, org.id))!;
      assertEquals(after.cluster, "default");
      assertEquals(after.move, undefined);
      assertWritable(after);
      assert(!(await databasesOn(app, "b")).includes(org.databaseName));
      await assertHolds(app.deps.db.tenantDb(after), model);
      // Requests for a move are checked: unknown deployment, already there, in progress.
      const code = async (p: Promise<unknown>) => {
        try {
          await p;
        } catch (e) {
          return e instanceof AppError ? e.code : String(e);
        }
        return "accepted";
      };
      assertEquals(
        await code(requestMove(app.deps, org.slug, "nowhere", CTX)),
        "validation_failed",
      );
      assertEquals(await code(requestMove(app.deps, org.slug, "default", CTX)), "already_there");
      assertEquals(await code(requestMove(app.deps, "no-such-org", "b", CTX)), "org_not_found");
      await requestMove(app.deps, org.slug, "b", CTX);
      assertEquals(await code(requestMove(app.deps, org.slug, "b", CTX)), "move_in_progress");
    });
  },
);

Deno.test("verify() compares counts, checksums and indexes", dbTest, async () => {
  await withTwoServers(async (app) => {
    const a = app.deps.db.clients.default.db(`${app.config.tenantDbPrefix}verify`);
    const b = app.deps.db.clients.b.db(`${app.config.tenantDbPrefix}verify`);
    const docs = Array.from(
      { length: 50 },
      (_, i) => ({ _id: new ObjectId(), i, [STAMP]: new ObjectId() }),
    );
    await a.collection("c").insertMany(docs);
    await b.collection("c").insertMany(docs);
    assertEquals(await verify(a, b, STAMP), null);
    await b.collection("c").updateOne({ _id: docs[3]._id }, { $set: { [STAMP]: new ObjectId() } });
    assertEquals(await verify(a, b, STAMP), "c: checksums differ");
    await b.collection("c").deleteOne({ _id: docs[3]._id });
    assertEquals(await verify(a, b, STAMP), "c: 50 documents vs 49");
    await b.collection("c").insertOne(docs[3]);
    assertEquals(await verify(a, b, STAMP), null);
    await a.collection("c").createIndex({ i: 1 }, { name: "i" });
    assertEquals(await verify(a, b, STAMP), "c: indexes differ");
    await a.dropDatabase();
    await b.dropDatabase();
  });
});
