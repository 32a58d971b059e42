/** Sign-in and session routes (API.md, "Authentication and sessions"). */
import { createRoute, z } from "@hono/zod-openapi";
import type { Deps } from "../platform/deps.ts";
import { requireAuth } from "../http/authenticate.ts";
import { requestContext } from "../http/context.ts";
import { createRouter } from "../http/router.ts";
import {
  AnyPassword,
  bearer,
  Email,
  errors,
  Id,
  json,
  jsonBody,
  OrgSchema,
  Password,
  publicOrg,
  Role,
  TokenPairSchema,
} from "../http/schemas.ts";
import { changePassword, login, logout, me, refresh, switchOrg } from "../access/sign-in.ts";

const OrgRef = z.string().min(1).max(64).openapi({ description: "Org slug or id" });

const loginRoute = createRoute({
  method: "post",
  path: "/v1/auth/login",
  tags: ["auth"],
  summary: "Sign in with email and password",
  description: "Same answer for an unknown email and a wrong password (401 " +
    "`invalid_credentials`), at the cost of one hash comparison either way. A user in several " +
    "orgs must name one (`org`, slug or id), else 400 `org_required` with `orgs` listing their " +
    "slugs; naming an org the user is not in is 404 `org_not_found`.",
  request: jsonBody(
    z.strictObject({ email: Email, password: AnyPassword, org: OrgRef.optional() }),
  ),
  responses: { 200: json(TokenPairSchema, "Signed in"), ...errors(400, 401, 403, 404, 429) },
});

const refreshRoute = createRoute({
  method: "post",
  path: "/v1/auth/refresh",
  tags: ["auth"],
  summary: "Rotate a refresh token",
  description: "The presented token is spent. Presenting a spent token again revokes the " +
    "whole session (401 `refresh_reused`). A 503 leaves the presented token current: retry it.",
  request: jsonBody(z.strictObject({ refreshToken: z.string().min(1).max(200) })),
  responses: { 200: json(TokenPairSchema, "A new token pair"), ...errors(400, 401, 403) },
});

const logoutRoute = createRoute({
  method: "post",
  path: "/v1/auth/logout",
  tags: ["auth"],
  summary: "Revoke the current session",
  security: bearer,
  responses: { 204: { description: "Signed out" }, ...errors(401) },
});

const switchRoute = createRoute({
  method: "post",
  path: "/v1/auth/switch",
  tags: ["auth"],
  summary: "Get a token pair for another org of the signed-in user",
  description: "Starts a new session in that org; the current session stays valid.",
  security: bearer,
  request: jsonBody(z.strictObject({ org: OrgRef })),
  responses: {
    200: json(TokenPairSchema, "Signed into the other org"),
    ...errors(400, 401, 403, 404),
  },
});

const meRoute = createRoute({
  method: "get",
  path: "/v1/me",
  tags: ["auth"],
  summary: "The signed-in user, the current org and role, and all their orgs",
  security: bearer,
  responses: {
    200: json(
      z.object({
        user: z.object({ id: Id, email: z.string() }),
        org: OrgSchema,
        role: Role,
        orgs: z.array(z.object({ id: Id, slug: z.string(), name: z.string(), role: Role })),
      }),
      "The signed-in user",
    ),
    ...errors(401, 403),
  },
});

const passwordRoute = createRoute({
  method: "post",
  path: "/v1/me/password",
  tags: ["auth"],
  summary: "Change the password; every other session of the user is revoked",
  description: "`currentPassword` is checked like a sign-in: counted against the email's " +
    "throttle before it is checked (429 with Retry-After past the limit).",
  security: bearer,
  request: jsonBody(z.strictObject({ currentPassword: AnyPassword, newPassword: Password })),
  responses: { 204: { description: "Changed" }, ...errors(400, 401, 429) },
});

export function authRoutes(deps: Deps) {
  const auth = requireAuth(deps);
  const ctx = (c: Parameters<typeof requestContext>[0]) =>
    requestContext(c, deps.config.trustedProxies);
  const router = createRouter();
  for (const path of ["/v1/auth/logout", "/v1/auth/switch", "/v1/me", "/v1/me/*"]) {
    router.use(path, auth);
  }
  return router
    .openapi(loginRoute, async (c) => c.json(await login(deps, c.req.valid("json"), ctx(c)), 200))
    .openapi(refreshRoute, async (c) => {
      return c.json(await refresh(deps, c.req.valid("json").refreshToken, ctx(c)), 200);
    })
    .openapi(logoutRoute, async (c) => {
      await logout(deps, c.get("principal"), ctx(c));
      return c.body(null, 204);
    })
    .openapi(switchRoute, async (c) => {
      return c.json(await switchOrg(deps, c.get("principal"), c.req.valid("json").org), 200);
    })
    .openapi(meRoute, async (c) => {
      const r = await me(deps, c.get("principal"));
      return c.json({ ...r, org: publicOrg(r.org) }, 200);
    })
    .openapi(passwordRoute, async (c) => {
      await changePassword(deps, c.get("principal"), c.req.valid("json"), ctx(c));
      return c.body(null, 204);
    });
}
