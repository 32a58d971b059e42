/** A collection's indexes after its creation: list, add (built before the answer), drop. */
import { copyIndexes } from "../../src/ops/move/indexes.ts";
import { TENANT_COLLECTIONS } from "../../src/tenants/service-collections.ts";
import { assert, assertEquals, assertProblem } from "../support/assert.ts";
import { addMember, createOrgAndLogin, createTestApp, dbTest } from "../support/app.ts";
import { createCollection, docsOf, tenantDbOf } from "../support/data.ts";

Deno.test(
  "indexes: added after creation, built before the answer, listed, dropped, audited",
  dbTest,
  async (t) => {
    await using app = await createTestApp();
    const a = await createOrgAndLogin(app, "Index Alpha");
    const slug = a.org.slug;
    const ix = (token: string) => app.client(token).v1.orgs[":slug"].collections[":name"].indexes;
    const param = { slug, name: "people" };
    await createCollection(app, a, "people");
    const docs = docsOf(app, a).documents;
    await docs.batch.$post({
      param,
      json: { documents: [{ email: "a@x", city: "Paris" }, { email: "b@x", city: "Paris" }] },
    });
    const serverIndexes = async () =>
      (await (await tenantDbOf(app, a)).collection("people").listIndexes().toArray())
        .map((i) => i.name).sort();

    await t.step("a member lists the indexes: _id_ alone at first", async () => {
      const m = await addMember(app, a.token, slug, "member");
      const res = await ix(m.token).$get({ param });
      assertEquals(res.status, 200);
      if (res.status !== 200) return;
      assertEquals(await res.json(), {
        items: [{ name: "_id_", fields: { _id: 1 }, unique: true }],
      });
      const add = await ix(m.token).$post({ param, json: { fields: { email: 1 } } });
      await assertProblem(add, 403, "forbidden");
      const drop = await ix(m.token)[":index"].$delete({ param: { ...param, index: "_id_" } });
      await assertProblem(drop, 403, "forbidden");
    });

    await t.step(
      "an owner adds a unique index, named after its fields, built at once",
      async () => {
        const res = await ix(a.token).$post({
          param,
          json: { fields: { email: 1 }, unique: true },
        });
        assertEquals(res.status, 201);
        if (res.status !== 201) return;
        assertEquals(await res.json(), { name: "email_1", fields: { email: 1 }, unique: true });
        assertEquals(await serverIndexes(), ["_id_", "email_1"]);
        const dup = await docs.$post({ param, json: { email: "a@x" } });
        await assertProblem(dup, 409, "duplicate_key");
      },
    );

    await t.step("a compound index with a name of its own, by an admin", async () => {
      const admin = await addMember(app, a.token, slug, "admin");
      const res = await ix(admin.token).$post({
        param,
        json: { fields: { city: 1, email: -1 }, name: "by_city" },
      });
      assertEquals(res.status, 201);
      const list = await ix(a.token).$get({ param });
      if (list.status !== 200) throw new Error(`list ${list.status}`);
      assertEquals((await list.json()).items.map((i) => [i.name, i.fields, i.unique]), [
        ["_id_", { _id: 1 }, true],
        ["by_city", { city: 1, email: -1 }, false],
        ["email_1", { email: 1 }, true],
      ]);
    });

    await t.step("the same name or the same fields is 409 index_exists", async () => {
      const sameName = await ix(a.token).$post({
        param,
        json: { fields: { other: 1 }, name: "by_city" },
      });
      await assertProblem(sameName, 409, "index_exists");
      const sameFields = await ix(a.token).$post({
        param,
        json: { fields: { email: 1 }, name: "email_again" },
      });
      await assertProblem(sameFields, 409, "index_exists");
      const idAgain = await ix(a.token).$post({ param, json: { fields: { _id: 1 } } });
      await assertProblem(idAgain, 409, "index_exists");
      assertEquals(await serverIndexes(), ["_id_", "by_city", "email_1"]);
    });

    await t.step(
      "a unique index over repeated keys is 409 duplicate_key, nothing left",
      async () => {
        const res = await ix(a.token).$post({ param, json: { fields: { city: 1 }, unique: true } });
        await assertProblem(res, 409, "duplicate_key");
        assertEquals(await serverIndexes(), ["_id_", "by_city", "email_1"]);
        // And the same index, not unique, is built: nothing half-made stands in its way.
        const plain = await ix(a.token).$post({ param, json: { fields: { city: 1 } } });
        assertEquals(plain.status, 201);
      },
    );

    await t.step("bad fields and names are 400 and build nothing", async () => {
      const bad: { fields: Record<string, 1 | -1>; name?: string }[] = [
        { fields: {} },
        { fields: { $where: 1 } },
        { fields: { "a.$b": 1 } },
        { fields: { _stamp: 1 } },
        { fields: { "a..b": 1 } },
        { fields: { a: 1, b: 1, c: 1, d: 1, e: 1, f: 1 } },
        { fields: { fine: 1 }, name: "_move_stamp" },
        { fields: { fine: 1 }, name: "has space" },
        { fields: { fine: 1 }, name: "1starts" },
      ];
      for (const json of bad) {
        const res = await ix(a.token).$post({ param, json });
        await assertProblem(res, 400, "validation_failed", JSON.stringify(json));
      }
      const raw = await app.request(
        `/v1/orgs/${slug}/collections/people/indexes`,
        {
          method: "POST",
          headers: { "Content-Type": "application/json", Authorization: `Bearer ${a.token}` },
          body: JSON.stringify({ fields: { x: 2 } }),
        },
      );
      await assertProblem(raw, 400, "validation_failed");
      assertEquals(await serverIndexes(), ["_id_", "by_city", "city_1", "email_1"]);
    });

    await t.step("_id_ cannot be dropped (400); an unknown index is 404", async () => {
      const id = await ix(a.token)[":index"].$delete({ param: { ...param, index: "_id_" } });
      await assertProblem(id, 400, "validation_failed");
      const unknown = await ix(a.token)[":index"].$delete({ param: { ...param, index: "nope_1" } });
      await assertProblem(unknown, 404, "index_not_found");
      const noCollection = await ix(a.token).$get({ param: { slug, name: "nothing" } });
      await assertProblem(noCollection, 404, "collection_not_found");
    });

    await t.step("drop is 204, then 404, and the index is gone", async () => {
      const res = await ix(a.token)[":index"].$delete({ param: { ...param, index: "by_city" } });
      assertEquals(res.status, 204);
      assertEquals(await serverIndexes(), ["_id_", "city_1", "email_1"]);
      const again = await ix(a.token)[":index"].$delete({ param: { ...param, index: "by_city" } });
      await assertProblem(again, 404, "index_not_found");
    });

    await t.step("created and dropped indexes are in the audit log", async () => {
      const events = await (await tenantDbOf(app, a)).collection(TENANT_COLLECTIONS.auditLog)
        .find({ type: { $in: ["index.created", "index.dropped"] } }).sort({ _id: 1 }).toArray();
      assertEquals(events.map((e) => [e.type, e.target.collection, e.target.index]), [
        ["index.created", "people", "email_1"],
        ["index.created", "people", "by_city"],
        ["index.created", "people", "city_1"],
        ["index.dropped", "people", "by_city"],
      ]);
    });

    await t.step("a move's copy of the collection has the indexes made this way", async () => {
      const source = (await tenantDbOf(app, a)).collection("people");
      const target = app.deps.db.clients.default.db(`${app.config.tenantDbPrefix}copy`)
        .collection("people");
      await copyIndexes(source, target);
      const shape = async (c: typeof source) =>
        (await c.listIndexes().toArray()).map((i) => [i.name, i.key, i.unique === true]).sort();
      assertEquals(await shape(target), await shape(source));
    });
  },
);

Deno.test(
  "indexes: at most 20 per collection besides _id_ (403 quota_exceeded)",
  dbTest,
  async () => {
    await using app = await createTestApp();
    const a = await createOrgAndLogin(app, "Index Quota");
    await createCollection(app, a, "many");
    const ix = app.client(a.token).v1.orgs[":slug"].collections[":name"].indexes;
    const param = { slug: a.org.slug, name: "many" };
    for (let i = 0; i < 20; i++) {
      const res = await ix.$post({ param, json: { fields: { [`f${i}`]: 1 } } });
      assertEquals(res.status, 201, `index ${i}`);
    }
    const over = await ix.$post({ param, json: { fields: { f20: 1 } } });
    await assertProblem(over, 403, "quota_exceeded");
    const list = await ix.$get({ param });
    if (list.status !== 200) throw new Error(`list ${list.status}`);
    assertEquals((await list.json()).items.length, 21);
    const drop = await ix[":index"].$delete({ param: { ...param, index: "f0_1" } });
    assertEquals(drop.status, 204);
    const again = await ix.$post({ param, json: { fields: { f20: 1 } } });
    assert(again.status === 201, `after a drop there is room: ${again.status}`);
  },
);
