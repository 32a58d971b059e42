import { assert, assertEquals, assertMatch, assertProblem } from "../support/assert.ts";
import { startTestServer } from "../support/server.ts";
import { waitUntil } from "../../tools/lib/wait.ts";
import { createTestApp, dbTest, json, PASSWORD } from "../support/app.ts";
import type { Hasher } from "../../src/platform/hasher.ts";

Deno.test("platform routes answer on the real database", dbTest, async (t) => {
  await using app = await createTestApp();
  await t.step("/health is 200 ok", async () => {
    const res = await app.client().health.$get();
    assertEquals(res.status, 200);
    assertEquals(await res.json(), { status: "ok" });
  });
  await t.step("/ready is 200 while the database answers", async () => {
    const res = await app.client().ready.$get();
    assertEquals(res.status, 200);
  });
  await t.step("/openapi.json is OpenAPI 3.1 and describes the routes", async () => {
    const res = await app.request("/openapi.json");
    assertEquals(res.status, 200);
    const doc = await res.json();
    assertEquals(doc.openapi, "3.1.0");
    for (
      const path of [
        "/health",
        "/ready",
        "/v1/orgs",
        "/v1/orgs/{slug}",
        "/v1/auth/login",
        "/org/create",
      ]
    ) {
      assert(doc.paths[path], `missing ${path}`);
    }
    assertEquals(doc.paths["/org/create"].post.deprecated, true);
    assert(doc.components.securitySchemes.bearerAuth);
  });
  await t.step("/docs serves Swagger UI and its assets locally", async () => {
    const html = await (await app.request("/docs")).text();
    assertMatch(html, /swagger-ui-bundle\.js/);
    assert(!/https?:\/\//.test(html), "the page must not load anything from another host");
    const bundle = await app.request("/docs/swagger-ui-bundle.js");
    assertEquals(bundle.status, 200);
    assert((await bundle.arrayBuffer()).byteLength > 100_000);
    assertEquals((await app.request("/docs/swagger-ui.css")).status, 200);
    assertEquals((await app.request("/docs/init.js")).status, 200);
  });
  await t.step("request ids are accepted or generated, and secure headers are set", async () => {
    const given = await app.request("/health", { headers: { "X-Request-Id": "abc-123" } });
    assertEquals(given.headers.get("X-Request-Id"), "abc-123");
    const made = await app.request("/health");
    assertMatch(made.headers.get("X-Request-Id") ?? "", /^[0-9a-f-]{36}$/);
    assertEquals(made.headers.get("X-Content-Type-Options"), "nosniff");
    const line = app.logs.map((l) => JSON.parse(l)).find((l) => l.requestId === "abc-123");
    assertEquals(line?.path, "/health");
    assertEquals(line?.status, 200);
    assertEquals(typeof line?.durationMs, "number");
  });
});

Deno.test("every error class is problem+json with a stable code", dbTest, async (t) => {
  await using app = await createTestApp({ env: { BODY_LIMIT_BYTES: "2048" } });
  const postOrgs = (contentType: string, body: string) =>
    app.request("/v1/orgs", { method: "POST", headers: { "Content-Type": contentType }, body });
  await t.step("unknown route: 404 not_found", async () => {
    await assertProblem(await app.request("/nope"), 404, "not_found");
  });
  await t.step("malformed JSON: 400 validation_failed", async () => {
    await assertProblem(await postOrgs("application/json", "{bad"), 400, "validation_failed");
  });
  await t.step("wrong content type: 415", async () => {
    await assertProblem(await postOrgs("text/plain", "x"), 415, "unsupported_media_type");
  });
  await t.step("oversized body: 413 payload_too_large", async () => {
    const body = {
      name: "x".repeat(4096),
      admin: { email: "a@example.com", password: PASSWORD },
    };
    await assertProblem(await app.request("/v1/orgs", json(body)), 413, "payload_too_large");
    // A declared length past the limit is refused from the header: the body is never read.
    const declared = new Request("http://localhost/v1/orgs", {
      method: "POST",
      headers: { "Content-Type": "application/json", "Content-Length": "4096" },
      body: JSON.stringify(body),
    });
    await assertProblem(await app.app.request(declared), 413, "payload_too_large");
    assertEquals(declared.bodyUsed, false);
  });
  await t.step("unknown fields: 400 with the field named", async () => {
    const body = await assertProblem(
      await app.request(
        "/v1/orgs",
        json({
          name: "Acme",
          admin: { email: "a@example.com", password: PASSWORD },
          $where: "1",
        }),
      ),
      400,
      "validation_failed",
    );
    assert(body.errors?.length);
  });
  await t.step("missing token: 401 unauthorized with WWW-Authenticate", async () => {
    const res = await app.request("/v1/me");
    assertEquals(res.headers.get("WWW-Authenticate"), "Bearer");
    await assertProblem(res, 401, "unauthorized");
  });
});

Deno.test("an unexpected exception is a 500 that reveals nothing", dbTest, async () => {
  const failing: Hasher = {
    hash: () => Promise.reject(new Error("secret internal detail at /srv/x.ts:12")),
    verify: () => Promise.resolve(false),
    verifyDummy: () => Promise.resolve(false),
    weakness: () => Promise.resolve(null),
    close() {},
  };
  await using app = await createTestApp({ hasher: failing });
  const res = await app.request(
    "/v1/orgs",
    json({ name: "Boom Inc", admin: { email: "boom@example.com", password: PASSWORD } }),
  );
  const text = await res.clone().text();
  await assertProblem(res, 500, "internal");
  assert(!text.includes("secret internal detail") && !text.includes(".ts:"), text);
  assert(app.logs.some((l) => l.includes("secret internal detail")), "the cause is logged");
});

Deno.test("/ready turns 503 when the database stops and 200 when it is back", dbTest, async () => {
  await using server = await startTestServer("orgservice-ready-");
  await using app = await createTestApp({ uri: server.uri, env: { DB_TIMEOUT_MS: "1000" } });
  assertEquals((await app.request("/ready")).status, 200);
  await server.stop();
  const down = await app.request("/ready");
  await assertProblem(down, 503, "unavailable");
  assertEquals(down.headers.get("Retry-After"), "5");
  assertEquals((await app.request("/health")).status, 200, "/health does not need the database");
  await server.restart();
  await waitUntil(
    async () => (await app.request("/ready")).status === 200,
    "/ready to be 200 again without a restart",
    { timeoutMs: 10_000, intervalMs: 200 },
  );
});

Deno.test("the typed client reaches the platform routes", dbTest, async () => {
  await using app = await createTestApp();
  const api = app.client();
  const res = await api.health.$get();
  if (res.status === 200) assertEquals((await res.json()).status, "ok");
  // A wrong call does not type-check: the body of POST /v1/orgs needs a `name`.
  // @ts-expect-error missing name
  const bad = await api.v1.orgs.$post({ json: { admin: { email: "a@b.io", password: "x" } } });
  assertEquals(bad.status, 400);
  // Not signed in, `admin` is required at run time (the type allows it for signed-in callers).
  const anonymous = await api.v1.orgs.$post({ json: { name: "Typed Inc" } });
  assertEquals(anonymous.status, 400);
});

Deno.test(
  "/docs carries a Content-Security-Policy that allows only its own origin",
  dbTest,
  async () => {
    await using app = await createTestApp();
    const res = await app.request("/docs");
    assertEquals(res.status, 200);
    const csp = res.headers.get("Content-Security-Policy");
    assert(csp, "no Content-Security-Policy on /docs");
    const directives = new Map(
      csp.split(";").map((d) => d.trim().split(/\s+/)).map(([name, ...v]) => [name, v]),
    );
    assertEquals(directives.get("default-src"), ["'none'"]);
    assertEquals(directives.get("script-src"), ["'self'"], "its own scripts, none inline");
    assertEquals(directives.get("connect-src"), ["'self'"], "it fetches only /openapi.json");
    assertEquals(directives.get("frame-ancestors"), ["'none'"]);
    assertEquals(directives.get("base-uri"), ["'none'"]);
    for (const [name, sources] of directives) {
      for (const s of sources) {
        assert(
          s === "'self'" || s === "'none'" || s === "data:",
          `${name} allows ${s}: only this origin (and data: images) may be used`,
        );
      }
    }
  },
);
