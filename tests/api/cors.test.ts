/**
 * CORS (docs/api.md, "Conventions"): pages on the origins of CORS_ORIGINS may call the API, every
 * answer to them (errors included) says so, and any other origin gets no CORS headers while
 * the request is answered as usual. The browser's side of it: tests/browser/cross-origin.test.ts.
 */
import { assert, assertEquals, assertProblem } from "../support/assert.ts";
import { createTestApp, dbTest, json, PASSWORD, requestFrom } from "../support/app.ts";
import type { Hasher } from "../../src/platform/hasher.ts";

const ALLOWED = "http://localhost:5173";
const OTHER = "https://evil.example";
const EXPOSED = ["etag", "location", "retry-after", "x-request-id"];

/** A hasher that fails, so that creating an org answers 500. */
const failing: Hasher = {
  hash: () => Promise.reject(new Error("hash failed")),
  verify: () => Promise.resolve(false),
  verifyDummy: () => Promise.resolve(false),
  weakness: () => Promise.resolve(null),
  close() {},
};

const list = (value: string | null) =>
  (value ?? "").split(",").map((s) => s.trim().toLowerCase()).filter(Boolean);

function assertCorsFor(res: Response, origin: string, what: string) {
  assertEquals(res.headers.get("Access-Control-Allow-Origin"), origin, what);
  for (const name of EXPOSED) {
    assert(
      list(res.headers.get("Access-Control-Expose-Headers")).includes(name),
      `${what}: exposes ${name}: ${res.headers.get("Access-Control-Expose-Headers")}`,
    );
  }
  assert(
    list(res.headers.get("Vary")).includes("origin"),
    `${what}: Vary ${res.headers.get("Vary")}`,
  );
  assertEquals(res.headers.get("Access-Control-Allow-Credentials"), null, what);
}

function assertNoCors(res: Response, what: string) {
  for (const [name] of res.headers) {
    assert(!name.startsWith("access-control-"), `${what}: ${name} sent`);
  }
}

const preflight = (origin: string, method = "POST", headers = "content-type") => ({
  method: "OPTIONS",
  headers: {
    Origin: origin,
    "Access-Control-Request-Method": method,
    "Access-Control-Request-Headers": headers,
  },
});

Deno.test(
  "CORS: an allowed origin's preflight is 204 with the methods, headers and max age",
  dbTest,
  async () => {
    await using app = await createTestApp({
      env: { CORS_ORIGINS: `https://app.example,${ALLOWED}` },
    });
    const res = await app.request(
      "/v1/orgs/acme/collections/c/documents/x",
      preflight(ALLOWED, "PATCH", "authorization,content-type,if-match"),
    );
    assertEquals(res.status, 204);
    assertEquals(await res.text(), "");
    assertCorsFor(res, ALLOWED, "preflight");
    const methods = list(res.headers.get("Access-Control-Allow-Methods"));
    for (const m of ["get", "post", "put", "patch", "delete"]) assert(methods.includes(m), m);
    const headers = list(res.headers.get("Access-Control-Allow-Headers"));
    for (const h of ["authorization", "content-type", "if-match", "if-none-match"]) {
      assert(headers.includes(h), `allows ${h}: ${headers}`);
    }
    assert(Number(res.headers.get("Access-Control-Max-Age")) > 0, "max age");
    assert(res.headers.get("X-Request-Id"), "the preflight has its request id too");
  },
);

Deno.test(
  "CORS: every answer to an allowed origin carries its headers, errors included",
  dbTest,
  async (t) => {
    await using app = await createTestApp({
      env: { CORS_ORIGINS: ALLOWED, ORG_CREATE_LIMIT: "1", BODY_LIMIT_BYTES: "1024" },
      hasher: failing,
    });
    const from = (path: string, init: RequestInit = {}) =>
      app.request(path, { ...init, headers: { ...init.headers, Origin: ALLOWED } });

    await t.step("200", async () => {
      const res = await from("/health");
      assertEquals(res.status, 200);
      assertCorsFor(res, ALLOWED, "200");
    });
    await t.step("400 malformed JSON", async () => {
      const res = await from("/v1/auth/login", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: "{",
      });
      assertCorsFor(res, ALLOWED, "400");
      await assertProblem(res, 400, "validation_failed");
    });
    await t.step("401", async () => {
      const res = await from("/v1/me");
      assertCorsFor(res, ALLOWED, "401");
      await assertProblem(res, 401, "unauthorized");
    });
    await t.step("404", async () => {
      const res = await from("/v1/no-such-route");
      assertCorsFor(res, ALLOWED, "404");
      await assertProblem(res, 404, "not_found");
    });
    await t.step("413 from the body limit", async () => {
      const res = await from("/v1/auth/login", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ email: "a@example.com", password: "x".repeat(4096) }),
      });
      assertCorsFor(res, ALLOWED, "413");
      await assertProblem(res, 413, "payload_too_large");
    });
    const create = json({
      name: "Cors Inc",
      admin: { email: "cors@example.com", password: PASSWORD },
    });
    const fromAddress = (ip: string) =>
      requestFrom(app, ip, "/v1/orgs", {
        ...create,
        headers: { ...create.headers, Origin: ALLOWED },
      });
    await t.step("500", async () => {
      const res = await fromAddress("192.0.2.7");
      assertCorsFor(res, ALLOWED, "500");
      await assertProblem(res, 500, "internal");
    });
    await t.step("429, its Retry-After readable", async () => {
      const res = await fromAddress("192.0.2.7");
      assertCorsFor(res, ALLOWED, "429");
      assert(res.headers.get("Retry-After"), "Retry-After");
      await assertProblem(res, 429, "rate_limited");
    });
  },
);

Deno.test(
  "CORS: a disallowed origin gets no CORS headers and is otherwise answered as usual",
  dbTest,
  async () => {
    await using app = await createTestApp({ env: { CORS_ORIGINS: ALLOWED } });
    const pre = await app.request("/v1/auth/login", preflight(OTHER));
    assertNoCors(pre, "preflight");
    await assertProblem(pre, 404, "not_found");
    const health = await app.request("/health", { headers: { Origin: OTHER } });
    assertEquals(health.status, 200);
    assertNoCors(health, "200");
    assert(list(health.headers.get("Vary")).includes("origin"), "the answer depends on Origin");
    const err = await app.request("/v1/me", { headers: { Origin: OTHER } });
    assertNoCors(err, "401");
    await assertProblem(err, 401, "unauthorized");
    // A request without Origin (curl, same-origin GET) gets none either.
    const plain = await app.request("/health");
    assertNoCors(plain, "no Origin");
    await plain.body?.cancel();
  },
);

Deno.test("CORS: none by default; * allows any origin", dbTest, async () => {
  {
    await using app = await createTestApp();
    const pre = await app.request("/v1/auth/login", preflight(ALLOWED));
    assertNoCors(pre, "default preflight");
    await assertProblem(pre, 404, "not_found");
  }
  await using app = await createTestApp({ env: { CORS_ORIGINS: "*" } });
  const pre = await app.request("/v1/auth/login", preflight(OTHER));
  assertEquals(pre.status, 204);
  assertCorsFor(pre, OTHER, "* preflight");
  const res = await app.request("/v1/me", { headers: { Origin: OTHER } });
  assertCorsFor(res, OTHER, "* 401");
  await assertProblem(res, 401, "unauthorized");
});
