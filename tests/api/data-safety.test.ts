/**
 * The document API refuses what could escape the org's data or run code, and changes nothing
 * when it does; one org's token never reaches another org's collections.
 */
import { assert, assertEquals, assertProblem } from "../support/assert.ts";
import { createOrgAndLogin, createTestApp, dbTest, type TestApp } from "../support/app.ts";
import { createCollection, docsOf, type OrgLogin, snapshot } from "../support/data.ts";

const nest = (depth: number, leaf: unknown = 1): unknown =>
  depth === 0 ? leaf : { a: nest(depth - 1, leaf) };
const nestAnd = (depth: number): unknown => depth === 0 ? { x: 1 } : { $and: [nestAnd(depth - 1)] };
const nestArray = (depth: number): unknown => depth === 0 ? 1 : { a: [nestArray(depth - 1)] };

const FILTERS: unknown[] = [
  { $where: "sleep(1000) || true" },
  { $expr: { $gt: ["$a", 1] } },
  { $function: { body: "return true", args: [], lang: "js" } },
  { name: { $regex: "^a" } },
  { name: { $where: "1" } },
  { name: { $not: { $eq: 1 } } },
  { name: { $elemMatch: { a: 1 } } },
  { $jsonSchema: {} },
  { $text: { $search: "x" } },
  { $nor: [{ a: 1 }] },
  { name: { $gt: 1, plain: 2 } },
  { "a.$where": 1 },
  { _stamp: { $exists: true } },
  { "_stamp.x": 1 },
  { name: { $eq: { $gt: "" } } },
  { $and: [] },
  { $or: "x" },
  nest(40),
  nestAnd(40),
  [{ a: 1 }],
  "name",
  { "a\u0000b": 1 },
];

const DOCUMENTS: unknown[] = [
  { name: { $gt: "" } },
  { $set: { admin: true } },
  { "a.b": 1 },
  { "a\u0000b": 1 },
  { "a\u0001b": 1 },
  { 'a"b': 1 },
  { "a\\b": 1 },
  { list: [[1, 2]] },
  { nested: { "x.y": 1 } },
  { nested: [{ $where: "1" }] },
  { _id: "6745f1c2a9e4b1d2c3f4a5b6", name: "mine" },
  { _stamp: "6745f1c2a9e4b1d2c3f4a5b6" },
  nest(40),
  nestArray(30),
  [{ a: 1 }],
];

const PATCHES: unknown[] = [
  { $set: { a: 1 } },
  { name: { $gt: "" } },
  { _stamp: "x" },
  { "_stamp.x": 1 },
  { _id: "6745f1c2a9e4b1d2c3f4a5b6" },
  { "a..b": 1 },
  { "a.$b": 1 },
  { a: 1, "a.b": 2 },
  {},
  { deep: nest(40) },
];

const PIPELINES: unknown[] = [
  [{ $lookup: { from: "audit_log", localField: "a", foreignField: "b", as: "x" } }],
  [{ $out: "stolen" }],
  [{ $merge: { into: "stolen" } }],
  [{ $unionWith: "audit_log" }],
  [{
    $graphLookup: {
      from: "x",
      startWith: "$a",
      connectFromField: "a",
      connectToField: "b",
      as: "c",
    },
  }],
  [{ $facet: { a: [] } }],
  [{ $replaceRoot: { newRoot: "$a" } }],
  [{ $addFields: { x: { $function: { body: "1", args: [], lang: "js" } } } }],
  [{ $match: { $where: "1" } }],
  [{ $match: { $expr: { $eq: ["$a", "$b"] } } }],
  [{ $group: { _id: null, x: { $accumulator: { init: "function(){}" } } } }],
  [{ $group: { _id: null, all: { $push: "$$ROOT" } } }],
  [{ $group: { _id: "$_stamp" } }],
  [{ $group: { _id: { $function: { body: "1", args: [], lang: "js" } } } }],
  [{ $project: { x: { $function: { body: "1", args: [], lang: "js" } } } }],
  [{ $project: { stamp: "$_stamp" } }],
  [{ $sort: { _stamp: 1 } }],
  [{ $limit: 0 }],
  [{ $skip: -1 }],
  [{ $count: "a.b" }],
  [{ $match: {}, $limit: 1 }],
  [{ $collStats: {} }],
  [{ $currentOp: {} }],
  [{ $listSessions: {} }],
  [{ $match: nest(40) }],
  "not an array",
];

async function databases(app: TestApp): Promise<string[]> {
  const { databases } = await app.deps.db.clients.default.db("admin").admin()
    .listDatabases({ nameOnly: true });
  return databases.map((d) => d.name).sort();
}

async function setStatus(app: TestApp, who: OrgLogin, status: string) {
  await app.deps.db.master.collection("orgs").updateOne({ slug: who.org.slug }, {
    $set: { status },
  });
}

