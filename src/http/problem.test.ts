import { MongoServerError } from "mongodb";
import { assert, assertEquals, assertMatch } from "../../tests/support/assert.ts";
import { createLogger, describeError } from "../platform/log.ts";
import { toAppError } from "./problem.ts";

/** A duplicate-key error as MongoDB sends it (FerretDB leaves the key out of its message). */
const mongoDuplicate = (email: string) =>
  new MongoServerError({
    ok: 0,
    code: 11000,
    codeName: "DuplicateKey",
    errmsg: "E11000 duplicate key error collection: orgservice.users index: email_unique " +
      `dup key: { email: "${email}" }`,
    keyPattern: { email: 1 },
    keyValue: { email },
  });

Deno.test("duplicate-key errors are logged without the key's value", () => {
  const lines: string[] = [];
  const log = createLogger("debug", (line) => lines.push(line));
  const e = toAppError(mongoDuplicate("victim@example.com"), log, "req-1");
  assertEquals(e.status, 500);
  assertEquals(lines.length, 1);
  assert(!lines[0].includes("victim"), `the email reached the log: ${lines[0]}`);
  assertMatch(lines[0], /email_unique/, "the index that failed is still named");
  const described = describeError(mongoDuplicate("a}b@example.com"));
  assert(!JSON.stringify(described).includes("example.com"));
});

Deno.test("regression: an operation cut off by the database stopping is 503, not 500", () => {
  // What FerretDB and MongoDB answer to operations in flight while they stop (a canceled
  // context was seen in the outage test as a 500 on GET /v1/orgs/{slug}/members), and the
  // errors FerretDB passes on from PostgreSQL when it ends a session at shutdown (57P01) or
  // refuses a connection while down.
  const cutOff = [
    {
      code: 1,
      errmsg: "[query_iterator.go:117 postgresql.(*queryIterator).Next] context canceled",
    },
    {
      code: 1,
      errmsg: "[collection.go:107 postgresql.(*collection).Query] FATAL: terminating connection " +
        "due to administrator command (SQLSTATE 57P01)",
    },
    {
      code: 1,
      errmsg: "[registry.go:130 metadata.(*Registry).getPool] failed to connect to " +
        "`user=ferretdb database=ferretdb`: 127.0.0.1:5432 (127.0.0.1): dial error: " +
        "dial tcp 127.0.0.1:5432: connect: connection refused",
    },
    { code: 43, errmsg: "cursor id 870211210 not found" },
    { code: 11600, errmsg: "interrupted at shutdown" },
    { code: 91, errmsg: "The server is in quiesce mode and will shut down" },
  ];
  const log = createLogger("error", () => {});
  for (const fields of cutOff) {
    const e = toAppError(new MongoServerError({ ok: 0, ...fields }), log);
    assertEquals([e.status, e.code], [503, "unavailable"], fields.errmsg);
    assertEquals(e.extra.headers?.["Retry-After"], "5");
  }
  const bug = toAppError(new MongoServerError({ ok: 0, code: 1, errmsg: "some bug" }), log);
  assertEquals(bug.status, 500, "other internal errors stay 500");
});

Deno.test("regression: a write to a socket the database just closed is 503, not 500", () => {
  // Seen in the outage test: the driver's write to a connection the stopping server had ended
  // surfaced as the socket's own error.
  const log = createLogger("error", () => {});
  const ended = Object.assign(new Error("This socket has been ended by the other party"), {
    code: "EPIPE",
  });
  assertEquals([toAppError(ended, log).status, toAppError(ended, log).code], [503, "unavailable"]);
  const reset = Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" });
  assertEquals(toAppError(reset, log).status, 503);
  assertEquals(toAppError(new Error("a bug"), log).status, 500, "other errors stay 500");
});
