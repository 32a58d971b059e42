/**
 * Attacks on tokens and tenants, beyond tests/auth.test.ts (which covers forged, expired,
 * wrong-algorithm and malformed JWTs on /v1/me):
 *
 * - tokens whose session, membership, user or org is gone are refused everywhere;
 * - malformed Authorization headers over real HTTP;
 * - generated from the OpenAPI document: every operation on an org's `{slug}`, called with
 *   another org's token, is 403 or 404 and leaves the org unchanged;
 * - operator injection in every string field of every request body is 400, and strings that
 *   look like operators are stored as plain data;
 * - passwords, tokens and the JWT secret never reach the logs (in-process and child process);
 * - generated from the OpenAPI document: every operation whose body carries a password, hit by a
 *   concurrent burst of wrong ones for one existing user, answers no more 401s than the login
 *   throttle allows, and none of them signs anyone in.
 */
import { ObjectId } from "mongodb";
import { createHasher, type Hasher } from "../../src/platform/hasher.ts";
import { EMAIL_LIMIT } from "../../src/identity/throttle.ts";
import { assert, assertEquals } from "../support/assert.ts";
import {
  addMember,
  createOrgAndLogin,
  createTestApp,
  dbTest,
  json,
  PASSWORD,
  SECRET,
  type TestApp,
} from "../support/app.ts";
import { call, serveApp, serviceEnv, spawnService } from "../support/service.ts";

type Schema = {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  enum?: string[];
  format?: string;
  minLength?: number;
  maxLength?: number;
  items?: Schema;
  minItems?: number;
};
type OpenApi = {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
};
type Operation = {
  security?: unknown[];
  requestBody?: { content: Record<string, { schema: Schema }> };
  parameters?: { name: string; in: string }[];
};

const METHODS = ["get", "post", "put", "patch", "delete"];
const auth = (token: string) => ({ Authorization: `Bearer ${token}` });

function resolve(doc: OpenApi, s: Schema): Schema {
  if (!s.$ref) return s;
  return doc.components.schemas[s.$ref.replace("#/components/schemas/", "")];
}

/** Values a real client would send, by field name; otherwise built from the schema. */
const SAMPLES: Record<string, unknown> = {
  name: "Hijacked By B",
  new_organization_name: "Hijacked By B",
  organization_name: "Target Org",
  email: "attacker@example.com",
  role: "owner",
  password: PASSWORD,
  currentPassword: PASSWORD,
  newPassword: "another horse battery staple",
  org: "target-org",
};

/** A minimal valid body for `schema`: required fields only, sample values. */
function sample(doc: OpenApi, schema: Schema, name = ""): unknown {
  const s = resolve(doc, schema);
  if (name in SAMPLES) return SAMPLES[name];
  if (s.enum) return s.enum[0];
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  if (type === "object" || s.properties) {
    const out: Record<string, unknown> = {};
    for (const key of s.required ?? []) out[key] = sample(doc, s.properties![key], key);
    return out;
  }
  if (type === "array") {
    // As many items as the schema requires (a batch of documents needs one), so the request is
    // refused for whose org it names, not for its body.
    const n = s.minItems ?? 0;
    return Array.from({ length: n }, () => s.items ? sample(doc, s.items) : {});
  }
  if (type === "integer" || type === "number") return 1;
  if (type === "boolean") return true;
  if (s.format === "email") return "attacker@example.com";
  return "x".repeat(Math.max(s.minLength ?? 1, 8));
}

/** Paths (as key lists) of every string field in `schema`, required or not. */
function stringFields(doc: OpenApi, schema: Schema, prefix: string[] = []): string[][] {
  const s = resolve(doc, schema);
  if (s.properties) {
    return Object.entries(s.properties).flatMap(([k, v]) => stringFields(doc, v, [...prefix, k]));
  }
  const type = Array.isArray(s.type) ? s.type : [s.type];
  return type.includes("string") ? [prefix] : [];
}