Deno.test("refused operators, stages and keys are 400 and change nothing", dbTest, async (t) => {
  await using app = await createTestApp();
  const a = await createOrgAndLogin(app, "Safety Alpha");
  await createCollection(app, a, "things", [{ fields: { name: 1 }, unique: true }]);
  const docs = docsOf(app, a).documents;
  const param = { slug: a.org.slug, name: "things" };
  const created = await docs.$post({ param, json: { name: "one", n: 1 } });
  if (created.status !== 201) throw new Error("insert failed");
  const { _id } = await created.json();
  const before = await snapshot(app, a);
  const dbsBefore = await databases(app);
  const expect = async (
    res: Response | { status: number; json(): Promise<unknown> },
    codes: string[],
    what: string,
  ) => {
    assertEquals(res.status, 400, what);
    const body = await res.json() as { code: string; errors?: unknown[] };
    assert(codes.includes(body.code), `${what}: code ${body.code}`);
    assert(Array.isArray(body.errors) && body.errors.length > 0, `${what}: errors listed`);
  };

  await t.step("filters on list and count", async () => {
    for (const f of FILTERS) {
      const filter = JSON.stringify(f);
      await expect(await docs.$get({ param, query: { filter } }), ["invalid_filter"], filter);
      await expect(
        await docs.count.$get({ param, query: { filter } }),
        ["invalid_filter"],
        filter,
      );
    }
    await expect(
      await docs.$get({ param, query: { filter: "{not json" } }),
      ["invalid_filter"],
      "bad JSON",
    );
  });

  await t.step("documents on insert, batch and PUT", async () => {
    for (const d of DOCUMENTS) {
      const what = JSON.stringify(d).slice(0, 80);
      const raw = (method: string, path: string, body: unknown) =>
        app.request(path, {
          method,
          headers: { Authorization: `Bearer ${a.token}`, "Content-Type": "application/json" },
          body: JSON.stringify(body),
        });
      const base = `/v1/orgs/${a.org.slug}/collections/things/documents`;
      await expect(await raw("POST", base, d), ["validation_failed"], `insert ${what}`);
      await expect(
        await raw("POST", `${base}/batch`, { documents: [{ ok: 1 }, d] }),
        ["validation_failed"],
        `batch ${what}`,
      );
      await expect(await raw("PUT", `${base}/${_id}`, d), ["validation_failed"], `put ${what}`);
    }
  });

  await t.step("PATCH bodies", async () => {
    for (const p of PATCHES) {
      const res = await app.request(
        `/v1/orgs/${a.org.slug}/collections/things/documents/${_id}`,
        {
          method: "PATCH",
          headers: { Authorization: `Bearer ${a.token}`, "Content-Type": "application/json" },
          body: JSON.stringify(p),
        },
      );
      await expect(res, ["validation_failed"], `patch ${JSON.stringify(p).slice(0, 80)}`);
    }
  });

  await t.step("pipelines", async () => {
    for (const pipeline of PIPELINES) {
      const res = await app.request(`/v1/orgs/${a.org.slug}/collections/things/aggregate`, {
        method: "POST",
        headers: { Authorization: `Bearer ${a.token}`, "Content-Type": "application/json" },
        body: JSON.stringify({ pipeline }),
      });
      await expect(
        res,
        ["invalid_pipeline", "validation_failed"],
        JSON.stringify(pipeline).slice(0, 80),
      );
    }
  });

  await t.step("the database is unchanged, and no database was added", async () => {
    assertEquals(await snapshot(app, a), before);
    assertEquals(await databases(app), dbsBefore);
  });

  await t.step("allowed filters and pipelines work, and never show the stamp", async () => {
    await docs.batch.$post({
      param,
      json: {
        documents: [{ name: "two", n: 2, city: "Oslo" }, { name: "three", n: 3, city: "Oslo" }],
      },
    });
    const filter = JSON.stringify({
      $or: [{ n: { $gte: 2, $lt: 3 } }, { name: { $in: ["three"] } }],
      city: { $exists: true, $ne: "Rome" },
    });
    const list = await docs.$get({ param, query: { filter, sort: "n" } });
    if (list.status !== 200) throw new Error(`list: ${list.status} ${await list.text()}`);
    assertEquals((await list.json()).items.map((d) => d.name), ["two", "three"]);
    const byId = await docs.$get({ param, query: { filter: JSON.stringify({ _id }) } });
    if (byId.status !== 200) throw new Error("list by id failed");
    assertEquals((await byId.json()).items.map((d) => d._id), [_id]);
    const agg = await docsOf(app, a).aggregate.$post({
      param,
      json: {
        pipeline: [
          { $match: { n: { $gte: 1 } } },
          {
            $group: {
              _id: "$city",
              // One accumulator: FerretDB v1 computes only the first of several.
              total: { $sum: "$n" },
            },
          },
          { $sort: { total: -1 } },
        ],
      },
    });
    if (agg.status !== 200) throw new Error(`aggregate: ${agg.status} ${await agg.text()}`);
    const { items } = await agg.json();
    assertEquals(items.map((i) => [i._id, i.total]), [["Oslo", 5], [null, 1]]);
    // Allowed, but not every server has it (FerretDB has no $push): 200 or 400, never 500.
    const push = await docsOf(app, a).aggregate.$post({
      param,
      json: { pipeline: [{ $group: { _id: null, names: { $push: "$name" } } }] },
    });
    assert([200, 400].includes(push.status), `$push: ${push.status}`);
    await push.body?.cancel();
    const raw = await docsOf(app, a).aggregate.$post({
      param,
      json: { pipeline: [{ $project: { n: 0 } }] },
    });
    if (raw.status !== 200) throw new Error("aggregate failed");
    const all = (await raw.json()).items;
    assertEquals(all.length, 3);
    assert(
      all.every((d) => !("_stamp" in d) && typeof d._id === "string"),
      "no stamp; string ids",
    );
  });
});

