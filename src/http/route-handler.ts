/** Handlers typed by their route object, and the data scope built once per request. */
import type { RouteConfig, RouteConfigToEnv, RouteHandler } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { DataScope } from "../data/scope.ts";
import type { OrgVariables } from "./access.ts";
import { requestContext } from "./context.ts";
import type { AppEnv } from "./env.ts";

/** A handler of route `R`: its input and responses, and the variables its middleware set. */
export type AppRouteHandler<R extends RouteConfig> = RouteHandler<R, AppEnv & RouteConfigToEnv<R>>;

/** The caller's org, who they are and where from: what the data functions act within. */
export function dataScope(c: Context<AppEnv & { Variables: OrgVariables }>): DataScope {
  const deps = c.var.deps;
  return {
    deps,
    org: c.var.org,
    request: requestContext(c as unknown as Context<AppEnv>, deps.config.trustedProxies),
  };
}
