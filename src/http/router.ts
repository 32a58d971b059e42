import { OpenAPIHono, type RouteConfig, type RouteHandler } from "@hono/zod-openapi";
import type { RouteConfigToEnv } from "@hono/zod-openapi";
import type { AppEnv } from "./env.ts";
import { validationHook } from "./problem.ts";

/** A router whose zod validation failures answer 400 problem+json. */
export function createRouter() {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
}

/** A handler typed through its route object: params, body, responses and access variables. */
export type AppRouteHandler<R extends RouteConfig> = RouteHandler<
  R,
  AppEnv & RouteConfigToEnv<R>
>;
