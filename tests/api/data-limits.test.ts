/**
 * What the database refuses or would make too large: an aggregation's results are bounded in
 * bytes, and a pipeline, filter or value the database refuses is 400 with its reason, never
 * 500 and never logged as an error (docs/data-api.md).
 */
import type { CommandStartedEvent } from "mongodb";
import { assert, assertEquals, assertProblem } from "../support/assert.ts";
import {
  createOrgAndLogin,
  createTestApp,
  dbTest,
  mongoUri,
  type TestApp,
} from "../support/app.ts";
import { createCollection, docsOf } from "../support/data.ts";

const errorLogs = (app: TestApp) => app.logs.filter((l) => JSON.parse(l).level === "error");

type Answer = Response | { status: number; json(): Promise<unknown> };

/** A 400 with `code` whose reason is the database's words, not its internals. */
async function refused(res: Answer, code: string, what: string): Promise<string> {
  assertEquals(res.status, 400, what);
  const body = await res.json() as { code: string; errors: { message: string }[] };
  assertEquals(body.code, code, what);
  const reason = body.errors[0].message;
  assert(reason.length > 5 && !/\.go:\d|\n\s+at |SQLSTATE/.test(reason), `${what}: ${reason}`);
  return reason;
}

Deno.test(
  "an aggregation past 16 MiB of results is 400 result_too_large and its cursor is closed",
  dbTest,
  async (t) => {
    const uri = new URL(mongoUri());
    uri.searchParams.set("monitorCommands", "true");
    await using app = await createTestApp({ uri: uri.toString() });
    const a = await createOrgAndLogin(app, "Agg Bytes");
    await createCollection(app, a, "big");
    const param = { slug: a.org.slug, name: "big" };
    // 600 documents of 40 KB: 24 MB of results, fewer than 1,000; the bound is passed in
    // the fifth batch of 100, with a sixth still to come: the cursor must be closed there.
    for (let batch = 0; batch < 30; batch++) {
      const documents = Array.from({ length: 20 }, (_, j) => ({
        i: batch * 20 + j,
        text: "x".repeat(40_000),
      }));
      const res = await docsOf(app, a).documents.batch.$post({ param, json: { documents } });
      assertEquals(res.status, 201);
      await res.body?.cancel();
    }
    const commands: CommandStartedEvent[] = [];
    app.deps.db.clients.default.on("commandStarted", (e) => commands.push(e));

    await t.step("results past the bound", async () => {
      commands.length = 0;
      const res = await docsOf(app, a).aggregate.$post({
        param,
        json: { pipeline: [{ $match: { i: { $gte: 0 } } }] },
      });
      await assertProblem(res, 400, "result_too_large");
      const names = commands.map((c) => c.commandName);
      assert(names.includes("killCursors"), `the cursor is closed: ${names}`);
      assert(names.filter((n) => n === "getMore").length <= 4, `read no further: ${names}`);
      assertEquals(errorLogs(app), []);
    });

    await t.step("the bound is in bytes, not results: 300 of them (12 MB) are 200", async () => {
      const res = await docsOf(app, a).aggregate.$post({
        param,
        json: { pipeline: [{ $sort: { i: 1 } }, { $limit: 300 }] },
      });
      assertEquals(res.status, 200);
      if (res.status === 200) assertEquals((await res.json()).items.length, 300);
    });
  },
);

Deno.test(
  "pipelines, filters and values the database refuses are 400 with its reason, never 500",
  dbTest,
  async (t) => {
    await using app = await createTestApp();
    const a = await createOrgAndLogin(app, "Refusals");
    await createCollection(app, a, "things");
    const docs = docsOf(app, a);
    const param = { slug: a.org.slug, name: "things" };
    await docs.documents.batch.$post({
      param,
      json: { documents: [{ a: 1, b: { c: 1 } }, { a: 2, b: { c: 2 } }] },
    });
    const pipeline = async (stages: Record<string, unknown>[]) =>
      await docs.aggregate.$post({ param, json: { pipeline: stages } });

    await t.step("$project mixing inclusion and exclusion", async () => {
      const reason = await refused(
        await pipeline([{ $project: { a: 1, b: 0 } }]),
        "invalid_pipeline",
        "$project",
      );
      assert(/exclusion|inclusion/i.test(reason), reason);
    });

    await t.step("$sort on 40 fields, and a unary $sum given two", async () => {
      const sort = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`f${i}`, 1]));
      await refused(await pipeline([{ $sort: sort }]), "invalid_pipeline", "$sort");
      const sum = await pipeline([{ $group: { _id: null, n: { $sum: [1, 2] } } }]);
      await refused(sum, "invalid_pipeline", "$sum");
    });

    await t.step("a filter value the database cannot compare: 200 or 400, never 500", async () => {
      const filter = JSON.stringify({ a: "x\u0000y" });
      const answers: [string, Answer][] = [
        ["list", await docs.documents.$get({ param, query: { filter } })],
        ["count", await docs.documents.count.$get({ param, query: { filter } })],
        ["aggregate", await pipeline([{ $match: { a: "x\u0000y" } }])],
      ];
      for (const [route, res] of answers) {
        if (res.status === 200) await res.json();
        else {
          await refused(res, route === "aggregate" ? "invalid_pipeline" : "invalid_filter", route);
        }
      }
    });

    await t.step("a value the database cannot store: 201 or 400, never 500", async () => {
      const res = await docs.documents.$post({ param, json: { s: "x\u0000y" } });
      if (res.status === 201) await res.body?.cancel();
      else await refused(res, "validation_failed", "insert");
    });

    await t.step("a list leaving out a field and one inside it is 200", async () => {
      const res = await docs.documents.$get({ param, query: { fields: "-b,-b.c" } });
      assertEquals(res.status, 200);
      if (res.status === 200) {
        const items = (await res.json()).items;
        assertEquals(items.map((d) => Object.keys(d).sort()), [["_id", "a"], ["_id", "a"]]);
      }
    });

    await t.step("none of it was logged as an error", () => {
      assertEquals(errorLogs(app), []);
    });
  },
);
