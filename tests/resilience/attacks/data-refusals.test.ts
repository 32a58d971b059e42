/**
 * Generated from the OpenAPI document: every route that writes documents refuses array-index
 * paths that would make the database pad an array without bound, and every route that takes a
 * filter or a pipeline answers what the database refuses with 400 and its reason — never 500,
 * never an error in the log — so the next route of either kind is covered when it is added.
 */
import { assert, assertEquals } from "../../support/assert.ts";
import { bearer, createOrgAndLogin, createTestApp, dbTest } from "../../support/app.ts";
import { createCollection, snapshot } from "../../support/data.ts";
import {
  fillPath,
  type OpenApi,
  openapi,
  type Operation,
  operations,
  type Schema,
} from "../../support/openapi.ts";

const DOCUMENT = "#/components/schemas/DocumentBody";

/** Where a body carries documents: the body itself ([]) or a property holding a list of them. */
function documentsIn(doc: OpenApi, op: Operation): string[] | null {
  let schema: Schema | undefined = op.requestBody?.content["application/json"]?.schema;
  if (!schema) return null;
  if (schema.$ref === DOCUMENT) return [];
  if (schema.$ref) schema = doc.components.schemas[schema.$ref.split("/").pop()!];
  for (const [key, s] of Object.entries(schema.properties ?? {})) {
    if (s.items?.$ref === DOCUMENT) return [key];
  }
  return null;
}

/** Array-index paths: past the bound, hidden by zeros or digits, and none where one is. */
const INDEX_PATHS = [
  "a.2000000",
  "a.10001",
  "n.0.b.20000",
  "o.10001",
  "a.000000000000020000",
  "a.99999999999999999999999999999999",
  "a.-1",
  "a.+1",
  "a.9999",
];

Deno.test(
  "array-index paths in every document-writing body are 400 and store nothing",
  dbTest,
  async (t) => {
    await using app = await createTestApp();
    const doc = await openapi(app);
    const owner = await createOrgAndLogin(app, "Index Target");
    await createCollection(app, owner, "target");
    const created = await app.request(`/v1/orgs/${owner.org.slug}/collections/target/documents`, {
      method: "POST",
      headers: { ...bearer(owner.token), "Content-Type": "application/json" },
      body: JSON.stringify({ a: [1, 2], o: {}, n: [{ b: [] }] }),
    });
    assertEquals(created.status, 201);
    const params = {
      slug: owner.org.slug,
      name: "target",
      documentId: (await created.json())._id,
    };
    const before = await snapshot(app, owner);
    let tried = 0;
    for (const { template, method, op } of operations(doc)) {
      const at = documentsIn(doc, op);
      if (!at) continue;
      const path = fillPath(doc, template, params, op);
      await t.step(`${method.toUpperCase()} ${template}`, async () => {
        for (const key of INDEX_PATHS) {
          const attack = { [key]: 1 };
          const body = at.length ? { [at[0]]: [attack] } : attack;
          const res = await app.request(path, {
            method: method.toUpperCase(),
            headers: { ...bearer(owner.token), "Content-Type": "application/json" },
            body: JSON.stringify(body),
          });
          const text = await res.text();
          assertEquals(res.status, 400, `${key}: ${text}`);
          assertEquals(JSON.parse(text).code, "validation_failed", `${key}: ${text}`);
          tried++;
        }
      });
    }
    assert(tried >= 4 * INDEX_PATHS.length, `only ${tried} attacks: routes not found`);
    await t.step("nothing was stored", async () => {
      assertEquals(await snapshot(app, owner), before);
    });
  },
);

/** Pipelines the database refuses (MongoDB and FerretDB alike), or the sanitizer for both. */
const PIPELINES: unknown[][] = [
  [{ $project: { a: 1, b: 0 } }],
  [{ $project: { a: 0, b: 1 } }],
  [{ $sort: Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`f${i}`, 1])) }],
  [{ $group: { _id: null, n: { $sum: [1, 2] } } }],
  [{ $count: "n" }, { $project: { n: 1, x: 0 } }],
];