function withValue(body: unknown, path: string[], value: unknown): unknown {
  const copy = structuredClone(body) as Record<string, unknown>;
  let at = copy;
  for (const key of path.slice(0, -1)) {
    at[key] ??= {};
    at = at[key] as Record<string, unknown>;
  }
  at[path[path.length - 1]] = value;
  return copy;
}

/** `body` with every object on `path` filled in (required fields, sample values). */
function withPath(doc: OpenApi, schema: Schema, body: unknown, path: string[]): unknown {
  const copy = structuredClone(body) as Record<string, unknown>;
  let at = copy;
  let s = resolve(doc, schema);
  for (const key of path.slice(0, -1)) {
    s = resolve(doc, s.properties![key]);
    at[key] ??= sample(doc, s);
    at = at[key] as Record<string, unknown>;
  }
  return copy;
}

async function openapi(app: TestApp): Promise<OpenApi> {
  return await (await app.request("/openapi.json")).json();
}

Deno.test(
  "tokens whose session, membership, user or org is gone are refused",
  dbTest,
  async (t) => {
    // No cache: a change made directly in the database (the deleted user) shows at once.
    const app = await createTestApp({ env: { AUTH_CACHE_TTL_MS: "0" } });
    const probe = async (token: string, slug: string) => {
      const paths = ["/v1/me", `/v1/orgs/${slug}/members`, `/v1/orgs/${slug}/invitations`];
      const statuses = [];
      for (const p of paths) statuses.push((await app.request(p, { headers: auth(token) })).status);
      const rename = await app.request(`/v1/orgs/${slug}`, {
        method: "PATCH",
        headers: { ...auth(token), "Content-Type": "application/json" },
        body: JSON.stringify({ name: "Taken Over" }),
      });
      statuses.push(rename.status);
      return statuses;
    };
    try {
      const owner = await createOrgAndLogin(app, "Gone Co");
      const slug = owner.org.slug;

      await t.step("a signed-out session (logout): 401 everywhere", async () => {
        const m = await addMember(app, owner.token, slug, "admin");
        const out = await app.request("/v1/auth/logout", {
          method: "POST",
          headers: auth(m.token),
        });
        assertEquals(out.status, 204);
        assertEquals(await probe(m.token, slug), [401, 401, 401, 401]);
        const refreshed = await app.request(
          "/v1/auth/refresh",
          json({ refreshToken: m.refreshToken }),
        );
        assertEquals(refreshed.status, 401, "its refresh token is dead too");
      });
      await t.step("a member removed from the org: 401 everywhere", async () => {
        const m = await addMember(app, owner.token, slug, "admin");
        const del = await app.request(`/v1/orgs/${slug}/members/${m.userId}`, {
          method: "DELETE",
          headers: auth(owner.token),
        });
        assertEquals(del.status, 204);
        assertEquals(await probe(m.token, slug), [401, 401, 401, 401]);
        const refreshed = await app.request(
          "/v1/auth/refresh",
          json({ refreshToken: m.refreshToken }),
        );
        assertEquals(refreshed.status, 401);
      });
      await t.step("a user deleted from the database: 401 everywhere", async () => {
        const m = await addMember(app, owner.token, slug, "admin");
        await app.deps.db.master.collection("users").deleteOne({ _id: new ObjectId(m.userId) });
        assertEquals(await probe(m.token, slug), [401, 401, 401, 401]);
      });
      await t.step("a deleted org: 401 for every token scoped to it", async () => {
        const m = await addMember(app, owner.token, slug, "member");
        const del = await app.request(`/v1/orgs/${slug}`, {
          method: "DELETE",
          headers: auth(owner.token),
        });
        assertEquals(del.status, 204);
        assertEquals(await probe(owner.token, slug), [401, 401, 401, 401]);
        assertEquals(await probe(m.token, slug), [401, 401, 401, 401]);
        const refreshed = await app.request(
          "/v1/auth/refresh",
          json({ refreshToken: owner.refreshToken }),
        );
        assertEquals(refreshed.status, 401);
        // Its name is free again, and the new org's owner gets nothing of the old one.
        const again = await createOrgAndLogin(app, "Gone Co");
        assertEquals(await probe(owner.token, again.org.slug), [401, 401, 401, 401]);
      });
    } finally {
      await app.close();
    }
  },
);

