import { assertEquals, assertRejects } from "../../tests/support/assert.ts";
import { createCache } from "./cache.ts";

Deno.test("createCache() keeps a value for its TTL, then loads again", async () => {
  let now = 0;
  let loads = 0;
  const cache = createCache(5000, () => now);
  const get = () => cache.get("k", () => Promise.resolve({ value: ++loads, tags: ["user:1"] }));
  assertEquals(await get(), 1);
  now = 4999;
  assertEquals(await get(), 1);
  now = 5000;
  assertEquals(await get(), 2);
});

Deno.test("forget() drops every entry with the tag, and only those", async () => {
  const cache = createCache(5000, () => 0);
  let n = 0;
  const get = (key: string, tags: string[]) =>
    cache.get(key, () => Promise.resolve({ value: ++n, tags }));
  await get("a", ["org:1", "user:1"]);
  await get("b", ["org:2"]);
  cache.forget("org:1");
  assertEquals(await get("a", ["org:1"]), 3);
  assertEquals(await get("b", ["org:2"]), 2);
});

Deno.test("a load that began before a forget is not cached after it", async () => {
  const cache = createCache(5000, () => 0);
  let release = () => {};
  const slow = cache.get<string>(
    "k",
    () =>
      new Promise<{ value: string; tags: string[] }>((r) =>
        release = () => r({ value: "stale", tags: ["session:1"] })
      ),
  );
  cache.forget("session:1");
  release();
  assertEquals(await slow, "stale");
  assertEquals(await cache.get("k", () => Promise.resolve({ value: "fresh", tags: [] })), "fresh");
});

Deno.test("concurrent misses share one load; failures are not cached", async () => {
  const cache = createCache(5000, () => 0);
  let loads = 0;
  const load = () =>
    new Promise<{ value: number; tags: string[] }>((r) =>
      setTimeout(() => r({ value: ++loads, tags: [] }), 5)
    );
  const [a, b] = await Promise.all([cache.get("k", load), cache.get("k", load)]);
  assertEquals([a, b, loads], [1, 1, 1]);
  await assertRejects(() => cache.get("bad", () => Promise.reject(new Error("nope"))), "nope");
  assertEquals(await cache.get("bad", () => Promise.resolve({ value: "ok", tags: [] })), "ok");
});

Deno.test("the TTL counts from when a load started, so a slow load does not stretch it", async () => {
  let now = 0;
  const cache = createCache(5000, () => now);
  let loads = 0;
  // The load reads the database at 0 and answers at 4,000: what it read is already 4 s old.
  const slow = () =>
    new Promise<{ value: number; tags: string[] }>((r) => {
      loads++;
      now += 4000;
      r({ value: loads, tags: [] });
    });
  assertEquals(await cache.get("k", slow), 1);
  now = 4999;
  assertEquals(await cache.get("k", slow), 1, "within 5 s of the load's start");
  now = 5000;
  assertEquals(await cache.get("k", slow), 2, "5 s after the load started, not after it ended");
  // A load slower than the TTL is not cached at all.
  now = 10_000;
  const slower = () =>
    new Promise<{ value: number; tags: string[] }>((r) => {
      now += 6000;
      r({ value: ++loads, tags: [] });
    });
  assertEquals(await cache.get("j", slower), 3);
  assertEquals(await cache.get("j", slower), 4);
});
