/**
 * Cross-cutting middleware. Every response header and every middleware pass costs a share of a
 * small response, so the request id and the security headers are set in one pass (src/app.ts registers the body limit only for methods
 * with a body, and the access log only when it logs at info).
 */
import type { MiddlewareHandler } from "hono";
import { bodyLimit as honoBodyLimit } from "hono/body-limit";
import type { Logger } from "../platform/log.ts";
import type { AppEnv } from "./env.ts";
import { payloadTooLarge } from "../platform/errors.ts";
import { problem } from "./problem.ts";

/** The security headers that matter for a JSON API (OWASP REST Security Cheat Sheet). */
const SECURITY_HEADERS: [string, string][] = [
  ["X-Content-Type-Options", "nosniff"],
  ["X-Frame-Options", "DENY"],
  ["Strict-Transport-Security", "max-age=15552000; includeSubDomains"],
];

const REQUEST_ID = /^[\w\-=]{1,255}$/;

/**
 * `X-Request-Id`: the client's when it looks like one (letters, digits, `_-=`, ≤ 255), else a
 * new UUID; in `c.get("requestId")` and on the response, with the security headers.
 */
export function baseHeaders(): MiddlewareHandler<AppEnv> {
  return async function baseHeaders(c, next) {
    const given = c.req.header("X-Request-Id");
    const id = given && REQUEST_ID.test(given) ? given : crypto.randomUUID();
    c.set("requestId", id);
    await next();
    // Set on the finished response rather than with c.header() before it: Hono would then build
    // a Headers object per request for Deno to copy into the response.
    const headers = c.res.headers;
    headers.set("X-Request-Id", id);
    for (const [name, value] of SECURITY_HEADERS) headers.set(name, value);
  };
}

/** 413 problem+json past `maxSize` bytes (registered for the methods that carry a body). */
export function bodyLimit(maxSize: number): MiddlewareHandler<AppEnv> {
  return honoBodyLimit({ maxSize, onError: (c) => problem(c, payloadTooLarge()) });
}

/** One JSON line per request: method, path, status, duration, request id. Never headers or bodies. */
export function accessLog(log: Logger): MiddlewareHandler<AppEnv> {
  return async function accessLog(c, next) {
    const start = performance.now();
    await next();
    log.info("request", {
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      durationMs: Math.round((performance.now() - start) * 10) / 10,
      requestId: c.get("requestId"),
    });
  };
}