Deno.test("a refresh token replayed concurrently is honoured once", dbTest, async () => {
  const app = await createTestApp();
  try {
    const owner = await createOrgAndLogin(app, "Race Co");
    const answers = await Promise.all(
      Array.from(
        { length: 8 },
        () => app.request("/v1/auth/refresh", json({ refreshToken: owner.refreshToken })),
      ),
    );
    const ok = answers.filter((r) => r.status === 200);
    assert(ok.length <= 1, `${ok.length} of 8 concurrent refreshes with one token succeeded`);
    const codes = await Promise.all(answers.map(async (r) => [r.status, (await r.json()).code]));
    for (const [status] of codes) assert(status === 200 || status === 401, `status ${status}`);
    assert(codes.some(([, code]) => code === "refresh_reused"), "the replay was detected");
    // Reuse revokes the whole session: the access token of the login is refused now.
    assertEquals((await app.request("/v1/me", { headers: auth(owner.token) })).status, 401);
  } finally {
    await app.close();
  }
});

Deno.test("an invitation accepted concurrently is used once, and never again", dbTest, async () => {
  const app = await createTestApp();
  try {
    const owner = await createOrgAndLogin(app, "Invite Race Co");
    const slug = owner.org.slug;
    const inv = await app.request(`/v1/orgs/${slug}/invitations`, {
      method: "POST",
      headers: { ...auth(owner.token), "Content-Type": "application/json" },
      body: JSON.stringify({ email: "racer@example.com", role: "member" }),
    });
    const { token } = await inv.json();
    const answers = await Promise.all(
      Array.from(
        { length: 8 },
        () => app.request("/v1/invitations/accept", json({ token, password: PASSWORD })),
      ),
    );
    const statuses = answers.map((r) => r.status);
    assertEquals(statuses.filter((s) => s === 200).length, 1, `statuses ${statuses}`);
    const joined = await answers.find((r) => r.status === 200)!.json();
    const userId = JSON.parse(atob(joined.accessToken.split(".")[1])).sub;
    for (const r of answers) if (!r.bodyUsed) await r.body?.cancel();
    // Removed from the org, the member cannot use the same invitation to come back.
    const removed = await app.request(`/v1/orgs/${slug}/members/${userId}`, {
      method: "DELETE",
      headers: auth(owner.token),
    });
    assertEquals(removed.status, 204);
    const again = await app.request("/v1/invitations/accept", json({ token, password: PASSWORD }));
    assertEquals(again.status, 404, "the invitation works once");
  } finally {
    await app.close();
  }
});

