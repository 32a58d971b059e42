/** Access declared on routes (src/http/access.ts), through a router built only of it. */
import { createRoute, z } from "@hono/zod-openapi";
import { auth, noKeys, optionalAuth, orgScope, provideDeps, role } from "../../src/http/access.ts";
import { problem, toAppError } from "../../src/http/problem.ts";
import { createRouter } from "../../src/http/router.ts";
import { assertEquals, assertProblem } from "../support/assert.ts";
import {
  addMember,
  createOrgAndLogin,
  createTestApp,
  dbTest,
  type TestApp,
} from "../support/app.ts";

const ok = {
  200: {
    content: { "application/json": { schema: z.object({}).passthrough() } },
    description: "ok",
  },
};
const params = z.object({ slug: z.string() });

function probe(t: TestApp) {
  const router = createRouter();
  router.use(provideDeps(t.deps));
  router.onError((err, c) => problem(c, toAppError(err, t.deps.log)));
  return router
    .openapi(
      createRoute({
        method: "get",
        path: "/v1/orgs/{slug}/probe",
        request: { params },
        middleware: [auth, orgScope, noKeys] as const,
        responses: ok,
      }),
      (c) => c.json({ org: c.var.org.id, user: c.var.principal.userId }, 200),
    )
    .openapi(
      createRoute({
        method: "get",
        path: "/v1/orgs/{slug}/admins",
        request: { params },
        middleware: [auth, orgScope, noKeys, role("owner", "admin")] as const,
        responses: ok,
      }),
      (c) => c.json({ role: c.var.principal.role }, 200),
    )
    .openapi(
      createRoute({
        method: "get",
        path: "/v1/maybe",
        middleware: [optionalAuth, noKeys] as const,
        responses: ok,
      }),
      (c) => c.json({ user: c.var.principal?.userId ?? null }, 200),
    );
}

const get = async (router: ReturnType<typeof probe>, path: string, token?: string) => {
  const res = await router.request(path, {
    headers: token ? { Authorization: `Bearer ${token}` } : {},
  });
  const body = await res.json();
  return { status: res.status, headers: res.headers, body };
};

Deno.test("access middleware declared on routes", dbTest, async (t) => {
  await using app = await createTestApp({ env: { AUTH_CACHE_TTL_MS: "0" } });
  const router = probe(app);
  const a = await createOrgAndLogin(app, "Access Alpha");
  const b = await createOrgAndLogin(app, "Access Beta");

  await t.step("auth: no token or a bad one is 401", async () => {
    assertEquals((await get(router, `/v1/orgs/${a.org.slug}/probe`)).status, 401);
    assertEquals((await get(router, `/v1/orgs/${a.org.slug}/probe`, "nope")).status, 401);
  });

  await t.step("orgScope: the token's own org is in c.var.org", async () => {
    const res = await get(router, `/v1/orgs/${a.org.slug}/probe`, a.token);
    assertEquals(res.status, 200);
    assertEquals(res.body.org, a.org.id);
  });

  await t.step(
    "orgScope: another org's slug, or an unknown one, is 404 org_not_found",
    async () => {
      for (const slug of [b.org.slug, "no-such-org"]) {
        const res = await get(router, `/v1/orgs/${slug}/probe`, a.token);
        await assertProblem(res, 404, "org_not_found");
      }
    },
  );

  await t.step("role: a member is 403 forbidden where owner or admin is needed", async () => {
    const m = await addMember(app, a.token, a.org.slug, "member");
    const res = await get(router, `/v1/orgs/${a.org.slug}/admins`, m.token);
    await assertProblem(res, 403, "forbidden");
    assertEquals((await get(router, `/v1/orgs/${a.org.slug}/admins`, a.token)).status, 200);
    // Role is checked after the org scope: another org's slug stays 404 for a member too.
    assertEquals((await get(router, `/v1/orgs/${b.org.slug}/admins`, m.token)).status, 404);
  });

  await t.step("optionalAuth: anonymous is served, an invalid token is 401", async () => {
    assertEquals((await get(router, "/v1/maybe")).body.user, null);
    assertEquals((await get(router, "/v1/maybe", a.token)).body.user, a.admin.id);
    assertEquals((await get(router, "/v1/maybe", "nope")).status, 401);
  });

  await t.step("a suspended org's token is 403 org_suspended", async () => {
    await app.deps.db.master.collection("orgs").updateOne(
      { slug: b.org.slug },
      { $set: { status: "suspended" } },
    );
    const res = await get(router, `/v1/orgs/${b.org.slug}/probe`, b.token);
    await assertProblem(res, 403, "org_suspended");
  });
});
