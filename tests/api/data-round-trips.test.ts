/**
 * The document API's hot paths cost one database command each once the caches are warm, as
 * the same work through the driver does: no lookup of the token, org or collection, and no
 * write to the usage counter per insert (it is folded in at most once a second).
 */
import type { CommandStartedEvent } from "mongodb";
import { assert, assertEquals } from "../support/assert.ts";
import { createOrgAndLogin, createTestApp, dbTest, mongoUri } from "../support/app.ts";
import { createCollection, docsOf } from "../support/data.ts";

Deno.test("insert, get by id and a list page each send one database command", dbTest, async (t) => {
  const uri = new URL(mongoUri());
  uri.searchParams.set("monitorCommands", "true");
  await using app = await createTestApp({ uri: uri.toString() });
  const a = await createOrgAndLogin(app, "Round Trips");
  await createCollection(app, a, "items", [{ fields: { k: 1 } }]);
  const docs = docsOf(app, a).documents;
  const param = { slug: a.org.slug, name: "items" };
  const commands: CommandStartedEvent[] = [];
  app.deps.db.clients.default.on("commandStarted", (e) => commands.push(e));
  /** The commands `f` sends, as `collection.command` (`_usage` is the counter's). */
  const sent = async (f: () => Promise<unknown>) => {
    commands.length = 0;
    await f();
    return commands.map((e) => {
      const target = e.command[e.commandName];
      return `${typeof target === "string" ? target : ""}.${e.commandName}`;
    });
  };
  const insert = async (k: number) => {
    const res = await docs.$post({ param, json: { k, name: `item ${k}` } });
    assertEquals(res.status, 201);
    if (res.status !== 201) throw new Error("insert failed");
    return await res.json();
  };
  const first = await insert(0); // warms the caches: token, org, collection names, counter

  await t.step("an insert: one insert (and at most the counter's fold)", async () => {
    for (let k = 1; k <= 20; k++) {
      const done = await sent(() => insert(k));
      const inserts = done.filter((c) => c === "items.insert");
      const others = done.filter((c) => c !== "items.insert");
      assertEquals(inserts.length, 1, `insert ${k}: ${done}`);
      for (const c of others) assertEquals(c, "_usage.findAndModify", `insert ${k}: ${done}`);
    }
  });

  await t.step("a get by id: one find", async () => {
    const done = await sent(async () => {
      const res = await docs[":documentId"].$get({
        param: { ...param, documentId: first._id },
        header: {},
      });
      assertEquals(res.status, 200);
      await res.body?.cancel();
    });
    assertEquals(done, ["items.find"]);
  });

  await t.step("a filtered list page: one find, no cursor left to close", async () => {
    const done = await sent(async () => {
      const res = await docs.$get({ param, query: { filter: '{"k":{"$lt":15}}', limit: "10" } });
      assertEquals(res.status, 200);
      if (res.status !== 200) return;
      const body = await res.json();
      assertEquals(body.items.length, 10);
      assert(body.nextCursor, "a next page");
    });
    assertEquals(done, ["items.find"]);
  });
});