Deno.test(
  "every operation that takes a password, hit by a burst of wrong ones, keeps to the throttle",
  dbTest,
  async (t) => {
    const app = await createTestApp({ env: { ORG_CREATE_LIMIT: "0" } });
    try {
      const doc = await openapi(app);
      const inviter = await createOrgAndLogin(app, "Burst Inviter");
      const checked: string[] = [];
      let n = 0;
      for (const [path, ops] of Object.entries(doc.paths)) {
        for (const method of METHODS.filter((m) => ops[m]?.requestBody)) {
          const op = ops[method];
          const schema = op.requestBody!.content["application/json"].schema;
          const fields = stringFields(doc, schema).filter((f) =>
            /password/i.test(f[f.length - 1]) && f[f.length - 1] !== "newPassword"
          );
          if (!fields.length) continue;
          const name = `${method.toUpperCase()} ${path}`;
          await t.step(name, async () => {
            n++;
            const victim = await createOrgAndLogin(app, `Burst Victim ${n}`);
            const inv = await app.client(inviter.token).v1.orgs[":slug"].invitations.$post({
              param: { slug: inviter.org.slug },
              json: { email: victim.email, role: "owner" },
            });
            const { token } = await inv.json();
            let base = sample(doc, schema);
            for (const f of fields) base = withPath(doc, schema, base, f);
            for (const f of stringFields(doc, schema)) {
              const key = f[f.length - 1];
              const present = f.slice(0, -1).reduce<unknown>(
                (o, k) => (o as Record<string, unknown> | undefined)?.[k],
                base,
              ) as Record<string, unknown> | undefined;
              if (!present || !(key in present)) continue;
              if (key === "email") base = withValue(base, f, victim.email);
              if (key === "token") base = withValue(base, f, token);
            }
            // A bearer token only where the operation cannot be called without one.
            const needsToken = !!op.security?.length &&
              !op.security.some((r) => Object.keys(r as object).length === 0);
            const answers = await Promise.all(Array.from({ length: 25 }, (_, i) => {
              let body = base;
              for (const f of fields) body = withValue(body, f, `wrong guess number ${i}`);
              return app.app.request(path, {
                method: method.toUpperCase(),
                headers: {
                  "Content-Type": "application/json",
                  ...(needsToken ? auth(victim.token) : {}),
                },
                body: JSON.stringify(body),
              }, { remoteAddr: { hostname: `198.51.100.${n}` } });
            }));
            const seen = await Promise.all(
              answers.map(async (r) => `${r.status} ${(await r.json()).code}`),
            );
            assert(seen.every((a) => !a.startsWith("2")), `${name} let a guess in: ${seen}`);
            const wrong = seen.filter((a) => a === "401 invalid_credentials").length;
            if (wrong) checked.push(name);
            assert(
              wrong <= EMAIL_LIMIT,
              `${name}: ${wrong} wrong passwords answered, limit ${EMAIL_LIMIT}: ${seen.sort()}`,
            );
          });
        }
      }
      for (const route of ["POST /v1/auth/login", "POST /admin/login", "POST /v1/me/password"]) {
        assert(checked.includes(route), `${route} was not found checking passwords: ${checked}`);
      }
    } finally {
      await app.close();
    }
  },
);

Deno.test("malformed Authorization headers over real HTTP are 401", dbTest, async (t) => {
  const app = await createTestApp();
  const server = serveApp(app.app);
  try {
    const owner = await createOrgAndLogin(app, "Header Co");
    const cases: Record<string, string> = {
      "empty": "",
      "scheme only": "Bearer",
      "scheme and a space": "Bearer ",
      "two spaces": "Bearer  x",
      "two spaces before a real token": `Bearer  ${owner.token}`,
      "two tokens": `Bearer ${owner.token} ${owner.token}`,
      "8 KB": `Bearer ${"a".repeat(8192)}`,
      "8 KB of dots": `Bearer ${"a.".repeat(4096)}a`,
      "a trailing comma": `Bearer ${owner.token},`,
      "a token in quotes": `Bearer "${owner.token}"`,
    };
    for (const [name, header] of Object.entries(cases)) {
      await t.step(name, async () => {
        for (const path of ["/v1/me", `/v1/orgs/${owner.org.slug}/members`]) {
          const res = await call(server.url, "GET", path, { headers: { Authorization: header } });
          assertEquals(res.status, 401, `${name} on ${path}: ${res.text}`);
          assertEquals((res.body as { code: string }).code, "unauthorized");
        }
        // GET /v1/orgs/{slug} is public, but a present and invalid token is 401 there too.
        const pub = await call(server.url, "GET", `/v1/orgs/${owner.org.slug}`, {
          headers: { Authorization: header },
        });
        assertEquals(pub.status, header === "" ? 200 : 401, `${name} on the public org route`);
      });
    }
    await t.step("the real token still works", async () => {
      const res = await call(server.url, "GET", "/v1/me", { token: owner.token });
      assertEquals(res.status, 200);
    });
  } finally {
    await server.shutdown();
    await app.close();
  }
});

