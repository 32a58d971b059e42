import { OpenAPIHono, type RouteConfig, type RouteHandler } from "@hono/zod-openapi";
import type { RouteConfigToEnv } from "@hono/zod-openapi";
import type { Context, MiddlewareHandler } from "hono";
import {
  auth,
  keyRuleOf,
  noKeys,
  optionalAuth,
  orgScope,
  publicAccess,
  runsBeforeValidation,
} from "./access.ts";
import type { AppEnv } from "./env.ts";
import { validationHook } from "./problem.ts";

/**
 * A router whose zod validation failures answer 400 problem+json. A route's access marker
 * (`auth`, `optionalAuth`, `publicAccess`) and `sessionsOnly` run before its request is
 * validated; the rest of its declared middleware (`orgScope`, `role`, `operator`) after, like a
 * handler's own checks: a malformed request is 400 whichever org it names, and a bad token is
 * 401 whatever the body. The route's key rule (`scope(...)`, `noKeys`) runs right after
 * `orgScope` (first if there is none), before any role: so a key on another org's slug is 404,
 * and `role(...)` never sees a key its rule did not admit. A route that authenticates and
 * declares no key rule refuses keys (`noKeys`).
 *
 * A route that declares no OpenAPI `security` gets its marker's: `auth` the bearer token,
 * `optionalAuth` the bearer token as optional (`[{}, bearer]`: a token changes the answer),
 * `publicAccess` none (`[]`).
 */
export function createRouter() {
  const router = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  const register = router.openapi;
  router.openapi = ((route: RouteConfig, handler: Handler, hook?: unknown) => {
    const all = route.middleware === undefined
      ? []
      : Array.isArray(route.middleware)
      ? route.middleware
      : [route.middleware];
    const before = all.filter(runsBeforeValidation);
    const after = withKeyRule(all.filter((m) => !runsBeforeValidation(m)), all);
    const run = after.length ? afterValidation(after, handler) : handler;
    const security = route.security ?? before.map((m) => SECURITY.get(m)).find(Boolean);
    // deno-lint-ignore no-explicit-any
    return (register as any)({ ...route, security, middleware: before }, run, hook);
  }) as typeof register;
  return router;
}

/** The middleware after validation, with the key rule placed after `orgScope` (or added). */
function withKeyRule(after: unknown[], all: unknown[]): MiddlewareHandler[] {
  const declared = all.some((m) => keyRuleOf(m) !== undefined);
  const authenticates = all.includes(auth) || all.includes(optionalAuth);
  const rules = after.filter((m) => keyRuleOf(m) !== undefined);
  if (!declared && authenticates) rules.push(noKeys);
  const rest = after.filter((m) => keyRuleOf(m) === undefined);
  const at = rest.indexOf(orgScope) + 1;
  return [...rest.slice(0, at), ...rules, ...rest.slice(at)] as MiddlewareHandler[];
}

const SECURITY = new Map<unknown, RouteConfig["security"]>([
  [auth, [{ bearerAuth: [] }]],
  [optionalAuth, [{}, { bearerAuth: [] }]],
  [publicAccess, []],
]);

type Handler = (c: Context, next: () => Promise<void>) => Response | Promise<Response>;

/** `handler` behind `middleware`, in order; a middleware that answers ends the chain there. */
function afterValidation(middleware: MiddlewareHandler[], handler: Handler): Handler {
  return async (c, next) => {
    let res: Response | undefined;
    const dispatch = async (i: number): Promise<void> => {
      if (i === middleware.length) {
        res = await handler(c, next);
        return;
      }
      const answer = await middleware[i](c, () => dispatch(i + 1));
      if (answer instanceof Response) res ??= answer;
    };
    await dispatch(0);
    return res ?? c.res;
  };
}

/** A handler typed through its route object: params, body, responses and access variables. */
export type AppRouteHandler<R extends RouteConfig> = RouteHandler<
  R,
  AppEnv & RouteConfigToEnv<R>
>;
