/**
 * Access declared on every route (src/http/access.ts): each route of the app carries exactly one
 * access marker — `auth`, `optionalAuth` or `publicAccess` — so a route added without one fails
 * here instead of answering 500 (or, worse, answering anyone). Every route that authenticates
 * also declares which API keys it admits: `scope(...)`, `noKeys` or `sessionsOnly`.
 */
import { createRoute, z } from "@hono/zod-openapi";
import type { Hono } from "hono";
import {
  auth,
  keyRuleOf,
  optionalAuth,
  orgScope,
  provideDeps,
  publicAccess,
  scope,
} from "../../src/http/access.ts";
import { createRouter } from "../../src/http/router.ts";
import { problem, toAppError } from "../../src/http/problem.ts";
import { assert, assertEquals, assertProblem } from "../support/assert.ts";
import { createOrgAndLogin, createTestApp, dbTest } from "../support/app.ts";

const MARKERS = new Set<unknown>([auth, optionalAuth, publicAccess]);

/** `METHOD path` of every route whose handler chain holds no access marker, or more than one. */
// deno-lint-ignore no-explicit-any
function undeclared(app: Hono<any, any, any>): { routes: number; bad: string[] } {
  const chains = new Map<string, unknown[]>();
  for (const r of app.routes) {
    // App-wide middleware (request id, deps, body limit, access log) is not a route.
    if (r.method === "ALL" || r.path === "*" || r.path === "/*") continue;
    const key = `${r.method} ${r.path}`;
    chains.set(key, [...chains.get(key) ?? [], r.handler]);
  }
  const bad = [...chains].filter(([, hs]) => hs.filter((h) => MARKERS.has(h)).length !== 1)
    .map(([key]) => key);
  return { routes: chains.size, bad };
}

Deno.test("every route of the app declares exactly one access marker", dbTest, async () => {
  await using t = await createTestApp();
  const { routes, bad } = undeclared(t.app);
  assert(routes >= 25, `expected the app's routes, found ${routes}`);
  assertEquals(bad, []);
});

Deno.test("a route without access, or with two markers, is found", () => {
  const ok = { 200: { description: "ok" } };
  const router = createRouter()
    .openapi(createRoute({ method: "get", path: "/none", responses: ok }), (c) => c.body(null, 200))
    .openapi(
      createRoute({
        method: "get",
        path: "/v1/orgs/{slug}/scoped-only",
        request: { params: z.object({ slug: z.string() }) },
        middleware: [orgScope] as const,
        responses: ok,
      }),
      (c) => c.body(null, 200),
    )
    .openapi(
      createRoute({
        method: "get",
        path: "/both",
        middleware: [publicAccess, optionalAuth] as const,
        responses: ok,
      }),
      (c) => c.body(null, 200),
    )
    .openapi(
      createRoute({ method: "get", path: "/fine", middleware: [auth] as const, responses: ok }),
      (c) => c.body(null, 200),
    );
  assertEquals(undeclared(router).bad.sort(), [
    "GET /both",
    "GET /none",
    "GET /v1/orgs/:slug/scoped-only",
  ]);
});

/** Every route object of src/routes/: `METHOD path` and its declared middleware. */
async function routeObjects(): Promise<{ name: string; middleware: unknown[] }[]> {
  const found = [];
  for (const dir of Deno.readDirSync(new URL("../../src/routes/", import.meta.url))) {
    if (!dir.isDirectory) continue;
    const file = new URL(`../../src/routes/${dir.name}/${dir.name}.routes.ts`, import.meta.url);
    try {
      Deno.statSync(file);
    } catch {
      continue;
    }
    const mod = await import(file.href);
    for (const value of Object.values(mod)) {
      const r = value as { method?: string; path?: string; middleware?: unknown };
      if (typeof r?.method !== "string" || typeof r.path !== "string") continue;
      const m = r.middleware === undefined
        ? []
        : Array.isArray(r.middleware)
        ? r.middleware
        : [r.middleware];
      found.push({ name: `${r.method.toUpperCase()} ${r.path}`, middleware: m });
    }
  }
  return found;
}