Deno.test("every {slug} operation, with another org's token, is 403 or 404 and changes nothing", {
  ...dbTest,
}, async (t) => {
  const app = await createTestApp();
  try {
    const doc = await openapi(app);
    const a = await createOrgAndLogin(app, "Target Org");
    const aMember = await addMember(app, a.token, a.org.slug, "admin");
    const inv = await app.client(a.token).v1.orgs[":slug"].invitations.$post({
      param: { slug: a.org.slug },
      json: { email: "pending@example.com", role: "member" },
    });
    assertEquals(inv.status, 201);
    const aInvitation = await inv.json();
    const aCollection = await app.client(a.token).v1.orgs[":slug"].collections.$post({
      param: { slug: a.org.slug },
      json: { name: "target" },
    });
    assertEquals(aCollection.status, 201);
    const aDocument = await app.client(a.token).v1.orgs[":slug"].collections[":name"].documents
      .$post({ param: { slug: a.org.slug, name: "target" }, json: { secret: "a's" } });
    assertEquals(aDocument.status, 201);
    const aDocumentId = aDocument.status === 201 ? (await aDocument.json())._id : "";
    const b = await createOrgAndLogin(app, "Attacker Org");

    const snapshot = async () => {
      const org = await (await app.request(`/v1/orgs/${a.org.slug}`, { headers: auth(a.token) }))
        .json();
      const members = await (await app.request(`/v1/orgs/${a.org.slug}/members`, {
        headers: auth(a.token),
      })).json();
      const invitations = await (await app.request(`/v1/orgs/${a.org.slug}/invitations`, {
        headers: auth(a.token),
      })).json();
      const collections = await (await app.request(`/v1/orgs/${a.org.slug}/collections`, {
        headers: auth(a.token),
      })).json();
      const documents = await (await app.request(
        `/v1/orgs/${a.org.slug}/collections/target/documents`,
        { headers: auth(a.token) },
      )).json();
      return { org, members, invitations, collections, documents };
    };
    const before = await snapshot();
    assertEquals(before.org.name, "Target Org");
    assertEquals(before.members.items.length, 2);
    assertEquals(before.invitations.items.length, 1);
    assertEquals(before.documents.items.length, 1);

    const params: Record<string, string> = {
      slug: a.org.slug,
      userId: aMember.userId,
      id: aInvitation.id,
      name: "target",
      documentId: aDocumentId,
    };
    let tried = 0;
    for (const [template, ops] of Object.entries(doc.paths)) {
      if (!template.includes("{slug}")) continue;
      for (const method of METHODS.filter((m) => ops[m])) {
        const op = ops[method];
        const path = template.replace(/\{(\w+)\}/g, (_, k) => {
          assert(params[k], `no value for the path parameter ${k} of ${template}`);
          return params[k];
        });
        const schema = op.requestBody?.content["application/json"]?.schema;
        const body = schema ? sample(doc, schema) : undefined;
        await t.step(`${method.toUpperCase()} ${template}`, async () => {
          const res = await app.request(path, {
            method: method.toUpperCase(),
            headers: { ...auth(b.token), ...(body ? { "Content-Type": "application/json" } : {}) },
            body: body ? JSON.stringify(body) : undefined,
          });
          const text = await res.text();
          if (op.security?.length) {
            assert(
              res.status === 403 || res.status === 404,
              `${method.toUpperCase()} ${path} as another org: ${res.status} ${text}`,
            );
          } else {
            // Public (GET /v1/orgs/{slug}): the public fields only, none of the members'.
            assertEquals(res.status, 200, text);
            const org = JSON.parse(text);
            for (const field of ["databaseName", "cluster", "role", "memberCount"]) {
              assertEquals(org[field], undefined, `${field} shown to another org`);
            }
          }
        });
        tried++;
      }
    }
    assert(tried >= 21, `only ${tried} operations on {slug} were found in the OpenAPI document`);

    await t.step(
      "the compatibility routes name orgs in the body: 403 for another org",
      async () => {
        const update = await app.request("/org/update", {
          method: "PUT",
          headers: { ...auth(b.token), "Content-Type": "application/json" },
          body: JSON.stringify({
            organization_name: "Target Org",
            new_organization_name: "Hijacked By B",
          }),
        });
        assertEquals(update.status, 403);
        const del = await app.request("/org/delete", {
          method: "DELETE",
          headers: { ...auth(b.token), "Content-Type": "application/json" },
          body: JSON.stringify({ organization_name: "Target Org" }),
        });
        assertEquals(del.status, 403);
      },
    );
    await t.step("the target org is unchanged", async () => {
      assertEquals(await snapshot(), before);
      assertEquals((await app.request("/v1/me", { headers: auth(aMember.token) })).status, 200);
    });
  } finally {
    await app.close();
  }
});

