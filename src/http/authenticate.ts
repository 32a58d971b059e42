/** Bearer-token authentication and role checks for routes. */
import type { MiddlewareHandler } from "hono";
import type { Deps } from "../platform/deps.ts";
import { AppError } from "../platform/errors.ts";
import type { Role } from "../identity/memberships.ts";
import { type Principal, resolvePrincipal } from "../access/principal.ts";
import { verifyAccessToken } from "../identity/tokens.ts";
import type { AppEnv } from "./env.ts";

const unauthorized = () => new AppError(401, "unauthorized", "Missing or invalid access token");

/** Resolve the bearer token (if any) to a principal; throws 401/403 for a bad one. */
export async function authenticate(deps: Deps, header: string | undefined): Promise<Principal> {
  if (!header || header.length > 4096) throw unauthorized();
  const token = header.startsWith("Bearer ") ? header.slice(7) : "";
  const claims = await verifyAccessToken(deps.config.jwtSecret, token);
  if (!claims) throw unauthorized();
  return await resolvePrincipal(deps.cache, deps.db.master, claims, deps.now);
}

/** Middleware: a valid token is required; the principal goes to `c.var.principal`. */
export function requireAuth(deps: Deps): MiddlewareHandler<AppEnv> {
  return async function requireAuth(c, next) {
    c.set("principal", await authenticate(deps, c.req.header("Authorization")));
    await next();
  };
}

/** Throw 403 unless the principal has one of `roles`. */
export function requireRole(p: Principal, roles: readonly Role[]): void {
  if (!roles.includes(p.role)) {
    throw new AppError(403, "forbidden", `This action needs the role ${roles.join(" or ")}`);
  }
}
