import { assert, assertEquals } from "../support/assert.ts";
import { JobLost, runClaimedJob, startJobRunner } from "../../src/ops/job-runner.ts";
import { claimJob, enqueueJob, getJob, listJobs, toJobView, touchJob } from "../../src/ops/jobs.ts";
import { createTestApp, dbTest } from "../support/app.ts";
import { waitUntil } from "../../tools/lib/wait.ts";

const waitFor = (cond: () => Promise<boolean>, what: string) =>
  waitUntil(cond, what, { timeoutMs: 10_000, intervalMs: 25 });

Deno.test(
  "20 queued jobs and 50 concurrent claimers: each job is claimed exactly once",
  dbTest,
  async () => {
    await using app = await createTestApp();
    const master = app.deps.db.master;
    const now = new Date();
    const queued = new Set<string>();
    for (let i = 0; i < 20; i++) queued.add((await enqueueJob(master, "count", { i }, now)).id);
    const claims = await Promise.all(
      Array.from(
        { length: 50 },
        (_, i) =>
          claimJob(master, { holder: `claimer-${i}`, leaseMs: 60_000, now, kinds: ["count"] }),
      ),
    );
    const won = claims.filter((c) => c !== null);
    const ids = won.map((j) => j!.id);
    assertEquals(new Set(ids).size, ids.length, "a job was claimed by two claimers");
    assertEquals(ids.length, 20, "every queued job was claimed");
    for (const id of ids) assert(queued.has(id));
    // What the database says agrees: each job running, held by the one claimer that won it.
    for (const j of won) {
      const stored = await getJob(master, j!.id);
      assertEquals(stored?.status, "running");
      assertEquals(stored?.holder, j!.holder);
      assertEquals(stored?.attempts, 1);
    }
  },
);

Deno.test(
  "a job whose holder stops heartbeating is resumed by another instance from its state",
  dbTest,
  async () => {
    await using a = await createTestApp();
    await using b = await createTestApp({ sameDatabaseAs: a });
    const master = a.deps.db.master;
    const job = await enqueueJob(master, "steps", { steps: 5 }, new Date(), { total: 5 });
    const leaseMs = 300;
    const claimed = await claimJob(master, {
      holder: a.deps.instanceId,
      leaseMs,
      now: new Date(),
      kinds: ["steps"],
    });
    assertEquals(claimed?.id, job.id);
    // Instance A does two steps and dies (its signal aborts as a crash would: nothing more).
    const crash = new AbortController();
    const outcomeA = await runClaimedJob(a.deps, claimed!, async (ctx) => {
      for (let i = (ctx.job.state.done as number | undefined) ?? 0; i < 5; i++) {
        await ctx.save({ state: { done: i + 1 }, progress: { done: i + 1, total: 5 } });
        if (i === 1) {
          crash.abort();
          ctx.signal.throwIfAborted();
        }
      }
    }, { leaseMs, signal: crash.signal });
    assertEquals(outcomeA, "abandoned");
    assertEquals((await getJob(master, job.id))?.status, "running");
    assertEquals((await getJob(master, job.id))?.progress, { done: 2, total: 5 });

    // Before the lease expires nobody else may claim it.
    assertEquals(
      await claimJob(master, { holder: "x", leaseMs, now: new Date(), kinds: ["steps"] }),
      null,
    );
    // B's runner claims it once the lease has expired and resumes at step 3.
    const started: number[] = [];
    const stop = startJobRunner(b.deps, {
      steps: async (ctx) => {
        const from = (ctx.job.state.done as number | undefined) ?? 0;
        started.push(from);
        for (let i = from; i < 5; i++) {
          await ctx.save({ state: { done: i + 1 }, progress: { done: i + 1, total: 5 } });
        }
      },
    }, { leaseMs, pollMs: 50 });
    try {
      await waitFor(async () => (await getJob(master, job.id))?.status === "succeeded", "B");
    } finally {
      await stop();
    }
    assertEquals(started, [2]);
    const done = await getJob(master, job.id);
    assertEquals(done?.progress, { done: 5, total: 5 });
    assertEquals(done?.attempts, 2);
    // A's late heartbeat finds the job no longer its own.
    assertEquals(
      await touchJob(master, job.id, a.deps.instanceId, { leaseMs, now: new Date() }),
      false,
    );
  },
);

Deno.test(
  "a failing job records its error; a lost lease stops the holder; list and get show jobs",
  dbTest,
  async () => {
    await using app = await createTestApp();
    await using other = await createTestApp({ sameDatabaseAs: app });
    const master = app.deps.db.master;
    const failing = await enqueueJob(master, "boom", {}, new Date());
    const stop = startJobRunner(app.deps, {
      boom: () => Promise.reject(new Error("The disk is full")),
    }, { pollMs: 50 });
    try {
      await waitFor(async () => (await getJob(master, failing.id))?.status === "failed", "fail");
    } finally {
      await stop();
    }
    const failed = await getJob(master, failing.id);
    assertEquals(failed?.error, "The disk is full");
    assertEquals(failed?.holder, undefined);

    // The holder whose lease was taken over hears it at its next save and stops.
    const job = await enqueueJob(master, "slow", {}, new Date());
    const claimed = await claimJob(master, {
      holder: app.deps.instanceId,
      leaseMs: 1,
      now: new Date(),
      kinds: ["slow"],
    });
    await new Promise((r) => setTimeout(r, 10));
    const taken = await claimJob(master, {
      holder: other.deps.instanceId,
      leaseMs: 60_000,
      now: new Date(),
      kinds: ["slow"],
    });
    assertEquals(taken?.id, job.id);
    let lost: unknown;
    const outcome = await runClaimedJob(app.deps, claimed!, async (ctx) => {
      try {
        await ctx.save({ progress: { done: 1, total: 2 } });
      } catch (e) {
        lost = e;
        throw e;
      }
    }, { leaseMs: 60_000 });
    assertEquals(outcome, "abandoned");
    assert(lost instanceof JobLost);
    assertEquals((await getJob(master, job.id))?.holder, other.deps.instanceId);

    // Newest first, filtered by kind and status; the admin view has the API's fields only.
    const all = await listJobs(master, { limit: 10 });
    assertEquals(all.map((j) => j.id), [job.id, failing.id]);
    assertEquals((await listJobs(master, { kind: "boom", limit: 10 })).map((j) => j.id), [
      failing.id,
    ]);
    assertEquals((await listJobs(master, { status: "running", limit: 10 })).map((j) => j.id), [
      job.id,
    ]);
    assertEquals(Object.keys(toJobView(failed!)).sort(), [
      "createdAt",
      "error",
      "id",
      "kind",
      "progress",
      "status",
      "updatedAt",
    ]);
    assertEquals(await getJob(master, "not-an-id"), null);
  },
);
