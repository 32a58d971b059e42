/** The document API: round trips, PATCH, PUT, DELETE, ETags, If-Match, unique keys, batches. */
import { collection, CollectionError } from "../../src/client.ts";
import { TENANT_COLLECTIONS } from "../../src/tenants/service-collections.ts";
import { assert, assertEquals, assertProblem, assertRejects } from "../support/assert.ts";
import { createOrgAndLogin, createTestApp, dbTest } from "../support/app.ts";
import { createCollection, docsOf, tenantDbOf } from "../support/data.ts";

Deno.test("documents round-trip and change as the API says", dbTest, async (t) => {
  await using app = await createTestApp();
  const a = await createOrgAndLogin(app, "Docs Alpha");
  await createCollection(app, a, "people", [{ fields: { email: 1 }, unique: true }]);
  const col = docsOf(app, a);
  const param = { slug: a.org.slug, name: "people" };
  const original = {
    name: "Zoë Ñandú 日本語 🚀",
    email: "zoe@example.com",
    age: 42,
    ratio: 0.125,
    big: 9007199254740991,
    negative: -3.5e-7,
    active: true,
    nothing: null,
    born: "1983-04-05T06:07:08.901Z",
    tags: ["a", "b", { nested: [1, false, null] }],
    address: { city: "Paris", geo: { lat: 48.8566, lon: 2.3522 }, lines: [] },
    empty: {},
  };
  let id = "";
  let etag = "";

  await t.step("insert answers 201 with _id, ETag and Location", async () => {
    const res = await col.documents.$post({ param, json: original });
    assertEquals(res.status, 201);
    if (res.status !== 201) return;
    const body = await res.json();
    id = body._id;
    assert(/^[0-9a-f]{24}$/.test(id), "a 24-hex _id");
    etag = res.headers.get("ETag") ?? "";
    assert(/^"[0-9a-f]{24}"$/.test(etag), `a strong ETag, got ${etag}`);
    assertEquals(
      res.headers.get("Location"),
      `/v1/orgs/${a.org.slug}/collections/people/documents/${id}`,
    );
    assertEquals(body, { _id: id, ...original });
  });

  await t.step("get returns the same values and types, without the write stamp", async () => {
    const res = await col.documents[":documentId"].$get({
      param: { ...param, documentId: id },
      header: {},
    });
    assertEquals(res.status, 200);
    if (res.status !== 200) return;
    const body = await res.json();
    assertEquals(body, { _id: id, ...original });
    assert(!("_stamp" in body), "the stamp is hidden");
    assertEquals(res.headers.get("ETag"), etag);
    const raw = await (await tenantDbOf(app, a)).collection("people").findOne({});
    assert(raw && "_stamp" in raw, "the stamp is stored");
    assert(Number.isInteger(raw!.age) && raw!.ratio === 0.125, "numbers keep their values");
  });

  await t.step("If-None-Match with the current tag is 304; a stale one is 200", async () => {
    const documentId = id;
    const same = await col.documents[":documentId"].$get({
      param: { ...param, documentId },
      header: { "if-none-match": etag },
    });
    assertEquals(same.status, 304);
    assertEquals(same.headers.get("ETag"), etag);
    const other = await col.documents[":documentId"].$get({
      param: { ...param, documentId },
      header: { "if-none-match": '"000000000000000000000000"' },
    });
    assertEquals(other.status, 200);
  });

  await t.step("PATCH sets dotted paths, unsets nulls, and changes the ETag", async () => {
    const res = await col.documents[":documentId"].$patch({
      param: { ...param, documentId: id },
      header: { "if-match": etag },
      json: {
        "address.city": "Lyon",
        "address.zip": "69001",
        nothing: null,
        age: 43,
        "new.deep.x": 1,
      },
    });
    assertEquals(res.status, 200);
    if (res.status !== 200) return;
    const body = await res.json();
    const next = res.headers.get("ETag") ?? "";
    assert(next !== etag && /^"[0-9a-f]{24}"$/.test(next), "a new tag");
    etag = next;
    const { nothing: _, ...rest } = original;
    assertEquals(body, {
      _id: id,
      ...rest,
      age: 43,
      address: { ...original.address, city: "Lyon", zip: "69001" },
      new: { deep: { x: 1 } },
    });
    assert(!("nothing" in body), "null unsets");
  });

  await t.step(
    "a stale If-Match is 412 on PATCH, PUT and DELETE, and changes nothing",
    async () => {
      const stale = '"000000000000000000000000"';
      const documentId = id;
      const before = await (await tenantDbOf(app, a)).collection("people").findOne({});
      const patch = await col.documents[":documentId"].$patch({
        param: { ...param, documentId },
        header: { "if-match": stale },
        json: { age: 1 },
      });
      await assertProblem(patch, 412, "precondition_failed");
      const put = await col.documents[":documentId"].$put({
        param: { ...param, documentId },
        header: { "if-match": stale },
        json: { replaced: true },
      });
      assertEquals(put.status, 412);
      const del = await col.documents[":documentId"].$delete({
        param: { ...param, documentId },
        header: { "if-match": 'W/"whatever"' },
      });
      assertEquals(del.status, 412);
      const after = await (await tenantDbOf(app, a)).collection("people").findOne({});
      assertEquals(after, before);
    },
  );

  await t.step("PUT replaces the whole document (its own _id may be repeated)", async () => {
    const res = await col.documents[":documentId"].$put({
      param: { ...param, documentId: id },
      header: { "if-match": etag },
      json: { _id: id, name: "Replaced", email: "zoe@example.com" },
    });
    assertEquals(res.status, 200);
    if (res.status !== 200) return;
    assertEquals(await res.json(), { _id: id, name: "Replaced", email: "zoe@example.com" });
    etag = res.headers.get("ETag") ?? "";
    const other = await col.documents[":documentId"].$put({
      param: { ...param, documentId: id },
      header: {},
      json: { _id: "6745f1c2a9e4b1d2c3f4a5b6", name: "x" },
    });
    assertEquals(other.status, 400);
  });

  await t.step(
    "unique index: a duplicate insert, PUT or PATCH is 409 duplicate_key",
    async () => {
      const second = await col.documents.$post({ param, json: { email: "other@example.com" } });
      assertEquals(second.status, 201);
      if (second.status !== 201) return;
      const otherId = (await second.json())._id;
      const dup = await col.documents.$post({ param, json: { email: "zoe@example.com" } });
      await assertProblem(dup, 409, "duplicate_key");
      const patch = await col.documents[":documentId"].$patch({
        param: { ...param, documentId: otherId },
        header: {},
        json: { email: "zoe@example.com" },
      });
      await assertProblem(patch, 409, "duplicate_key");
    },
  );

  await t.step("count, and a filtered list with projection", async () => {
    const count = await col.documents.count.$get({
      param,
      query: { filter: '{"name":"Replaced"}' },
    });
    assertEquals(count.status, 200);
    if (count.status === 200) assertEquals(await count.json(), { count: 1 });
    const list = await col.documents.$get({
      param,
      query: { filter: '{"email":{"$in":["zoe@example.com"]}}', fields: "name" },
    });
    assertEquals(list.status, 200);
    if (list.status === 200) {
      assertEquals(await list.json(), {
        items: [{ _id: id, name: "Replaced" }],
        nextCursor: null,
      });
    }
    const without = await col.documents.$get({
      param,
      query: { sort: "email", fields: "-name,-email" },
    });
    assertEquals(without.status, 200);
    if (without.status === 200) {
      const { items } = await without.json();
      assertEquals(items.length, 2);
      assert(
        items.every((d) => !("name" in d) && !("email" in d) && !("_stamp" in d)),
        "left out",
      );
    }
  });

  await t.step("DELETE is 204, then 404 document_not_found, and is audited", async () => {
    const del = await col.documents[":documentId"].$delete({
      param: { ...param, documentId: id },
      header: { "if-match": etag },
    });
    assertEquals(del.status, 204);
    const again = await col.documents[":documentId"].$get({
      param: { ...param, documentId: id },
      header: {},
    });
    await assertProblem(again, 404, "document_not_found");
    for (const bad of ["nope", "6745f1c2a9e4b1d2c3f4a5b6"]) {
      const res = await col.documents[":documentId"].$get({
        param: { ...param, documentId: bad },
        header: {},
      });
      assertEquals(res.status, 404);
    }
    const events = await (await tenantDbOf(app, a)).collection(TENANT_COLLECTIONS.auditLog)
      .find({ type: "document.deleted" }).toArray();
    assertEquals(events.length, 1);
    assertEquals(events[0].target, { collection: "people", documentId: id });
    assertEquals(events[0].actor.userId, a.admin.id);
  });

  await t.step("an unknown collection is 404 collection_not_found", async () => {
    const res = await docsOf(app, a).documents.$post({
      param: { slug: a.org.slug, name: "nothing-here" },
      json: { a: 1 },
    });
    await assertProblem(res, 404, "collection_not_found");
  });
});

