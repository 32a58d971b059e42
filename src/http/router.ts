import { OpenAPIHono, type RouteConfig, type RouteHandler } from "@hono/zod-openapi";
import type { RouteConfigToEnv } from "@hono/zod-openapi";
import type { Context, MiddlewareHandler } from "hono";
import { auth, isAccessMarker, optionalAuth, publicAccess } from "./access.ts";
import type { AppEnv } from "./env.ts";
import { validationHook } from "./problem.ts";

/**
 * A router whose zod validation failures answer 400 problem+json. A route's access marker
 * (`auth`, `optionalAuth`, `publicAccess`) runs before its request is validated; the rest of its
 * declared middleware (`orgScope`, `role`, `operator`) after, like a handler's own checks: a malformed
 * request is 400 whichever org it names, and a bad token is 401 whatever the body.
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
    const before = all.filter(isAccessMarker);
    const after = all.filter((m) => !isAccessMarker(m)) as MiddlewareHandler[];
    const run = after.length ? afterValidation(after, handler) : handler;
    const security = route.security ?? before.map((m) => SECURITY.get(m)).find(Boolean);
    // deno-lint-ignore no-explicit-any
    return (register as any)({ ...route, security, middleware: before }, run, hook);
  }) as typeof register;
  return router;
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
