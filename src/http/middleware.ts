/** Cross-cutting middleware: access log, client address. */
import type { MiddlewareHandler } from "hono";
import type { Logger } from "../log.ts";
import type { AppEnv } from "./env.ts";

/** One JSON line per request: method, path, status, duration, request id. Never headers or bodies. */
export function accessLog(log: Logger): MiddlewareHandler<AppEnv> {
  return async function accessLog(c, next) {
    if (!log.enabled("info")) return await next();
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
