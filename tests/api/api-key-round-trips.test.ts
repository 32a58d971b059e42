/**
 * The hot path with an API key costs what it costs with a person's token: once the caches are
 * warm, a document get by id and a list page send one database command each (the document's
 * find), and the key's check none; its last use is written at most once a minute.
 */
import type { CommandStartedEvent } from "mongodb";
import { assertEquals } from "../support/assert.ts";
import { bearer, createOrgAndLogin, createTestApp, dbTest, mongoUri } from "../support/app.ts";
import { createKey } from "../support/api-keys.ts";
import { createCollection } from "../support/data.ts";

Deno.test(
  "with a key as with a token: a get by id and a list page send one command each",
  dbTest,
  async (t) => {
    const uri = new URL(mongoUri());
    uri.searchParams.set("monitorCommands", "true");
    await using app = await createTestApp({ uri: uri.toString() });
    const a = await createOrgAndLogin(app, "Key Round Trips");
    await createCollection(app, a, "items");
    const { key } = await createKey(app, a.token, a.org.slug, ["data:read"]);
    const base = `/v1/orgs/${a.org.slug}/collections/items/documents`;
    const made = await app.request(base, {
      method: "POST",
      headers: { ...bearer(a.token), "Content-Type": "application/json" },
      body: JSON.stringify({ k: 1 }),
    });
    assertEquals(made.status, 201);
    const id = (await made.json())._id;
    const commands: CommandStartedEvent[] = [];
    app.deps.db.clients.default.on("commandStarted", (e) => commands.push(e));
    const sent = async (path: string, token: string) => {
      commands.length = 0;
      const res = await app.request(path, { headers: bearer(token) });
      assertEquals(res.status, 200);
      await res.body?.cancel();
      return commands.map((e) => {
        const target = e.command[e.commandName];
        return `${typeof target === "string" ? target : ""}.${e.commandName}`;
      });
    };
    // Warm: the key's check (and its first use, written once), the token's, the org, the names.
    await sent(base, key);
    await sent(base, a.token);
    for (const [what, path] of [["a get by id", `${base}/${id}`], ["a list page", base]]) {
      await t.step(`${what}: one find, with a key as with a token`, async () => {
        for (let i = 0; i < 5; i++) {
          assertEquals(await sent(path, a.token), ["items.find"], `token, ${what}`);
          assertEquals(await sent(path, key), ["items.find"], `key, ${what}`);
        }
      });
    }
  },
);
