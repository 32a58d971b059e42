/**
 * Generated from the OpenAPI document: every collection and document operation, called with a
 * key of each scope. Where the scope covers the operation the key is answered exactly as the
 * org's owner is (same status, on the same fresh data); elsewhere it is 403 `insufficient_scope`
 * and nothing changes.
 */
import { assert, assertEquals, assertProblem } from "../support/assert.ts";
import { bearer, createOrgAndLogin, createTestApp, dbTest } from "../support/app.ts";
import { createKey, type Scope } from "../support/api-keys.ts";
import { snapshot } from "../support/data.ts";
import { fillPath, openapi, operations, sample } from "../support/openapi.ts";

const SCOPES: Scope[] = [
  "data:read",
  "data:write",
  "collections:manage",
  "members:read",
  "audit:read",
];
const READ: Scope[] = ["data:read", "data:write"];
const WRITE: Scope[] = ["data:write"];
const MANAGE: Scope[] = ["collections:manage"];

/**
 * docs/api.md's scope rules, by operation. An operation missing here (a newer route) is expected to
 * refuse every key until it declares its scope and is added here.
 */
const COVERED_BY: Record<string, Scope[]> = {
  "GET /v1/orgs/{slug}/collections": READ,
  "POST /v1/orgs/{slug}/collections": MANAGE,
  "DELETE /v1/orgs/{slug}/collections/{name}": MANAGE,
  "GET /v1/orgs/{slug}/collections/{name}/documents": READ,
  "GET /v1/orgs/{slug}/collections/{name}/documents/count": READ,
  "GET /v1/orgs/{slug}/collections/{name}/documents/{documentId}": READ,
  "POST /v1/orgs/{slug}/collections/{name}/aggregate": READ,
  "POST /v1/orgs/{slug}/collections/{name}/documents": WRITE,
  "POST /v1/orgs/{slug}/collections/{name}/documents/batch": WRITE,
  "PUT /v1/orgs/{slug}/collections/{name}/documents/{documentId}": WRITE,
  "PATCH /v1/orgs/{slug}/collections/{name}/documents/{documentId}": WRITE,
  "DELETE /v1/orgs/{slug}/collections/{name}/documents/{documentId}": WRITE,
  "GET /v1/orgs/{slug}/collections/{name}/indexes": READ,
  "POST /v1/orgs/{slug}/collections/{name}/indexes": MANAGE,
  "DELETE /v1/orgs/{slug}/collections/{name}/indexes/{index}": MANAGE,
};

Deno.test(
  "every collection and document operation, with a key of each scope",
  dbTest,
  async (t) => {
    await using app = await createTestApp();
    const doc = await openapi(app);
    const a = await createOrgAndLogin(app, "Scoped Keys");
    const keys = new Map<Scope, string>();
    for (const s of SCOPES) keys.set(s, (await createKey(app, a.token, a.org.slug, [s])).key);
    const base = `/v1/orgs/${a.org.slug}/collections`;

    /** The collection `target` afresh, holding one document; returns its id. */
    const reset = async () => {
      await app.request(`${base}/target`, { method: "DELETE", headers: bearer(a.token) });
      await app.request(`${base}/made_here`, { method: "DELETE", headers: bearer(a.token) });
      const made = await app.request(base, {
        method: "POST",
        headers: { ...bearer(a.token), "Content-Type": "application/json" },
        body: JSON.stringify({ name: "target" }),
      });
      assertEquals(made.status, 201);
      const d = await app.request(`${base}/target/documents`, {
        method: "POST",
        headers: { ...bearer(a.token), "Content-Type": "application/json" },
        body: JSON.stringify({ k: 1 }),
      });
      assertEquals(d.status, 201);
      // An index to drop (`k_1`), for the index routes.
      const ix = await app.request(`${base}/target/indexes`, {
        method: "POST",
        headers: { ...bearer(a.token), "Content-Type": "application/json" },
        body: JSON.stringify({ fields: { k: 1 } }),
      });
      assertEquals(ix.status, 201);
      return String((await d.json())._id);
    };

    let tried = 0;
    for (const { template, method, op } of operations(doc)) {
      if (!template.startsWith("/v1/orgs/{slug}/collections")) continue;
      const name = `${method.toUpperCase()} ${template}`;
      const covered = COVERED_BY[name] ?? [];
      const schema = op.requestBody?.content["application/json"]?.schema;
      let body = schema ? sample(doc, schema) as Record<string, unknown> : undefined;
      if (name === "POST /v1/orgs/{slug}/collections") body = { name: "made_here" };
      if (name === "PATCH /v1/orgs/{slug}/collections/{name}/documents/{documentId}") {
        body = { k: 2 };
      }
      if (name === "POST /v1/orgs/{slug}/collections/{name}/indexes") body = { fields: { j: 1 } };
      const call = async (token: string) => {
        const documentId = await reset();
        const path = fillPath(doc, template, {
          slug: a.org.slug,
          name: "target",
          documentId,
          index: "k_1",
        }, op);
        return await app.request(path, {
          method: method.toUpperCase(),
          headers: { ...bearer(token), ...(body ? { "Content-Type": "application/json" } : {}) },
          body: body ? JSON.stringify(body) : undefined,
        });
      };
      await t.step(name, async () => {
        const owner = await call(a.token);
        const ownerStatus = owner.status;
        await owner.body?.cancel();
        assert(ownerStatus < 400, `${name} as the owner: ${ownerStatus}`);
        for (const s of SCOPES) {
          const res = await call(keys.get(s)!);
          if (covered.includes(s)) {
            assertEquals(res.status, ownerStatus, `${name} with ${s}: ${await res.text()}`);
          } else {
            const before = await snapshot(app, a);
            const refused = await call(keys.get(s)!);
            await res.body?.cancel();
            await assertProblem(refused, 403, "insufficient_scope", `${name} with ${s}`);
            // Refused before anything ran: the fresh data is as reset left it (ids aside).
            const after = await snapshot(app, a);
            assertEquals(Object.keys(after), Object.keys(before));
            assertEquals(after.target?.length, before.target?.length);
          }
        }
      });
      tried++;
    }
    assert(tried >= 12, `only ${tried} collection and document operations found`);
  },
);
