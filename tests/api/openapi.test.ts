/**
 * The OpenAPI document is a contract too (docs/api.md, "Conventions"): what third-party tools read
 * from /openapi.json must be what the service does.
 *
 * - `redocly lint` (recommended rules) finds no error in the served document;
 * - every operation has a unique camelCase `operationId` and one declared tag; its errors are
 *   `Problem`, 429 and 503 with `Retry-After`; one with a JSON body declares 400, 413 and 415;
 * - no nullable through `allOf` (which no `null` satisfies);
 * - real answers, an operator's `org: null` included, are valid against their declared schemas
 *   (JSON Schema 2020-12, as OpenAPI 3.1 says), with the headers declared;
 * - a validation error names the field, an unknown one too.
 *
 * A new route passes when its route object has `operationId` (camelCase, unique), `tags` (one of
 * TAGS, src/http/schemas.ts) and `...errors(...)` with every status it answers — with a JSON
 * body, 400, 413 and 415.
 */
import { ObjectId } from "mongodb";
import { Ajv2020 } from "ajv/dist/2020.js";
import { setOperator } from "../../src/access/operators.ts";
import { insertUser } from "../../src/identity/users.ts";
import { assert, assertEquals } from "../support/assert.ts";
import { createTestApp, dbTest, json, PASSWORD, type TestApp } from "../support/app.ts";
import { type OpenApi, openapi, operations } from "../support/openapi.ts";

const REDOCLY = "npm:@redocly/cli@2.77.0";
const ROOT = new URL("../../", import.meta.url).pathname;

type Doc = OpenApi & {
  tags?: { name: string; description?: string }[];
  paths: Record<string, Record<string, Operation>>;
};
type Header = { schema?: unknown };
type DeclaredResponse = {
  headers?: Record<string, Header>;
  content?: Record<string, { schema: unknown }>;
};
type Operation = {
  operationId?: string;
  tags?: string[];
  requestBody?: { content: Record<string, unknown> };
  responses?: Record<string, DeclaredResponse>;
};

function* allOperations(doc: Doc) {
  for (const { template, method, op } of operations(doc)) {
    yield { template, method, op: op as Operation, name: `${method.toUpperCase()} ${template}` };
  }
}