/** Filters one database refuses and another runs: 200 or 400, never anything else. */
const FILTERS: unknown[] = [{ a: "x\u0000y" }, { "b.c": { $in: ["\u0000", 1] }, a: "\u0000" }];

Deno.test(
  "what the database refuses on every filter or pipeline route is 400 with its reason",
  dbTest,
  async (t) => {
    await using app = await createTestApp();
    const doc = await openapi(app);
    const owner = await createOrgAndLogin(app, "Refusal Target");
    await createCollection(app, owner, "target");
    await app.request(`/v1/orgs/${owner.org.slug}/collections/target/documents/batch`, {
      method: "POST",
      headers: { ...bearer(owner.token), "Content-Type": "application/json" },
      body: JSON.stringify({ documents: [{ a: 1, b: { c: 1 } }, { a: 2, b: { c: 2 } }] }),
    });
    const params = { slug: owner.org.slug, name: "target" };
    const send = async (method: string, path: string, body?: unknown) => {
      const res = await app.request(path, {
        method,
        headers: {
          ...bearer(owner.token),
          ...(body ? { "Content-Type": "application/json" } : {}),
        },
        body: body ? JSON.stringify(body) : undefined,
      });
      return { status: res.status, body: await res.json() };
    };
    const expectRefusal = (
      res: { status: number; body: { code?: string; errors?: { message: string }[] } },
      code: string,
      what: string,
    ) => {
      assertEquals(
        [res.status, res.body.code],
        [400, code],
        `${what}: ${JSON.stringify(res.body)}`,
      );
      const reason = res.body.errors?.[0]?.message ?? "";
      assert(reason.length > 5 && !/\.go:\d|\n\s+at |SQLSTATE/.test(reason), `${what}: ${reason}`);
    };
    let filterRoutes = 0;
    let pipelineRoutes = 0;
    let refusedFilters = 0;
    for (const { template, method, op } of operations(doc)) {
      const path = fillPath(doc, template, params, op);
      const takesFilter = op.parameters?.some((p) => p.in === "query" && p.name === "filter");
      const schema = op.requestBody?.content["application/json"]?.schema;
      const takesPipeline = Boolean(schema?.properties?.pipeline);
      if (takesFilter) {
        filterRoutes++;
        await t.step(`${method.toUpperCase()} ${template} ?filter=`, async () => {
          for (const f of FILTERS) {
            const res = await send(
              method.toUpperCase(),
              `${path}?filter=${encodeURIComponent(JSON.stringify(f))}`,
            );
            if (res.status === 200) continue;
            expectRefusal(res, "invalid_filter", JSON.stringify(f));
            refusedFilters++;
          }
        });
      }
      if (takesPipeline) {
        pipelineRoutes++;
        await t.step(`${method.toUpperCase()} ${template} pipeline`, async () => {
          for (const pipeline of PIPELINES) {
            expectRefusal(
              await send(method.toUpperCase(), path, { pipeline }),
              "invalid_pipeline",
              JSON.stringify(pipeline).slice(0, 80),
            );
          }
          for (const f of FILTERS) {
            const res = await send(method.toUpperCase(), path, { pipeline: [{ $match: f }] });
            if (res.status !== 200) expectRefusal(res, "invalid_pipeline", JSON.stringify(f));
          }
        });
      }
    }
    assert(filterRoutes >= 2, `only ${filterRoutes} routes take a filter`);
    assert(pipelineRoutes >= 1, `only ${pipelineRoutes} routes take a pipeline`);
    console.log(`filters refused by this database: ${refusedFilters}`);
    await t.step("nothing was logged as an error", () => {
      const errors = app.logs.filter((l) => JSON.parse(l).level === "error");
      assertEquals(errors, []);
    });
  },
);
