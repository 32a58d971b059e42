/**
 * PATCH computes the document it would make, checks it like an insert before writing, and
 * writes it only over the version it was computed from (docs/data-api.md).
 */
import { BSON, type Document } from "mongodb";
import { assert, assertEquals, assertProblem } from "../support/assert.ts";
import { createOrgAndLogin, createTestApp, dbTest, type TestApp } from "../support/app.ts";
import { createCollection, type OrgLogin, tenantDbOf } from "../support/data.ts";

/** A document with `fields` inserted through the API: its id and raw reader. */
async function seed(app: TestApp, who: OrgLogin, fields: Record<string, unknown>) {
  const res = await app.request(`/v1/orgs/${who.org.slug}/collections/things/documents`, {
    method: "POST",
    headers: { Authorization: `Bearer ${who.token}`, "Content-Type": "application/json" },
    body: JSON.stringify(fields),
  });
  if (res.status !== 201) throw new Error(`insert: ${res.status} ${await res.text()}`);
  const { _id } = await res.json();
  const col = (await tenantDbOf(app, who)).collection("things");
  const stored = async (): Promise<Document | null> => {
    const doc = await col.findOne({ _id: BSON.ObjectId.createFromHexString(_id) });
    return doc;
  };
  return { id: _id as string, etag: res.headers.get("ETag")!, stored };
}

const patch = (app: TestApp, who: OrgLogin, id: string, body: unknown, ifMatch?: string) =>
  app.request(`/v1/orgs/${who.org.slug}/collections/things/documents/${id}`, {
    method: "PATCH",
    headers: {
      Authorization: `Bearer ${who.token}`,
      "Content-Type": "application/json",
      ...(ifMatch ? { "If-Match": ifMatch } : {}),
    },
    body: JSON.stringify(body),
  });

/** The client's fields of a stored document. */
const fieldsOf = (doc: Document | null) => {
  if (!doc) return null;
  const { _id: _, _stamp: __, ...rest } = doc;
  return rest;
};

Deno.test("PATCH refuses an array index over 10,000 and stores nothing", dbTest, async (t) => {
  await using app = await createTestApp();
  const a = await createOrgAndLogin(app, "Patch Index");
  await createCollection(app, a, "things");
  const doc = await seed(app, a, { a: [1, 2], o: {}, n: [{ b: [] }] });
  const before = await doc.stored();

  await t.step("a numeric path part over 10,000, anywhere in the path, is 400", async () => {
    for (
      const path of [
        "a.2000000",
        "a.10001",
        "n.0.b.20000",
        "o.10001",
        "a.000000000000020000",
        "a.99999999999999999999999999999999",
        "new.20000.x",
      ]
    ) {
      const res = await patch(app, a, doc.id, { [path]: 1 });
      const body = await assertProblem(res, 400, "validation_failed", path);
      assertEquals(body.errors?.[0]?.path, path, `${path}: the error names the path`);
    }
  });

  await t.step("a part that is no array index, where an array is, is 400", async () => {
    for (const path of ["a.-1", "a.+1", "a.1e3", "a.x", "a.0.b"]) {
      const res = await patch(app, a, doc.id, { [path]: 1 });
      const body = await assertProblem(res, 400, "validation_failed", path);
      assertEquals(body.errors?.[0]?.path, path, `${path}: the error names the path`);
    }
  });

  await t.step("an index within the bound that pads past the insert's limits is 400", async () => {
    const res = await patch(app, a, doc.id, { "a.9999": 1 });
    await assertProblem(res, 400, "validation_failed");
  });

  await t.step("nothing was stored", async () => {
    assertEquals(await doc.stored(), before);
  });

  await t.step("an index within the bound pads with null, as MongoDB does", async () => {
    const res = await patch(app, a, doc.id, { "a.4": 9 });
    assertEquals(res.status, 200);
    assertEquals((await res.json()).a, [1, 2, null, null, 9]);
    assertEquals(fieldsOf(await doc.stored())?.a, [1, 2, null, null, 9]);
  });
});

