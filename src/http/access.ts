/**
 * Access declared on the route: module-level middleware for a route object's `middleware`,
 * beside its OpenAPI `security`.
 *
 * @example
 * createRoute({ ..., security: bearer, middleware: [auth, orgScope, role("owner", "admin")] as const })
 *
 * Each is typed with the context variables it sets, so only handlers behind `auth` see
 * `c.get("principal")` and only handlers behind `orgScope` see `c.get("org")`. Every route declares
 * exactly one of `auth`, `optionalAuth` or `publicAccess`, the access markers: they run before
 * the request is validated, the rest (`orgScope`, `role`) after it (src/http/router.ts). They
 * read their dependencies from `c.get("deps")`, which `provideDeps` (registered once on the app)
 * sets.
 */
import type { MiddlewareHandler } from "hono";
import { createMiddleware } from "hono/factory";
import type { Deps } from "../platform/deps.ts";
import { forbidden, orgNotFound } from "../platform/errors.ts";
import type { Role } from "../identity/memberships.ts";
import { assertOperator } from "../access/operators.ts";
import type { Principal, SignedIn } from "../access/principal.ts";
import { assertNotSuspended, assertSchemaKnown } from "../tenants/org-status.ts";
import { visibleOrg } from "../tenants/visibility.ts";
import type { Org } from "../tenants/orgs.ts";
import { authenticate } from "./authenticate.ts";

/** `c.get("deps")`: what every access middleware and handler is built from. */
export interface DepsVariables {
  deps: Deps;
}
/**
 * `c.get("principal")`: set by `auth` (and by `optionalAuth` when a token is sent); an operator's
 * token outside any org gives a principal with no org.
 */
export interface PrincipalVariables extends DepsVariables {
  principal: SignedIn;
}
/** `c.get("org")`: the caller's own org, set by `orgScope`, which also narrows the principal. */
export interface OrgVariables extends PrincipalVariables {
  principal: Principal;
  org: Org;
}

/** The middleware that say who may call a route; every route carries exactly one. */
export function isAccessMarker(m: unknown): boolean {
  return m === auth || m === optionalAuth || m === publicAccess;
}

/** App-level middleware: puts `deps` in the context for the access middleware and handlers. */
export function provideDeps(deps: Deps): MiddlewareHandler {
  return async function provideDeps(c, next) {
    c.set("deps", deps);
    await next();
  };
}

/**
 * Anyone may call the route: the explicit marker of an anonymous route, so that every route
 * declares its access (tests/rules/routes.test.ts fails on one that declares none).
 */
export const publicAccess = createMiddleware<{ Variables: DepsVariables }>(
  function publicAccess(_c, next) {
    return next();
  },
);

/** A valid bearer token is required; its principal goes to `c.get("principal")`. */
export const auth = createMiddleware<{ Variables: PrincipalVariables }>(
  async function auth(c, next) {
    c.set("principal", await authenticate(c.get("deps"), c.req.header("Authorization")));
    await next();
  },
);

/**
 * The principal when a token is sent, none without one (or with an empty header). An invalid token is still 401: a
 * client that meant to authenticate is told, not silently served the anonymous answer.
 */
export const optionalAuth = createMiddleware<{
  Variables: DepsVariables & { principal: SignedIn | undefined };
}>(async function optionalAuth(c, next) {
  const header = c.req.header("Authorization");
  // An empty header is no token (some clients send one); any other is checked.
  if (header) c.set("principal", await authenticate(c.get("deps"), header));
  await next();
});

/**
 * After `auth`: the route's `{slug}` must name the token's own org. Any other slug is 404, as
 * if it did not exist (never reveal another tenant), and so is every slug for a token of no
 * org (an operator's outside any org); a suspended org is 403; an org being provisioned or
 * deleted is 404; an org whose data schema is newer than this instance knows is 503. The org
 * goes to `c.get("org")`.
 */
export const orgScope = createMiddleware<{ Variables: OrgVariables }>(
  async function orgScope(c, next) {
    const p = c.get("principal") as SignedIn | undefined;
    const slug = c.req.param("slug");
    if (!p || p.orgSlug === null || slug === undefined || p.orgSlug !== slug) {
      throw orgNotFound();
    }
    const org = await visibleOrg(c.get("deps"), { id: p.orgId });
    if (org.slug !== slug) throw orgNotFound();
    assertNotSuspended(org);
    await assertSchemaKnown(c.get("deps"), org);
    c.set("principal", p);
    c.set("org", org);
    await next();
  },
);

/**
 * After `auth`: 403 `forbidden` unless the caller holds the platform role `operator` (read
 * through the short-TTL cache). Like `role`, it runs after the request is validated: a malformed
 * request is 400 whoever sends it, a well-formed one 403 for anyone but an operator.
 */
export const operator = createMiddleware<{ Variables: PrincipalVariables }>(
  async function operator(c, next) {
    await assertOperator(c.get("deps"), c.get("principal").userId);
    await next();
  },
);

/** After `orgScope`: 403 `forbidden` unless the caller's role in the org is one of `roles`. */
export function role(...roles: Role[]) {
  const allowed = new Set(roles);
  const detail = `This action needs the role ${roles.join(" or ")}`;
  return createMiddleware<{ Variables: OrgVariables }>(async function role(c, next) {
    if (!allowed.has(c.get("principal").role)) throw forbidden(detail);
    await next();
  });
}
