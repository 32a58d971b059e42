import { MongoServerError } from "mongodb";
import { assert, assertEquals } from "../support/assert.ts";
import { toAppError } from "../../src/http/problem.ts";
import { createLogger, lineWriter } from "../../src/platform/log.ts";
import { createTestApp, dbTest } from "../support/app.ts";

Deno.test(
  "a duplicate key from the database server itself is logged without the key",
  dbTest,
  async () => {
    await using app = await createTestApp();
    const users = app.deps.db.master.collection("users");
    await users.insertOne({ email: "twice@example.com" });
    const lines: string[] = [];
    const log = createLogger("debug", (line) => lines.push(line));
    const err = await users.insertOne({ email: "twice@example.com" }).then(() => null, (e) => e);
    assert(err instanceof MongoServerError && err.code === 11000);
    toAppError(err, log);
    assert(!lines.join("\n").includes("twice@"), "the email reached the log");
  },
);

Deno.test("info lines are written together once per turn of the event loop, in order", () => {
  const out: string[] = [];
  const err: string[] = [];
  const turns: (() => void)[] = [];
  const w = lineWriter({ out: (t) => out.push(t), err: (t) => err.push(t) }, (f) => turns.push(f));
  const log = createLogger("info", w.write);
  log.info("request", { n: 1 });
  log.info("request", { n: 2 });
  log.debug("not at info");
  log.info("request", { n: 3 });
  assertEquals(out, [], "written before the turn ended");
  assertEquals(turns.length, 1, "one write per turn");
  turns.shift()!();
  assertEquals(out.length, 1);
  assertEquals(out[0].split("\n").slice(0, -1).map((l) => JSON.parse(l).n), [1, 2, 3]);
  assert(out[0].endsWith("\n"));
  assertEquals(err, []);
});

Deno.test("a warning is written at once, after the info lines logged before it", () => {
  const written: string[] = [];
  const turns: (() => void)[] = [];
  const w = lineWriter(
    { out: (t) => written.push(`out ${t}`), err: (t) => written.push(`err ${t}`) },
    (f) => turns.push(f),
  );
  w.write("first", "info");
  w.write("second", "warn");
  assertEquals(written, ["out first\n", "err second\n"]);
  turns.forEach((f) => f());
  assertEquals(written.length, 2, "nothing written twice");
  // A failing stdout (closed) loses the lines, not the request that logged them.
  const failing = lineWriter({
    out: () => {
      throw new Error("closed");
    },
    err: () => {},
  }, (f) => f());
  failing.write("lost", "info");
});

Deno.test("the service's logger writes what it gathered when the process exits", async () => {
  const code = `import { createLogger } from "${new URL(
    "../../src/platform/log.ts",
    import.meta.url,
  )}";
    const log = createLogger("info");
    log.info("before exit", { n: 1 });
    Deno.exit(0);`;
  const out = await new Deno.Command(Deno.execPath(), { args: ["eval", code], stdin: "null" })
    .output();
  const lines = new TextDecoder().decode(out.stdout).trim().split("\n");
  assertEquals(lines.map((l) => JSON.parse(l).msg), ["before exit"]);
});