Deno.test("PATCH stores what MongoDB's $set and $unset make of the document", dbTest, async (t) => {
  await using app = await createTestApp();
  const a = await createOrgAndLogin(app, "Patch Semantics");
  await createCollection(app, a, "things");
  const cases: [Record<string, unknown>, Record<string, unknown>, Record<string, unknown>][] = [
    [{ a: [1, 2] }, { "a.3.b.c": 9 }, { a: [1, 2, null, { b: { c: 9 } }] }],
    [{ k: 1 }, { "x.0.y": 9 }, { k: 1, x: { "0": { y: 9 } } }],
    [{ x: {} }, { "x.0.y": 9 }, { x: { "0": { y: 9 } } }],
    [{ a: [1, 2, 3] }, { "a.1": null }, { a: [1, null, 3] }],
    [{ a: [1, 2, 3] }, { "a.7": null }, { a: [1, 2, 3] }],
    [{ a: [1, 2, 3] }, { "a.x": null }, { a: [1, 2, 3] }],
    [{ a: "s" }, { "a.b": null }, { a: "s" }],
    [{ a: null }, { "a.b": null, "c.d": null }, { a: null }],
    [{ a: [{ b: 1 }] }, { "a.0.b": null }, { a: [{}] }],
    [{ a: [{ b: 1 }] }, { "a.b": null }, { a: [{ b: 1 }] }],
    [{ a: [{ x: 1 }, 2] }, { "a.0.1": 9 }, { a: [{ x: 1, "1": 9 }, 2] }],
    [{ a: [] }, { "a.0.b": 9 }, { a: [{ b: 9 }] }],
    [{ a: [1, 2] }, { "a.01": 9 }, { a: [1, 9] }],
    [{ a: [1, 2] }, { "a.5": 9, "a.3": 8 }, { a: [1, 2, null, 8, null, 9] }],
    [{ a: { "5": 1, b: 2 } }, { "a.5": 9, "a.3": 1 }, { a: { "5": 9, b: 2, "3": 1 } }],
    [{ z: 1, a: 1 }, { a: { q: 1 }, n: 5, "b.c": 1, z: null }, {
      a: { q: 1 },
      n: 5,
      b: { c: 1 },
    }],
  ];
  for (const [start, body, expected] of cases) {
    await t.step(`${JSON.stringify(start)} + ${JSON.stringify(body)}`, async () => {
      const doc = await seed(app, a, start);
      const res = await patch(app, a, doc.id, body);
      assertEquals(res.status, 200, await res.clone().text());
      const { _id, ...answered } = await res.json();
      assertEquals(_id, doc.id);
      assertEquals(answered, expected, "the answer");
      assertEquals(fieldsOf(await doc.stored()), expected, "the stored document");
    });
  }
  const refused: [Record<string, unknown>, Record<string, unknown>][] = [
    [{ a: null }, { "a.b": 1 }],
    [{ a: "s" }, { "a.b": 1 }],
    [{ a: 3 }, { "a.0": 1 }],
    [{ a: [1] }, { "a.0.b": 1 }],
    [{ a: [null] }, { "a.0.b": 1 }],
    [{ a: [1] }, { "a.1": [5] }],
    [{ a: [1, 2] }, { "a.1": 9, "a.01": 8 }],
    [{ a: [1, 2] }, { "a.1": null, "a.01.x": 8 }],
    [{ k: 1 }, { a: 1, "a-x": 2, "a.b": 3 }],
  ];
  for (const [start, body] of refused) {
    await t.step(`${JSON.stringify(start)} + ${JSON.stringify(body)} is 400`, async () => {
      const doc = await seed(app, a, start);
      const before = await doc.stored();
      await assertProblem(await patch(app, a, doc.id, body), 400, "validation_failed");
      assertEquals(await doc.stored(), before);
    });
  }
});

Deno.test(
  "concurrent PATCHes that together pass the quota never leave an over-quota document",
  dbTest,
  async (t) => {
    await using app = await createTestApp({ env: { DATA_MAX_DOCUMENT_BYTES: "2048" } });
    const a = await createOrgAndLogin(app, "Patch Quota");
    await createCollection(app, a, "things");

    await t.step("without If-Match: each is checked against what it writes over", async () => {
      const doc = await seed(app, a, { n: 0 });
      const statuses = await Promise.all(
        Array.from(
          { length: 12 },
          (_, i) =>
            patch(app, a, doc.id, { [`f${i}`]: "x".repeat(500) }).then(async (r) => {
              await r.body?.cancel();
              return r.status;
            }),
        ),
      );
      const stored = (await doc.stored())!;
      assert(
        BSON.calculateObjectSize(stored) <= 2048,
        `stored ${BSON.calculateObjectSize(stored)}`,
      );
      assert(statuses.every((s) => [200, 403, 409].includes(s)), `statuses ${statuses}`);
      // No write is lost and none that was refused is kept.
      const kept = statuses.flatMap((s, i) => s === 200 ? [`f${i}`] : []);
      assertEquals(Object.keys(fieldsOf(stored)!).filter((k) => k !== "n").sort(), kept.sort());
      assert(kept.length >= 1 && kept.length <= 3, `kept ${kept}`);
    });

    await t.step("with If-Match: one 200, the rest 412, the stored one in quota", async () => {
      const doc = await seed(app, a, { n: 0 });
      const statuses = await Promise.all(
        Array.from(
          { length: 8 },
          (_, i) =>
            patch(app, a, doc.id, { [`f${i}`]: "x".repeat(1500) }, doc.etag).then(async (r) => {
              await r.body?.cancel();
              return r.status;
            }),
        ),
      );
      assertEquals(statuses.filter((s) => s === 200).length, 1, `statuses ${statuses}`);
      assertEquals(statuses.filter((s) => s === 412).length, 7, `statuses ${statuses}`);
      assert(BSON.calculateObjectSize((await doc.stored())!) <= 2048, "in quota");
    });

    await t.step("a PATCH over the quota is 403 and writes nothing", async () => {
      const doc = await seed(app, a, { n: 0, s: "x".repeat(1000) });
      const before = await doc.stored();
      const res = await patch(app, a, doc.id, { t: "y".repeat(1100) });
      await assertProblem(res, 403, "quota_exceeded");
      assertEquals(await doc.stored(), before);
    });
  },
);
