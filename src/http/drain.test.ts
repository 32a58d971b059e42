import { assert, assertEquals } from "../../tests/support/assert.ts";
import { sleep } from "../platform/async.ts";
import { freePort } from "../platform/embedded/ferretdb.ts";
import { drainable } from "./drain.ts";

/** A server over `drainable` whose requests wait until `release` is called. */
function slowServer() {
  const { promise: released, resolve: release } = Promise.withResolvers<void>();
  let taken = 0;
  const gate = drainable(
    async () => {
      taken++;
      await released;
      return new Response("served");
    },
    () => new Response("stopping", { status: 503 }),
  );
  const port = freePort();
  const server = Deno.serve({ port, hostname: "127.0.0.1", onListen() {} }, gate.fetch);
  const url = `http://127.0.0.1:${port}/`;
  const get = async () => {
    const res = await fetch(url);
    return `${res.status} ${await res.text()}`;
  };
  return { gate, server, get, release, taken: () => taken };
}

Deno.test("drain: requests under way are served, new ones get the stopping answer", async () => {
  const s = slowServer();
  try {
    const first = [s.get(), s.get()];
    while (s.taken() < 2) await sleep(5);
    let drained = false;
    const draining = s.gate.drain(10_000).then((left) => {
      drained = true;
      return left;
    });
    assertEquals(await s.get(), "503 stopping");
    assert(!drained, "the drain waits for the requests under way");
    s.release();
    assertEquals(await Promise.all(first), ["200 served", "200 served"]);
    assertEquals(await draining, 0);
    assertEquals(s.taken(), 2, "the request that came during the drain was not served");
  } finally {
    s.release();
    await s.server.shutdown();
  }
});

Deno.test("drain: with nothing under way it ends at once; past its grace it says what is left", async () => {
  const idle = slowServer();
  try {
    assertEquals(await idle.gate.drain(10_000), 0);
  } finally {
    await idle.server.shutdown();
  }
  const stuck = slowServer();
  try {
    const first = stuck.get();
    while (stuck.taken() < 1) await sleep(5);
    assertEquals(await stuck.gate.drain(50), 1);
    stuck.release();
    assertEquals(await first, "200 served");
  } finally {
    stuck.release();
    await stuck.server.shutdown();
  }
});