Deno.test(
  "operator injection in every string field of every request body is 400",
  dbTest,
  async (t) => {
    const app = await createTestApp();
    try {
      const doc = await openapi(app);
      const owner = await createOrgAndLogin(app, "Target Org");
      const member = await addMember(app, owner.token, owner.org.slug, "admin");
      const params: Record<string, string> = {
        slug: owner.org.slug,
        userId: member.userId,
        id: new ObjectId().toHexString(),
        name: "target",
        documentId: new ObjectId().toHexString(),
      };
      const injections = [{ $gt: "" }, { $ne: null }, { $where: "sleep(1000)" }, ["$gt", ""]];
      let tried = 0;
      for (const [template, ops] of Object.entries(doc.paths)) {
        for (const method of METHODS.filter((m) => ops[m]?.requestBody)) {
          const schema = ops[method].requestBody!.content["application/json"].schema;
          const base = sample(doc, schema);
          const path = template.replace(/\{(\w+)\}/g, (_, k) => params[k]);
          for (const field of stringFields(doc, schema)) {
            await t.step(`${method.toUpperCase()} ${template} ${field.join(".")}`, async () => {
              for (const value of injections) {
                const res = await app.request(path, {
                  method: method.toUpperCase(),
                  headers: { ...auth(owner.token), "Content-Type": "application/json" },
                  body: JSON.stringify(withValue(base, field, value)),
                });
                const body = await res.json();
                assertEquals(res.status, 400, `${JSON.stringify(value)}: ${JSON.stringify(body)}`);
                assertEquals(body.code, "validation_failed");
                tried++;
              }
            });
          }
          await t.step(`${method.toUpperCase()} ${template} with an operator key`, async () => {
            const res = await app.request(path, {
              method: method.toUpperCase(),
              headers: { ...auth(owner.token), "Content-Type": "application/json" },
              body: JSON.stringify({ ...(base as object), $where: "1", "a.$gt": 1 }),
            });
            assertEquals(res.status, 400);
          });
        }
      }
      assert(tried >= 60, `only ${tried} injections were sent`);
      await t.step("an operator in a query parameter is 400", async () => {
        const res = await app.request("/org/get?organization_name[$ne]=x");
        assertEquals(res.status, 400);
      });
      await t.step("nothing changed", async () => {
        const me = await app.request("/v1/me", { headers: auth(owner.token) });
        assertEquals((await me.json()).org.name, "Target Org");
        assertEquals(await app.deps.db.master.collection("orgs").countDocuments({}), 1);
      });
    } finally {
      await app.close();
    }
  },
);