Deno.test("redocly lint (recommended) finds no error in the served document", dbTest, async () => {
  await using t = await createTestApp();
  const dir = await Deno.makeTempDir({ prefix: "orgservice-openapi-" });
  try {
    await Deno.writeTextFile(`${dir}/openapi.json`, JSON.stringify(await openapi(t)));
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", REDOCLY, "lint", "--format=json", `${dir}/openapi.json`],
      cwd: ROOT,
      env: { REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true", NO_COLOR: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    const start = text.indexOf("{");
    assert(start >= 0, `redocly printed no report:\n${new TextDecoder().decode(out.stderr)}`);
    const report = JSON.parse(text.slice(start)) as {
      totals: { errors: number; warnings: number };
      problems: { ruleId: string; severity: string; message: string; location: unknown[] }[];
    };
    const errors = report.problems.filter((p) => p.severity === "error");
    assertEquals(errors.map((p) => `${p.ruleId}: ${p.message} ${JSON.stringify(p.location)}`), []);
    assertEquals(report.totals.errors, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test(
  "every operation has a unique camelCase operationId and one declared tag",
  dbTest,
  async () => {
    await using t = await createTestApp();
    const doc = await openapi(t) as Doc;
    const declared = new Map((doc.tags ?? []).map((tag) => [tag.name, tag.description]));
    const bad: string[] = [];
    const ids = new Map<string, string>();
    let count = 0;
    for (const { op, name } of allOperations(doc)) {
      count++;
      const id = op.operationId;
      if (!id || !/^[a-z][a-zA-Z0-9]*$/.test(id)) bad.push(`${name}: operationId ${id}`);
      else if (ids.has(id)) bad.push(`${name}: operationId ${id} is also ${ids.get(id)}'s`);
      else ids.set(id, name);
      if (op.tags?.length !== 1 || !declared.has(op.tags[0])) {
        bad.push(`${name}: tags ${JSON.stringify(op.tags)} (declared: ${[...declared.keys()]})`);
      }
    }
    for (const [tag, description] of declared) {
      if (!description) bad.push(`tag ${tag}: no description`);
    }
    assert(count >= 40, `expected the service's operations, found ${count}`);
    assertEquals(bad, []);
  },
);

Deno.test(
  "every operation with a JSON body declares 400, 413 and 415; errors are Problem; 429 and 503 have Retry-After",
  dbTest,
  async () => {
    await using t = await createTestApp();
    const doc = await openapi(t) as Doc;
    const bad: string[] = [];
    for (const { op, name } of allOperations(doc)) {
      const responses = op.responses ?? {};
      const needed = op.requestBody?.content["application/json"] ? BODY : [];
      for (const status of needed) if (!responses[status]) bad.push(`${name}: no ${status}`);
      for (const status of ["429", "503"]) {
        if (responses[status] && !responses[status].headers?.["Retry-After"]) {
          bad.push(`${name}: ${status} without Retry-After`);
        }
      }
      for (const [status, r] of Object.entries(responses)) {
        if (Number(status) >= 400 && !problemSchema(r)) {
          bad.push(`${name}: ${status} is no Problem`);
        }
      }
    }
    assertEquals(bad, []);
  },
);
const BODY = ["400", "413", "415"];
const problemSchema = (r: DeclaredResponse) =>
  (r.content?.["application/problem+json"]?.schema as { $ref?: string } | undefined)?.$ref ===
    "#/components/schemas/Problem";

Deno.test("no field is made nullable through allOf", dbTest, async () => {
  await using t = await createTestApp();
  const found: string[] = [];
  const walk = (node: unknown, at: string) => {
    if (typeof node !== "object" || node === null) return;
    const o = node as Record<string, unknown>;
    // `allOf: [{ $ref }, { type: [..., "null"] }]`: the `$ref` refuses the null.
    const nullMember = (m: { type?: unknown }) =>
      m.type === "null" || (Array.isArray(m.type) && m.type.includes("null"));
    if (Array.isArray(o.allOf) && o.allOf.some(nullMember)) found.push(at);
    for (const [k, v] of Object.entries(o)) walk(v, `${at}/${k}`);
  };
  walk(await openapi(t), "#");
  assertEquals(found, []);
});

/**
 * Checks each answer against the document: its status declared for its operation, its body
 * valid against the declared schema (JSON Schema 2020-12), its declared headers sent.
 */
class AnswerChecker {
  readonly problems: string[] = [];
  readonly checked = new Set<string>();
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
  private readonly routes: { method: string; template: string; re: RegExp; op: Operation }[];

  constructor(private readonly t: TestApp, private readonly doc: Doc) {
    this.routes = [...allOperations(doc)].map(({ template, method, op }) => ({
      method,
      template,
      op,
      re: new RegExp(`^${template.replace(/\{[^}]+\}/g, "[^/]+")}$`),
    }))
      // A literal segment wins over a parameter (`/documents/count` over `/documents/{id}`).
      .sort((a, b) => a.template.split("{").length - b.template.split("{").length);
  }

  /** `app.request`, then the answer checked; its JSON body (or null). */
  // deno-lint-ignore no-explicit-any
  async request(path: string, init: RequestInit = {}): Promise<{ res: Response; body: any }> {
    const res = await this.t.app.request(path, init);
    const method = (init.method ?? "GET").toLowerCase();
    const url = new URL(path, "http://localhost");
    const route = this.routes.find((r) => r.method === method && r.re.test(url.pathname));
    const name = `${method.toUpperCase()} ${url.pathname} → ${res.status}`;
    const text = await res.clone().text();
    const body = text ? JSON.parse(text) : null;
    if (!route) {
      this.problems.push(`${name}: no operation in the document`);
      return { res, body };
    }
    this.checked.add(`${route.op.operationId} ${res.status}`);
    const declared = route.op.responses?.[String(res.status)];
    if (!declared) {
      this.problems.push(`${name}: status not declared by ${route.op.operationId}`);
      return { res, body };
    }
    for (const header of Object.keys(declared.headers ?? {})) {
      if (!res.headers.has(header)) {
        this.problems.push(`${name}: declared header ${header} missing`);
      }
    }
    const type = res.headers.get("Content-Type")?.split(";")[0] ?? "";
    if (!declared.content) {
      if (text) this.problems.push(`${name}: a body where none is declared`);
      return { res, body };
    }
    const schema = declared.content[type]?.schema;
    if (!schema) {
      this.problems.push(`${name}: ${type} not declared (${Object.keys(declared.content)})`);
      return { res, body };
    }
    const validate = this.ajv.compile({ ...schema as object, components: this.doc.components });
    if (!validate(body)) {
      this.problems.push(`${name}: ${this.ajv.errorsText(validate.errors)} in ${text}`);
    }
    return { res, body };
  }
}

Deno.test(
  "real answers are valid against their declared schemas, an operator's org: null included",
  dbTest,
  async () => {
    await using t = await createTestApp({ env: { BODY_LIMIT_BYTES: "4096" } });
    const c = new AnswerChecker(t, await openapi(t) as Doc);
    const auth = (token: string, init: RequestInit = {}): RequestInit => ({
      ...init,
      headers: { ...init.headers as Record<string, string>, Authorization: `Bearer ${token}` },
    });
    const method = (m: string, init: RequestInit): RequestInit => ({ ...init, method: m });

    await c.request("/health");
    await c.request("/ready");
    const email = `owner-${crypto.randomUUID().slice(0, 8)}@example.com`;
    const created = await c.request(
      "/v1/orgs",
      json({ name: "Schema Corp", admin: { email, password: PASSWORD } }),
    );
    assertEquals(created.res.status, 201);
    const slug: string = created.body.org.slug;
    await c.request(
      "/v1/orgs",
      json({ name: "Schema Corp", admin: { email, password: PASSWORD } }),
    );
    await c.request("/v1/orgs", json({ name: "X", unknown: 1 }));
    await c.request("/v1/orgs", {
      method: "POST",
      body: "name",
      headers: { "Content-Type": "text/plain" },
    });
    await c.request("/v1/orgs", json({ name: "y".repeat(8192) }));
    await c.request("/v1/orgs", {
      method: "POST",
      body: "{",
      headers: { "Content-Type": "application/json" },
    });

    const login = await c.request("/v1/auth/login", json({ email, password: PASSWORD }));
    const token: string = login.body.accessToken;
    await c.request("/v1/auth/login", json({ email, password: "not the password" }));
    await c.request("/v1/auth/refresh", json({ refreshToken: login.body.refreshToken }));
    await c.request(`/v1/orgs/${slug}`);
    await c.request(`/v1/orgs/${slug}`, auth(token));
    await c.request(`/v1/orgs/${slug}`, auth("not-a-token"));
    await c.request("/v1/orgs/no-such-org");
    await c.request("/v1/me", auth(token));
    await c.request("/v1/me");
    await c.request(`/v1/orgs/${slug}/members`, auth(token));
    const invited = await c.request(
      `/v1/orgs/${slug}/invitations`,
      auth(token, json({ email: "invitee@example.com", role: "member" })),
    );
    await c.request(`/v1/orgs/${slug}/invitations`, auth(token));
    await c.request(
      "/v1/invitations/accept",
      json({ token: invited.body.token, password: PASSWORD }),
    );
    await c.request(`/v1/orgs/${slug}/audit`, auth(token));

    await c.request(`/v1/orgs/${slug}/collections`, auth(token, json({ name: "notes" })));
    await c.request(`/v1/orgs/${slug}/collections`, auth(token));
    const doc = await c.request(
      `/v1/orgs/${slug}/collections/notes/documents`,
      auth(token, json({ text: "hello", n: 1 })),
    );
    const docPath = `/v1/orgs/${slug}/collections/notes/documents/${doc.body._id}`;
    const got = await c.request(docPath, auth(token));
    const etag = got.res.headers.get("ETag")!;
    await c.request(docPath, auth(token, { headers: { "If-None-Match": etag } }));
    await c.request(
      docPath,
      auth(token, method("PATCH", json({ $set: { n: 2 } }, { "If-Match": etag }))),
    );
    await c.request(
      docPath,
      auth(token, method("PUT", json({ text: "again" }, { "If-Match": etag }))),
    );
    await c.request(`/v1/orgs/${slug}/collections/notes/documents?limit=5`, auth(token));
    await c.request(`/v1/orgs/${slug}/collections/notes/documents/count`, auth(token));
    await c.request(
      `/v1/orgs/${slug}/collections/notes/documents/batch`,
      auth(token, json({ documents: [{ a: 1 }, { a: 2 }] })),
    );
    await c.request(
      `/v1/orgs/${slug}/collections/notes/aggregate`,
      auth(token, json({ pipeline: [{ $match: { a: 1 } }] })),
    );
    await c.request(
      `/v1/orgs/${slug}/collections/nothing/documents/${new ObjectId()}`,
      auth(token),
    );

    // An operator who belongs to no org: `org` and `role` are null.
    const opEmail = `ops-${crypto.randomUUID().slice(0, 8)}@example.com`;
    await insertUser(t.deps.db.master, {
      id: new ObjectId().toHexString(),
      email: opEmail,
      passwordHash: await t.deps.hasher.hash(PASSWORD),
    }, t.deps.now());
    await setOperator(t.deps, opEmail, true);
    const op = await c.request("/v1/auth/login", json({ email: opEmail, password: PASSWORD }));
    assertEquals([op.res.status, op.body.org, op.body.role], [200, null, null]);
    const me = await c.request("/v1/me", auth(op.body.accessToken));
    assertEquals([me.res.status, me.body.org], [200, null]);
    await c.request("/v1/admin/orgs", auth(op.body.accessToken));
    await c.request(`/v1/admin/orgs/${slug}`, auth(op.body.accessToken));
    await c.request("/v1/admin/deployments", auth(op.body.accessToken));
    await c.request("/v1/admin/orgs", auth(token));

    await c.request(docPath, auth(token, method("DELETE", {})));
    await c.request("/v1/auth/logout", auth(token, { method: "POST" }));

    assertEquals(c.problems, []);
    assert(c.checked.size >= 35, `only ${c.checked.size} answers checked`);
    for (
      const seen of [
        "createOrg 201",
        "createOrg 409",
        "createOrg 413",
        "createOrg 415",
        "signIn 200",
        "getMe 200",
        "getOrg 200",
        "insertDocument 201",
        "getDocument 304",
      ]
    ) assert(c.checked.has(seen), `${seen} not seen: ${[...c.checked]}`);
  },
);

Deno.test(
  "a rate-limited answer (429) is its declared Problem with Retry-After",
  dbTest,
  async () => {
    await using t = await createTestApp({ env: { ORG_CREATE_LIMIT: "1" } });
    const c = new AnswerChecker(t, await openapi(t) as Doc);
    const org = (n: number) =>
      json({ name: `Limited ${n}`, admin: { email: `l${n}@example.com`, password: PASSWORD } });
    assertEquals((await c.request("/v1/orgs", org(1))).res.status, 201);
    const limited = await c.request("/v1/orgs", org(2));
    assertEquals(limited.res.status, 429);
    assertEquals(c.problems, []);
  },
);

Deno.test("an unknown body field is reported at its own path", dbTest, async () => {
  await using t = await createTestApp();
  const res = await t.app.request(
    "/v1/orgs",
    json({ name: "Field Corp", admin: { email: "f@example.com", password: PASSWORD, role: 1 } }),
  );
  assertEquals(res.status, 400);
  const body = await res.json();
  assertEquals(body.code, "validation_failed");
  assertEquals(body.errors, [{ path: "admin.role", message: "Unknown field" }]);
  const top = await (await t.app.request("/v1/orgs", json({ name: "Field Corp", extra: true })))
    .json();
  assertEquals(top.errors, [{ path: "extra", message: "Unknown field" }]);
});
