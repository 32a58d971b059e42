/**
 * Cross-cutting middleware. Every response header and every middleware pass costs a share of a
 * small response, so the request id and the security headers are set in one pass (src/app.ts registers the body limit only for methods
 * with a body, and the access log only when it logs at info).
 */
import type { MiddlewareHandler } from "hono";
import { bodyLimit as honoBodyLimit } from "hono/body-limit";
import { cors as honoCors } from "hono/cors";
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

/**
 * On routes whose answer carries tokens (sign-in, refresh, switch, invitation acceptance, the
 * compatibility sign-in): `Cache-Control: no-store`, so no cache between the client and the
 * service keeps them. Declared on the route, after its access marker; set before the handler
 * answers, so every answer of the route (errors too) carries it.
 */
export const noStore: MiddlewareHandler = async function noStore(c, next) {
  c.header("Cache-Control", "no-store");
  await next();
};

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

/** What a page on an allowed origin may send and read (docs/configuration.md, "CORS"). */
const CORS_ALLOW_HEADERS = ["Authorization", "Content-Type", "If-Match", "If-None-Match"];
const CORS_EXPOSE_HEADERS = ["ETag", "Location", "Retry-After", "X-Request-Id"];
const CORS_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"];
const CORS_MAX_AGE_SECONDS = 600;

/**
 * CORS for the origins of `CORS_ORIGINS` (exact origins, or `*` for any): Hono's middleware,
 * run only for a request whose `Origin` is allowed. A preflight from one answers 204; every
 * other answer (errors included) carries `Access-Control-Allow-Origin` with that origin and
 * the exposed headers. Any other request, a disallowed origin's included, gets no CORS headers
 * and is answered as usual. Every answer says `Vary: Origin`, as it depends on it. No
 * credentials: the API takes bearer tokens, never cookies.
 */
export function cors(origins: string[]): MiddlewareHandler<AppEnv> {
  const any = origins.includes("*");
  const allowed = new Set(origins);
  const handler = honoCors({
    origin: (origin) => origin,
    allowMethods: CORS_METHODS,
    allowHeaders: CORS_ALLOW_HEADERS,
    exposeHeaders: CORS_EXPOSE_HEADERS,
    maxAge: CORS_MAX_AGE_SECONDS,
    credentials: false,
  });
  return async function cors(c, next) {
    const origin = c.req.header("Origin");
    if (origin && (any || allowed.has(origin))) return await handler(c, next);
    await next();
    c.res.headers.append("Vary", "Origin");
  };
}

/**
 * 413 problem+json past `maxSize` bytes (registered for the methods that carry a body). A
 * declared `Content-Length` is checked from the header alone: Hono's middleware reads
 * `Request.body` first, which makes Deno build a stream for every body it would otherwise hand
 * over whole. A body without a declared length (chunked) is counted as it is read.
 */
export function bodyLimit(maxSize: number): MiddlewareHandler<AppEnv> {
  const tooLarge = (c: Parameters<MiddlewareHandler<AppEnv>>[0]) => problem(c, payloadTooLarge());
  const counted = honoBodyLimit({ maxSize, onError: tooLarge });
  return async function bodyLimit(c, next) {
    const headers = c.req.raw.headers;
    const length = headers.get("content-length");
    if (length === null || headers.has("transfer-encoding")) return await counted(c, next);
    if (parseInt(length, 10) > maxSize) return tooLarge(c);
    await next();
  };
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