Deno.test("every route that authenticates declares its API key scope, or explicitly none", async () => {
  const routes = await routeObjects();
  assert(routes.length >= 40, `expected the app's route objects, found ${routes.length}`);
  const bad = routes.filter(({ middleware }) =>
    (middleware.includes(auth) || middleware.includes(optionalAuth)) &&
    middleware.filter((m) => keyRuleOf(m) !== undefined).length !== 1
  ).map((r) => r.name);
  assertEquals(bad, []);
  // The declared rules, as docs/api.md lists them: the data API by scope, members and audit reads.
  const rules = Object.fromEntries(
    routes.map((r) => [r.name, r.middleware.map(keyRuleOf).find((k) => k !== undefined)]),
  );
  const read = ["data:read" as const];
  assertEquals(rules["GET /v1/orgs/{slug}/collections"], read);
  assertEquals(rules["GET /v1/orgs/{slug}/collections/{name}/documents/{documentId}"], read);
  assertEquals(rules["POST /v1/orgs/{slug}/collections"], ["collections:manage"]);
  assertEquals(rules["PATCH /v1/orgs/{slug}/collections/{name}/documents/{documentId}"], [
    "data:write",
  ]);
  assertEquals(rules["GET /v1/orgs/{slug}/members"], ["members:read"]);
  assertEquals(rules["GET /v1/orgs/{slug}/audit"], ["audit:read"]);
  for (const name of ["GET /v1/me", "POST /v1/auth/login", "POST /v1/auth/switch"]) {
    assertEquals(rules[name], "sessions-only", name);
  }
  for (
    const name of [
      "PATCH /v1/orgs/{slug}/members/{userId}",
      "POST /v1/orgs/{slug}/invitations",
      "POST /v1/orgs/{slug}/api-keys",
      "DELETE /v1/orgs/{slug}/api-keys/{id}",
      "PATCH /v1/orgs/{slug}",
      "DELETE /v1/orgs/{slug}",
    ]
  ) {
    assertEquals(rules[name], "none", name);
  }
});

Deno.test(
  "a route that declares no key scope refuses keys (403), one that declares one admits them",
  dbTest,
  async () => {
    await using t = await createTestApp();
    const a = await createOrgAndLogin(t, "Undeclared Keys");
    const created = await t.client(a.token).v1.orgs[":slug"]["api-keys"].$post({
      param: { slug: a.org.slug },
      json: { name: "probe", scopes: ["data:read"] },
    });
    assertEquals(created.status, 201);
    if (created.status !== 201) return;
    const { key } = await created.json();
    const ok = { 200: { description: "ok" } };
    const params = { params: z.object({ slug: z.string() }) };
    const router = createRouter();
    router.use(provideDeps(t.deps));
    router.onError((err, c) => problem(c, toAppError(err, t.deps.log, undefined)));
    router
      .openapi(
        createRoute({
          method: "get",
          path: "/v1/orgs/{slug}/undeclared",
          request: params,
          middleware: [auth, orgScope] as const,
          responses: ok,
        }),
        (c) => c.body(null, 200),
      )
      .openapi(
        createRoute({
          method: "get",
          path: "/v1/orgs/{slug}/declared",
          request: params,
          middleware: [auth, orgScope, scope("data:read")] as const,
          responses: ok,
        }),
        (c) => c.body(null, 200),
      );
    const get = (path: string, token: string) =>
      router.request(path, { headers: { Authorization: `Bearer ${token}` } });
    await assertProblem(
      await get(`/v1/orgs/${a.org.slug}/undeclared`, key),
      403,
      "insufficient_scope",
    );
    assertEquals((await get(`/v1/orgs/${a.org.slug}/undeclared`, a.token)).status, 200);
    assertEquals((await get(`/v1/orgs/${a.org.slug}/declared`, key)).status, 200);
  },
);