Deno.test(
  "batch insert: validated before any write; a duplicate part-way says where",
  dbTest,
  async (t) => {
    await using app = await createTestApp();
    const a = await createOrgAndLogin(app, "Batch Alpha");
    await createCollection(app, a, "items", [{ fields: { sku: 1 }, unique: true }]);
    const col = docsOf(app, a);
    const param = { slug: a.org.slug, name: "items" };

    await t.step("500 documents in one batch", async () => {
      const documents = Array.from({ length: 500 }, (_, i) => ({ sku: `s${i}`, n: i }));
      const res = await col.documents.batch.$post({ param, json: { documents } });
      assertEquals(res.status, 201);
      if (res.status !== 201) return;
      const { insertedIds } = await res.json();
      assertEquals(insertedIds.length, 500);
      assertEquals(new Set(insertedIds).size, 500);
    });

    await t.step("0 or 501 documents are 400", async () => {
      for (const n of [0, 501]) {
        const documents = Array.from({ length: n }, (_, i) => ({ sku: `x${i}` }));
        const res = await col.documents.batch.$post({ param, json: { documents } });
        assertEquals(res.status, 400);
      }
    });

    await t.step("one bad document refuses the batch and writes nothing", async () => {
      const res = await col.documents.batch.$post({
        param,
        json: {
          documents: [{ sku: "ok1" }, { sku: "ok2" }, { sku: "bad", nested: { "$gt": "" } }],
        },
      });
      const body = await assertProblem(res, 400, "validation_failed");
      assertEquals(body.errors?.[0].path, "documents.2.nested.$gt");
      assertEquals(await (await tenantDbOf(app, a)).collection("items").countDocuments(), 500);
    });

    await t.step("a duplicate key at index 2 is 409 with the two ids before it", async () => {
      const res = await col.documents.batch.$post({
        param,
        json: { documents: [{ sku: "new1" }, { sku: "new2" }, { sku: "s7" }, { sku: "new3" }] },
      });
      const body = await assertProblem(res, 409, "duplicate_key") as unknown as {
        index: number;
        insertedIds: string[];
      };
      assertEquals(body.index, 2);
      const db = await tenantDbOf(app, a);
      const stored = await db.collection("items").find({ sku: { $in: ["new1", "new2", "new3"] } })
        .toArray();
      assertEquals(body.insertedIds.sort(), stored.map((d) => d._id.toHexString()).sort());
      assert(stored.every((d) => d.sku !== "new3"), "nothing after the failing index");
    });
  },
);