Deno.test("org A's token never reaches org B's collections", dbTest, async (t) => {
  await using app = await createTestApp({ env: { AUTH_CACHE_TTL_MS: "0" } });
  const a = await createOrgAndLogin(app, "Tenant Alpha");
  const b = await createOrgAndLogin(app, "Tenant Beta");
  await createCollection(app, b, "secrets");
  const bDocs = docsOf(app, b).documents;
  const created = await bDocs.$post({
    param: { slug: b.org.slug, name: "secrets" },
    json: { s: "b's" },
  });
  if (created.status !== 201) throw new Error("insert failed");
  const { _id } = await created.json();
  const before = await snapshot(app, b);

  await t.step("B's slug with A's token is 404 on every data route", async () => {
    const param = { slug: b.org.slug, name: "secrets" };
    const doc = { ...param, documentId: _id };
    const docs = docsOf(app, a).documents;
    const cols = app.client(a.token).v1.orgs[":slug"].collections;
    const results = [
      await cols.$get({ param: { slug: b.org.slug } }),
      await cols.$post({ param: { slug: b.org.slug }, json: { name: "planted" } }),
      await cols[":name"].$delete({ param }),
      await docs.$get({ param, query: {} }),
      await docs.count.$get({ param, query: {} }),
      await docs.$post({ param, json: { planted: true } }),
      await docs.batch.$post({ param, json: { documents: [{ planted: true }] } }),
      await docs[":documentId"].$get({ param: doc, header: {} }),
      await docs[":documentId"].$put({ param: doc, header: {}, json: { planted: true } }),
      await docs[":documentId"].$patch({ param: doc, header: {}, json: { planted: true } }),
      await docs[":documentId"].$delete({ param: doc, header: {} }),
      await docsOf(app, a).aggregate.$post({ param, json: { pipeline: [] } }),
    ];
    for (const res of results) {
      await assertProblem(res, 404, "org_not_found", res.url);
    }
  });

  await t.step(
    "A's own namespace never holds B's documents, whatever the filter says",
    async () => {
      await createCollection(app, a, "secrets");
      const param = { slug: a.org.slug, name: "secrets" };
      const docs = docsOf(app, a).documents;
      for (
        const filter of [{ _id }, { s: "b's" }, { $or: [{ _id }, { s: { $exists: true } }] }]
      ) {
        const res = await docs.$get({ param, query: { filter: JSON.stringify(filter) } });
        if (res.status !== 200) throw new Error("list failed");
        assertEquals((await res.json()).items, []);
      }
      const get = await docs[":documentId"].$get({
        param: { ...param, documentId: _id },
        header: {},
      });
      assertEquals(get.status as number, 404);
      const agg = await docsOf(app, a).aggregate.$post({
        param,
        json: { pipeline: [{ $match: { _id } }] },
      });
      if (agg.status !== 200) throw new Error("aggregate failed");
      assertEquals((await agg.json()).items, []);
    },
  );

  await t.step("odd names in the path stay in A's database", async () => {
    for (
      const name of [
        "..",
        "%2e%2e",
        "secrets%00",
        "org_x.secrets",
        "SECRETS",
        encodeURIComponent(b.org.slug),
      ]
    ) {
      const res = await app.request(`/v1/orgs/${a.org.slug}/collections/${name}/documents`, {
        headers: { Authorization: `Bearer ${a.token}` },
      });
      assert([400, 404].includes(res.status), `${name}: ${res.status}`);
      await res.body?.cancel();
    }
  });

  await t.step("B's database is unchanged", async () => {
    assertEquals(await snapshot(app, b), before);
  });

  await t.step("a suspended org's token is 403 org_suspended on its data", async () => {
    await setStatus(app, b, "suspended");
    const res = await bDocs.$get({ param: { slug: b.org.slug, name: "secrets" }, query: {} });
    await assertProblem(res, 403, "org_suspended");
  });

  await t.step("a deleting org's token is refused", async () => {
    await setStatus(app, b, "deleting");
    const res = await bDocs.$get({ param: { slug: b.org.slug, name: "secrets" }, query: {} });
    // The principal check refuses a token of an org that is no longer active or suspended.
    assertEquals(res.status as number, 401);
    await res.body?.cancel();
  });
});
