/** The request context handed to domain functions: request id, client address, actor. */
import type { Context } from "hono";
import type { RequestContext } from "../audit/audit.ts";
import type { AppEnv } from "./env.ts";

/**
 * The client address: the connection's, or, when that connection is a trusted proxy
 * (`TRUSTED_PROXIES`, "*" for any), the nearest address in X-Forwarded-For that is not one.
 */
export function clientAddress(
  remote: string | undefined,
  forwardedFor: string | undefined,
  trusted: string[],
): string {
  const isTrusted = (a: string) => trusted.includes("*") || trusted.includes(a);
  if (!remote) return "unknown";
  if (!forwardedFor || !isTrusted(remote)) return remote;
  const hops = forwardedFor.split(",").map((s) => s.trim()).filter(Boolean);
  for (let i = hops.length - 1; i >= 0; i--) {
    if (!isTrusted(hops[i])) return hops[i].slice(0, 64);
  }
  return (hops[0] ?? remote).slice(0, 64);
}

export function requestContext(c: Context<AppEnv>, trusted: string[]): RequestContext {
  const p = c.get("principal") as AppEnv["Variables"]["principal"] | undefined;
  return {
    requestId: c.get("requestId"),
    ip: clientAddress(c.env?.remoteAddr?.hostname, c.req.header("X-Forwarded-For"), trusted),
    actor: p ? { userId: p.userId } : undefined,
  };
}
