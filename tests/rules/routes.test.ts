/**
 * Access declared on every route (src/http/access.ts): each route of the app carries exactly one
 * access marker — `auth`, `optionalAuth` or `publicAccess` — so a route added without one fails
 * here instead of answering 500 (or, worse, answering anyone).
 */
import { createRoute, z } from "@hono/zod-openapi";
import type { Hono } from "hono";
import { auth, optionalAuth, orgScope, publicAccess } from "../../src/http/access.ts";
import { createRouter } from "../../src/http/router.ts";
import { assert, assertEquals } from "../support/assert.ts";
import { createTestApp, dbTest } from "../support/app.ts";

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
