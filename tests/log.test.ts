import { MongoServerError } from "mongodb";
import { assert, assertEquals, assertMatch } from "./support/assert.ts";
import { toAppError } from "../src/http/problem.ts";
import { createLogger, describeError } from "../src/platform/log.ts";
import { createTestApp, dbTest } from "./support/app.ts";

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