Deno.test("strings that look like operators are plain data", dbTest, async (t) => {
  const app = await createTestApp();
  const orgs = app.deps.db.master.collection("orgs");
  try {
    let token = "";
    await t.step("an org named $where", async () => {
      const res = await app.request(
        "/v1/orgs",
        json({ name: "$where", admin: { email: "where@example.com", password: PASSWORD } }),
      );
      assertEquals(res.status, 201);
      assertEquals((await res.json()).org.slug, "where");
      assertEquals((await orgs.findOne({ slug: "where" }))?.name, "$where");
      const login = await app.request(
        "/v1/auth/login",
        json({ email: "where@example.com", password: PASSWORD }),
      );
      token = (await login.json()).accessToken;
    });
    await t.step('renamed to {"$ne": null} as a string', async () => {
      const res = await app.request("/v1/orgs/where", {
        method: "PATCH",
        headers: { ...auth(token), "Content-Type": "application/json" },
        body: JSON.stringify({ name: '{"$ne": null}' }),
      });
      assertEquals(res.status, 200);
      assertEquals((await orgs.findOne({ slug: "ne-null" }))?.name, '{"$ne": null}');
      const got = await app.request("/org/get?organization_name=%7B%22%24ne%22%3A%20null%7D");
      assertEquals((await got.json()).organization_name, '{"$ne": null}');
    });
    await t.step("a password or an org reference that looks like an operator", async () => {
      const wrong = await app.request(
        "/v1/auth/login",
        json({ email: "where@example.com", password: "$where" }),
      );
      assertEquals(wrong.status, 401);
      const named = await app.request(
        "/v1/auth/login",
        json({ email: "where@example.com", password: PASSWORD, org: "$ne" }),
      );
      assertEquals(named.status, 404);
      const missing = await app.request("/org/get?organization_name=%24where");
      assertEquals(missing.status, 404);
      const slug = await app.request("/v1/orgs/$gt");
      assertEquals(slug.status, 404);
    });
    await t.step("an invitation to an address with $ in it", async () => {
      const res = await app.request("/v1/orgs/ne-null/invitations", {
        method: "POST",
        headers: { ...auth(token), "Content-Type": "application/json" },
        body: JSON.stringify({ email: "$ne@example.com", role: "member" }),
      });
      assert(res.status === 201 || res.status === 400, `status ${res.status}`);
      if (res.status === 201) {
        const stored = await app.deps.db.master.collection("invitations").findOne({
          email: "$ne@example.com",
        });
        assert(stored, "stored with the literal address");
      }
    });
  } finally {
    await app.close();
  }
});

