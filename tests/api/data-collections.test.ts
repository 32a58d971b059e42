/** Collections of the org's database: names, indexes, roles, audit, quotas and their counters. */
import { runMaintenance } from "../../src/ops/maintenance.ts";
import { TENANT_COLLECTIONS } from "../../src/tenants/service-collections.ts";
import { assert, assertEquals, assertProblem } from "../support/assert.ts";
import { addMember, createOrgAndLogin, createTestApp, dbTest } from "../support/app.ts";
import { createCollection, docsOf, tenantDbOf } from "../support/data.ts";

Deno.test(
  "collections: create with indexes, list, drop, names, roles, audit",
  dbTest,
  async (t) => {
    await using app = await createTestApp();
    const a = await createOrgAndLogin(app, "Coll Alpha");
    const cols = (token: string) => app.client(token).v1.orgs[":slug"].collections;
    const slug = a.org.slug;

    await t.step("create with a unique, a compound and a plain index", async () => {
      const created = await createCollection(app, a, "customers", [
        { fields: { email: 1 }, unique: true },
        { fields: { lastName: 1, firstName: -1 } },
        { fields: { "address.city": 1 } },
      ]);
      assertEquals(created.name, "customers");
      assertEquals(created.count, 0);
      const byName = (x: unknown, y: unknown) => JSON.stringify(x) < JSON.stringify(y) ? -1 : 1;
      const byFields = created.indexes.map((i) => [i.fields, i.unique]).sort(byName);
      assertEquals(byFields, [
        [{ _id: 1 }, true],
        [{ "address.city": 1 }, false],
        [{ email: 1 }, true],
        [{ lastName: 1, firstName: -1 }, false],
      ]);
    });

    await t.step("list shows counts and indexes, never the service's collections", async () => {
      await createCollection(app, a, "orders");
      await docsOf(app, a).documents.batch.$post({
        param: { slug, name: "orders" },
        json: { documents: [{ n: 1 }, { n: 2 }, { n: 3 }] },
      });
      const res = await cols(a.token).$get({ param: { slug } });
      assertEquals(res.status, 200);
      if (res.status !== 200) return;
      const { items } = await res.json();
      assertEquals(items.map((c) => [c.name, c.count]), [["customers", 0], ["orders", 3]]);
      assertEquals(items[0].indexes.length, 4);
    });

    await t.step("a second create of one name is 409 collection_exists", async () => {
      const res = await cols(a.token).$post({ param: { slug }, json: { name: "orders" } });
      await assertProblem(res, 409, "collection_exists");
    });

    await t.step(
      "invalid and reserved names are 400; reserved ones are 404 to documents",
      async () => {
        const bad = [
          "",
          "1abc",
          "a.b",
          "a b",
          "x".repeat(65),
          "$cmd",
          "_audit_log",
          "audit_log",
          "_meta",
          "_usage",
          "system",
          "systemUsers",
          "system.profile",
        ];
        for (const name of bad) {
          const res = await cols(a.token).$post({ param: { slug }, json: { name } });
          await assertProblem(res, 400, "validation_failed", name);
        }
        for (const name of ["audit_log", "_audit_log", "_meta", "_usage", "system.indexes"]) {
          const list = await docsOf(app, a).documents.$get({ param: { slug, name }, query: {} });
          await assertProblem(list, 404, "collection_not_found", name);
          const insert = await docsOf(app, a).documents.$post({
            param: { slug, name },
            json: {},
          });
          assertEquals(insert.status, 404, name);
          const drop = await cols(a.token)[":name"].$delete({ param: { slug, name } });
          assertEquals(drop.status, 404, name);
        }
      },
    );

    await t.step("bad index specifications are 400 and create nothing", async () => {
      for (
        const indexes of [
          [{ fields: {} }],
          [{ fields: { "$where": 1 as const } }],
          [{ fields: { _stamp: 1 as const } }],
          [{
            fields: {
              a: 1 as const,
              b: 1 as const,
              c: 1 as const,
              d: 1 as const,
              e: 1 as const,
              f: 1 as const,
            },
          }],
        ]
      ) {
        const res = await cols(a.token).$post({
          param: { slug },
          json: { name: "indexed", indexes },
        });
        assertEquals(res.status, 400, JSON.stringify(indexes));
      }
      const names = (await (await tenantDbOf(app, a)).listCollections().toArray()).map((c) =>
        c.name
      );
      assert(!names.includes("indexed"), "nothing created");
    });

    await t.step(
      "a member may read and write documents but not create or drop collections",
      async () => {
        const m = await addMember(app, a.token, slug, "member");
        const create = await cols(m.token).$post({ param: { slug }, json: { name: "mine" } });
        await assertProblem(create, 403, "forbidden");
        const drop = await cols(m.token)[":name"].$delete({ param: { slug, name: "orders" } });
        assertEquals(drop.status, 403);
        const list = await cols(m.token).$get({ param: { slug } });
        assertEquals(list.status, 200);
        const insert = await app.client(m.token).v1.orgs[":slug"].collections[":name"].documents
          .$post({ param: { slug, name: "orders" }, json: { by: "member" } });
        assertEquals(insert.status, 201);
        const admin = await addMember(app, a.token, slug, "admin");
        const byAdmin = await cols(admin.token).$post({
          param: { slug },
          json: { name: "adminmade" },
        });
        assertEquals(byAdmin.status, 201);
      },
    );

    await t.step(
      "drop is 204, then 404; create and drop are audited without content",
      async () => {
        const res = await cols(a.token)[":name"].$delete({ param: { slug, name: "orders" } });
        assertEquals(res.status, 204);
        const again = await cols(a.token)[":name"].$delete({ param: { slug, name: "orders" } });
        await assertProblem(again, 404, "collection_not_found");
        const docs = await docsOf(app, a).documents.$get({
          param: { slug, name: "orders" },
          query: {},
        });
        assertEquals(docs.status, 404);
        const events = await (await tenantDbOf(app, a)).collection(TENANT_COLLECTIONS.auditLog)
          .find({ type: { $in: ["collection.created", "collection.dropped"] } })
          .sort({ _id: 1 }).toArray();
        assertEquals(
          events.map((e) => [e.type, e.target.collection, e.actor.userId]),
          [
            ["collection.created", "customers", a.admin.id],
            ["collection.created", "orders", a.admin.id],
            ["collection.created", "adminmade", events[2]?.actor.userId],
            ["collection.dropped", "orders", a.admin.id],
          ],
        );
      },
    );
  },
);

