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
 *
 * `auth` resolves a person's token or an org's API key alike. Beside its roles, every route that
 * authenticates declares which keys it takes: `scope("data:read")` (a key holding that scope),
 * `noKeys` (none: 403 `insufficient_scope`) or `sessionsOnly` (none, 401: the caller's own account
 * and sign-in). A route that declares none refuses keys as `noKeys` does (src/http/router.ts).
 */
import type { MiddlewareHandler } from "hono";
import { createMiddleware } from "hono/factory";
import type { Deps } from "../platform/deps.ts";
import { forbidden, insufficientScope, orgNotFound, unauthorized } from "../platform/errors.ts";
import type { Role } from "../identity/memberships.ts";
import { type ApiKeyScope, coversScope, looksLikeApiKey } from "../identity/api-keys.ts";
import { assertOperator } from "../access/operators.ts";
import type { Caller, OrgCaller, SignedIn } from "../access/principal.ts";
import { assertNotSuspended, assertSchemaKnown } from "../tenants/org-status.ts";
import { visibleOrg } from "../tenants/visibility.ts";
import type { Org } from "../tenants/orgs.ts";
import { authenticate, bearerToken } from "./authenticate.ts";

/** `c.get("deps")`: what every access middleware and handler is built from. */
export interface DepsVariables {
  deps: Deps;
}
/**
 * `c.get("principal")`: set by `auth` (and by `optionalAuth` when a token is sent): a person or
 * an org's API key; an operator's token outside any org gives a principal with no org.
 */
export interface PrincipalVariables extends DepsVariables {
  principal: Caller;
}
/** `c.get("org")`: the caller's own org, set by `orgScope`, which also narrows the principal. */
export interface OrgVariables extends PrincipalVariables {
  principal: OrgCaller;
  org: Org;
}
/** Behind `operator`: the principal is a person. */
export interface PersonVariables extends DepsVariables {
  principal: SignedIn;
}
/** Behind `noKeys` or `sessionsOnly`: the principal, if any, is a person. */
interface NoKeyVariables extends DepsVariables {
  principal: SignedIn | undefined;
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
  Variables: DepsVariables & { principal: Caller | undefined };
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
    const p = c.get("principal") as Caller | undefined;
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
export const operator = createMiddleware<{ Variables: PersonVariables }>(
  async function operator(c, next) {
    const p = c.get("principal") as Caller;
    if (p.kind === "api_key") throw insufficientScope();
    await assertOperator(c.get("deps"), p.userId);
    await next();
  },
);

/**
 * After `orgScope`: 403 `forbidden` unless the caller's role in the org is one of `roles`. It
 * concerns people: an API key reaches it only past the route's `scope(...)`, which decided.
 */
export function role(...roles: Role[]) {
  const allowed = new Set(roles);
  const detail = `This action needs the role ${roles.join(" or ")}`;
  return createMiddleware<{ Variables: OrgVariables }>(async function role(c, next) {
    const p = c.get("principal");
    if (p.kind === "person" && !allowed.has(p.role)) throw forbidden(detail);
    await next();
  });
}

/** The key rules a route declares (`scope`, `noKeys`, `sessionsOnly`), and what each accepts. */
const keyRules = new WeakMap<object, readonly ApiKeyScope[] | "none" | "sessions-only">();

/** The key rule `m` is, if it is one: the scopes it accepts, `none` or `sessions-only`. */
export function keyRuleOf(m: unknown) {
  return typeof m === "function" ? keyRules.get(m) : undefined;
}

/**
 * After `orgScope`: an API key may call the route only if it holds one of `accepted`
 * (`data:write` includes `data:read`), else 403 `insufficient_scope`. People pass (their
 * `role(...)`, if any, decides).
 */
export function scope(...accepted: ApiKeyScope[]) {
  const m = createMiddleware<{ Variables: OrgVariables }>(async function scope(c, next) {
    const p = c.get("principal");
    if (p.kind === "api_key" && !coversScope(p.scopes, accepted)) {
      throw insufficientScope(
        `This action needs an API key with the scope ${accepted.join(" or ")}`,
      );
    }
    await next();
  });
  keyRules.set(m, accepted);
  return m;
}

/** No API key may call the route: 403 `insufficient_scope`. People (and anonymous callers) pass. */
export const noKeys = createMiddleware<{ Variables: NoKeyVariables }>(
  async function noKeys(c, next) {
    if ((c.get("principal") as Caller | undefined)?.kind === "api_key") {
      throw insufficientScope("API keys cannot do this");
    }
    await next();
  },
);
keyRules.set(noKeys, "none");

/**
 * The caller's own account and signing in (`/v1/me`, `/v1/auth/*`, accepting an invitation):
 * a request bearing an API key is 401, before its body is read; a key is not a person.
 */
export const sessionsOnly = createMiddleware<{ Variables: NoKeyVariables }>(
  async function sessionsOnly(c, next) {
    if (looksLikeApiKey(bearerToken(c.req.header("Authorization")))) {
      throw unauthorized("API keys cannot be used here: sign in as a person");
    }
    await next();
  },
);
keyRules.set(sessionsOnly, "sessions-only");

/** The middleware that run before the request is validated: the access markers and `sessionsOnly`. */
export function runsBeforeValidation(m: unknown): boolean {
  return isAccessMarker(m) || m === sessionsOnly;
}
