/**
 * Stopping without dropping a request. Deno 2.9's `server.shutdown()` is meant to close the
 * listener and let the requests under way finish, but now and then (in 6 of 183 runs of
 * tests/resilience/shutdown.test.ts) it closes every HTTP/1.1 connection whose request is still
 * being handled, at once and with no answer. So the process never calls it with a request in
 * flight: on SIGTERM it first stops taking new requests (each is answered by `stopping`, 503
 * `unavailable` with `Retry-After`), waits until every request it took has been answered and
 * sent, and only then shuts the server down.
 */
import { Hono } from "hono";
import type { Deps } from "../platform/deps.ts";
import { unavailable } from "../platform/errors.ts";
import type { AppEnv } from "./env.ts";
import { accessLog, baseHeaders, cors } from "./middleware.ts";
import { problem } from "./problem.ts";

type Handler = (req: Request, info: Deno.ServeHandlerInfo) => Response | Promise<Response>;

/**
 * `serve` until `drain` is called, `stopping` from then on. A request counts from the moment it
 * is taken until Deno has sent its answer (`info.completed`, which settles either way).
 */
export function drainable(serve: Handler, stopping: Handler) {
  let inFlight = 0;
  let draining = false;
  let idle: (() => void) | undefined;
  const done = () => {
    if (--inFlight === 0) idle?.();
  };
  return {
    fetch(req: Request, info: Deno.ServeHandlerInfo): Response | Promise<Response> {
      if (draining) return stopping(req, info);
      inFlight++;
      info.completed.then(done, done);
      return serve(req, info);
    },
    /**
     * Answer every new request with `stopping`; resolves once no request taken before is left
     * unsent, or after `graceMs`, with the number still unsent.
     */
    drain(graceMs: number): Promise<number> {
      draining = true;
      if (inFlight === 0) return Promise.resolve(0);
      return new Promise((resolve) => {
        const end = () => {
          clearTimeout(timer);
          idle = undefined;
          resolve(inFlight);
        };
        const timer = setTimeout(end, graceMs);
        idle = end;
      });
    },
  };
}

/**
 * What answers while the process stops: 503 `unavailable` with `Retry-After: 1` to every
 * request, with the headers of any other answer (request id, security headers, CORS) and its
 * line in the access log.
 */
export function stoppingApp(deps: Deps) {
  const app = new Hono<AppEnv>();
  app.use(baseHeaders());
  if (deps.log.enabled("info")) app.use(accessLog(deps.log));
  if (deps.config.corsOrigins.length) app.use(cors(deps.config.corsOrigins));
  app.all("*", (c) => problem(c, unavailable("The service is shutting down; retry shortly", 1)));
  return app;
}
