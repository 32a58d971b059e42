import { MongoServerError } from "mongodb";
import { assert } from "../support/assert.ts";
import { toAppError } from "../../src/http/problem.ts";
import { createLogger } from "../../src/platform/log.ts";
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