/** A sign-in flow that handles every kind of secret; returns them all. */
async function secretFlow(
  base: string,
  request: (path: string, init?: RequestInit) => Promise<Response>,
) {
  const secrets: string[] = [];
  const keep = (s: string) => {
    secrets.push(s);
    // Fragments too: the refresh secret after its session id, the JWT signature.
    if (s.includes(".")) secrets.push(s.slice(s.lastIndexOf(".") + 1));
    return s;
  };
  const post = async (path: string, body: unknown, token?: string) => {
    const res = await request(path, {
      method: "POST",
      headers: { "Content-Type": "application/json", ...(token ? auth(token) : {}) },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  const ownerPassword = keep(`owner pass ${crypto.randomUUID()}`);
  const created = await post("/v1/orgs", {
    name: `Secret Co ${base}`,
    admin: { email: `secret-${base}@example.com`, password: ownerPassword },
  });
  assertEquals(created.status, 201);
  const slug = created.body.org.slug;
  const login = await post("/v1/auth/login", {
    email: `secret-${base}@example.com`,
    password: ownerPassword,
  });
  assertEquals(login.status, 200);
  keep(login.body.accessToken);
  keep(login.body.refreshToken);
  const refreshed = await post("/v1/auth/refresh", { refreshToken: login.body.refreshToken });
  assertEquals(refreshed.status, 200);
  const token = keep(refreshed.body.accessToken);
  keep(refreshed.body.refreshToken);
  const reused = await post("/v1/auth/refresh", { refreshToken: login.body.refreshToken });
  assertEquals(reused.status, 401);
  const again = await post("/v1/auth/login", {
    email: `secret-${base}@example.com`,
    password: ownerPassword,
  });
  const owner = keep(again.body.accessToken);
  keep(again.body.refreshToken);
  const inv = await post(`/v1/orgs/${slug}/invitations`, {
    email: `joiner-${base}@example.com`,
    role: "admin",
  }, owner);
  assertEquals(inv.status, 201);
  keep(inv.body.token);
  const joinerPassword = keep(`joiner pass ${crypto.randomUUID()}`);
  const accepted = await post("/v1/invitations/accept", {
    token: inv.body.token,
    password: joinerPassword,
  });
  assertEquals(accepted.status, 200);
  keep(accepted.body.accessToken);
  keep(accepted.body.refreshToken);
  const newPassword = keep(`new pass ${crypto.randomUUID()}`);
  const changed = await post("/v1/me/password", {
    currentPassword: joinerPassword,
    newPassword,
  }, accepted.body.accessToken);
  assertEquals(changed.status, 204);
  const wrongPassword = keep(`wrong pass ${crypto.randomUUID()}`);
  const failed = await post("/v1/auth/login", {
    email: `joiner-${base}@example.com`,
    password: wrongPassword,
  });
  assertEquals(failed.status, 401);
  const badBody = await post("/v1/auth/login", { email: "x", password: wrongPassword, extra: 1 });
  assertEquals(badBody.status, 400);
  // That session was revoked by the reuse above: its token is refused (and not logged either).
  const me = await request("/v1/me", { headers: auth(token) });
  assertEquals(me.status, 401);
  await me.body?.cancel();
  return secrets;
}

function assertNoSecret(lines: string, secrets: string[], where: string) {
  for (const s of secrets) {
    assert(s.length >= 8, "secrets are long enough to be searched for");
    assert(!lines.includes(s), `a secret (${s.slice(0, 6)}…) appears in the ${where}`);
  }
}

Deno.test("passwords, tokens and the JWT secret never reach the logs", dbTest, async (t) => {
  await t.step("in-process, at debug level, including a 500", async () => {
    const app = await createTestApp({ env: { LOG_LEVEL: "debug" } });
    // A real hasher whose bcrypt side fails: every sign-in and creation is a 500.
    const explode = () => Promise.reject(new Error("hasher exploded"));
    const real = createHasher({ cost: 4, workers: 1 });
    const failing: Hasher = { ...real, hash: explode, verify: explode, verifyDummy: explode };
    const broken = await createTestApp({ hasher: failing, env: { LOG_LEVEL: "debug" } });
    try {
      const secrets = await secretFlow(
        "inproc",
        (p, init) => Promise.resolve(app.request(p, init)),
      );
      const boomPassword = `boom pass ${crypto.randomUUID()}`;
      const boom = await broken.request(
        "/v1/orgs",
        json({ name: "Boom Inc", admin: { email: "boom@example.com", password: boomPassword } }),
      );
      assertEquals(boom.status, 500);
      const boomLogin = await broken.request(
        "/v1/auth/login",
        json({ email: "boom@example.com", password: boomPassword }),
      );
      assertEquals(boomLogin.status, 500);
      assert(app.logs.length > 10 && broken.logs.some((l) => l.includes("hasher exploded")));
      assertNoSecret(app.logs.join("\n"), [...secrets, SECRET], "logs");
      assertNoSecret(broken.logs.join("\n"), [boomPassword, SECRET], "logs of the 500");
    } finally {
      await broken.close();
      await app.close();
    }
  });
  await t.step("a child process, at debug level: stdout and stderr", async () => {
    const jwtSecret = `jwt-secret-${crypto.randomUUID()}`;
    const env = serviceEnv({ LOG_LEVEL: "debug", JWT_SECRET: jwtSecret });
    const service = await spawnService(env);
    try {
      const secrets = await secretFlow("child", (p, init) => fetch(`${service.url}${p}`, init));
      const status = await service.stop();
      assertEquals(status.code, 0);
      const output = service.output();
      assert(output.includes('"msg":"request"'), "the access log was captured");
      assertNoSecret(output, [...secrets, jwtSecret], "service output");
    } finally {
      service.kill("SIGKILL");
      await service.exited;
      const { dbClient, dropService } = await import("../support/service.ts");
      const mongo = dbClient();
      await dropService(mongo, env);
      await mongo.close();
    }
  });
});