Deno.test("quotas: collections, documents and bytes per document", dbTest, async (t) => {
  await using app = await createTestApp({
    env: {
      DATA_MAX_COLLECTIONS: "2",
      DATA_MAX_DOCUMENTS: "5",
      DATA_MAX_DOCUMENT_BYTES: "2048",
      AUTH_CACHE_TTL_MS: "0",
    },
  });
  const a = await createOrgAndLogin(app, "Quota Alpha");
  const slug = a.org.slug;
  const cols = app.client(a.token).v1.orgs[":slug"].collections;
  const docs = docsOf(app, a).documents;
  const count = async () => await (await tenantDbOf(app, a)).collection("one").countDocuments();

  await t.step("a third collection is 403 quota_exceeded", async () => {
    await createCollection(app, a, "one");
    await createCollection(app, a, "two");
    const res = await cols.$post({ param: { slug }, json: { name: "three" } });
    await assertProblem(res, 403, "quota_exceeded");
  });

  await t.step("documents past the quota are refused, a batch as a whole", async () => {
    const first = await docs.batch.$post({
      param: { slug, name: "one" },
      json: { documents: [{ i: 1 }, { i: 2 }, { i: 3 }, { i: 4 }] },
    });
    assertEquals(first.status, 201);
    const batch = await docs.batch.$post({
      param: { slug, name: "one" },
      json: { documents: [{ i: 5 }, { i: 6 }] },
    });
    await assertProblem(batch, 403, "quota_exceeded");
    assertEquals(await count(), 4);
    assertEquals(
      (await docs.$post({ param: { slug, name: "one" }, json: { i: 5 } })).status,
      201,
    );
    const sixth = await docs.$post({ param: { slug, name: "two" }, json: { i: 6 } });
    assertEquals(sixth.status, 403);
  });

  await t.step("deleting a document frees its place", async () => {
    const list = await docs.$get({ param: { slug, name: "one" }, query: { limit: "1" } });
    if (list.status !== 200) throw new Error("list failed");
    const [doc] = (await list.json()).items;
    const del = await docs[":documentId"].$delete({
      param: { slug, name: "one", documentId: doc._id },
      header: {},
    });
    assertEquals(del.status, 204);
    assertEquals(
      (await docs.$post({ param: { slug, name: "two" }, json: { i: 6 } })).status,
      201,
    );
  });

  await t.step("a document over the bytes quota is 403, on insert, PUT and PATCH", async () => {
    await (await tenantDbOf(app, a)).collection("two").deleteMany({});
    await runMaintenance(app.deps);
    const big = { text: "x".repeat(3000) };
    const res = await docs.$post({ param: { slug, name: "two" }, json: big });
    await assertProblem(res, 403, "quota_exceeded");
    const small = await docs.$post({ param: { slug, name: "two" }, json: { text: "small" } });
    if (small.status !== 201) throw new Error(`insert failed ${small.status}`);
    const { _id } = await small.json();
    const param = { slug, name: "two", documentId: _id };
    const put = await docs[":documentId"].$put({ param, header: {}, json: big });
    assertEquals(put.status, 403);
    const patch = await docs[":documentId"].$patch({ param, header: {}, json: big });
    assertEquals(patch.status, 403);
    const get = await docs[":documentId"].$get({ param, header: {} });
    if (get.status !== 200) throw new Error("get failed");
    assertEquals((await get.json()).text, "small");
  });

  await t.step("an org's own quota wins over the default", async () => {
    await app.deps.db.master.collection("orgs").updateOne(
      { slug },
      { $set: { quotas: { collections: 3 } } },
    );
    app.deps.cache.forget(`org:${a.org.id}`);
    const res = await cols.$post({ param: { slug }, json: { name: "three" } });
    assertEquals(res.status, 201);
  });

  await t.step("the maintenance pass recounts a counter that drifted", async () => {
    const db = await tenantDbOf(app, a);
    await db.collection("_usage").updateOne({ _id: "usage" as never }, {
      $set: { documents: 1000, collections: 50 },
    });
    assert(await runMaintenance(app.deps), "the lease is free");
    const usage = await db.collection("_usage").findOne({});
    const docsNow = await db.collection("one").countDocuments() +
      await db.collection("two").countDocuments();
    assertEquals([usage?.collections, usage?.documents], [3, docsNow]);
  });
});