Deno.test(
  "If-Match decides in one conditional write: 20 concurrent PATCHes, one 200",
  dbTest,
  async () => {
    await using app = await createTestApp();
    const a = await createOrgAndLogin(app, "Race Alpha");
    await createCollection(app, a, "counters");
    const col = docsOf(app, a);
    const param = { slug: a.org.slug, name: "counters" };
    const created = await col.documents.$post({ param, json: { n: 0 } });
    if (created.status !== 201) throw new Error("insert failed");
    const { _id } = await created.json();
    const etag = created.headers.get("ETag")!;
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        col.documents[":documentId"].$patch({
          param: { ...param, documentId: _id },
          header: { "if-match": etag },
          json: { n: i + 1 },
        }).then((r) => r.status as number)),
    );
    assertEquals(results.filter((s) => s === 200).length, 1, `statuses: ${results.join(",")}`);
    assertEquals(results.filter((s) => s === 412).length, 19, `statuses: ${results.join(",")}`);
  },
);

Deno.test("the typed collection helper", dbTest, async () => {
  await using app = await createTestApp();
  const a = await createOrgAndLogin(app, "Helper Alpha");
  await createCollection(app, a, "customers");
  interface Customer extends Record<string, unknown> {
    name: string;
    email: string;
    tags?: string[];
  }
  const customers = collection<Customer>(app.client(a.token), a.org.slug, "customers");
  const ada = await customers.insert({ name: "Ada", email: "ada@example.com" });
  const got = await customers.get(ada._id);
  assertEquals(got?.name, "Ada");
  const updated = await customers.update(ada._id, { tags: ["vip"] });
  assertEquals(updated.tags, ["vip"]);
  const page = await customers.list({ filter: { tags: "vip" }, sort: "name" });
  assertEquals(page.items.map((c) => c.email), ["ada@example.com"]);
  await customers.remove(ada._id);
  assertEquals(await customers.get(ada._id), null);
  const e = await assertRejects(() => customers.remove(ada._id));
  assert(e instanceof CollectionError, `a CollectionError, not ${e}`);
  assertEquals(e.code, "document_not_found");
});
