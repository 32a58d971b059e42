import { assert, assertEquals, assertRejects } from "../../tests/support/assert.ts";
import { laterWork, pause, repeat, sleep, withTimeout } from "./async.ts";

Deno.test("sleep() rejects with the signal's reason when it aborts during the wait", async () => {
  const stop = new AbortController();
  const started = performance.now();
  const waiting = sleep(10_000, stop.signal);
  stop.abort(new Error("stopped"));
  await assertRejects(() => waiting, "stopped");
  assert(performance.now() - started < 1000, "no timer left to wait for");
});

Deno.test("sleep() of no time resolves at once, even after an abort", async () => {
  const stop = new AbortController();
  stop.abort(new Error("stopped"));
  await sleep(0, stop.signal);
  await sleep(-5);
});

Deno.test("pause() resolves early, without an error, when the signal aborts", async () => {
  const stop = new AbortController();
  const started = performance.now();
  const waiting = pause(10_000, stop.signal);
  stop.abort();
  await waiting;
  await pause(10_000, stop.signal); // already aborted: no wait at all
  assert(performance.now() - started < 1000);
});

Deno.test("withTimeout() gives the value in time, else null, and ignores a late failure", async () => {
  assertEquals(await withTimeout(Promise.resolve(7), 1000), 7);
  let fail!: (e: Error) => void;
  const late = new Promise<number>((_, reject) => fail = reject);
  assertEquals(await withTimeout(late, 10), null);
  fail(new Error("too late to matter")); // no unhandled rejection
  await assertRejects(() => withTimeout(Promise.reject(new Error("early")), 1000), "early");
});

Deno.test("repeat() never starts a run while one is under way, and its stop waits for it", async () => {
  let running = 0;
  let most = 0;
  let runs = 0;
  const errors: unknown[] = [];
  // Each run lasts far longer than the interval: a timer per interval would overlap them.
  const stop = repeat(5, async () => {
    running++;
    most = Math.max(most, running);
    await sleep(40);
    running--;
    if (++runs === 2) throw new Error("a failed run");
  }, (e) => errors.push(e));
  while (runs < 4) await sleep(10);
  await stop();
  assertEquals(most, 1, "one run at a time");
  assertEquals(running, 0, "stop() resolved after the run under way ended");
  assertEquals(errors.map((e) => (e as Error).message), ["a failed run"]);
  const after = runs;
  await sleep(60);
  assertEquals(runs, after, "no run after stop()");
});

Deno.test("laterWork(): a task runs after the current turn; settled() waits for it and any it runs", async () => {
  const later = laterWork();
  const order: string[] = [];
  later.run(async () => {
    order.push("first");
    await sleep(30);
    later.run(async () => {
      await sleep(30);
      order.push("second, run by the first");
    }, () => {});
  }, () => {});
  order.push("answer");
  assertEquals(await later.settled(5_000), 0);
  assertEquals(order, ["answer", "first", "second, run by the first"]);
});

Deno.test("laterWork(): a failure goes to its handler; settled() gives up after its time", async () => {
  const later = laterWork();
  const errors: unknown[] = [];
  later.run(() => Promise.reject(new Error("boom")), (e) => errors.push(e));
  assertEquals(await later.settled(1_000), 0);
  assertEquals(errors.map((e) => (e as Error).message), ["boom"]);
  const { promise: never, resolve } = Promise.withResolvers<void>();
  later.run(() => never, () => {});
  assertEquals(await later.settled(50), 1, "one task still under way");
  resolve();
  assertEquals(await later.settled(1_000), 0);
});
