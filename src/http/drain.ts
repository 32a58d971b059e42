/**
 * Stopping without dropping a request. Deno 2.9's `server.shutdown()` is meant to close the
 * listener and let the requests under way finish, but now and then (in 6 of 183 runs of
 * tests/resilience/shutdown.test.ts) it closes every HTTP/1.1 connection whose request is still
 * being handled, at once and with no answer. So the process never calls it with a request in
 * flight: on SIGTERM it first stops taking new requests (each is answered by `stopping`, 503
 * `unavailable` with `Retry-After`), waits until every request it took has been answered and
 * sent, and only then shuts the server down.
 */
import { withTimeout } from "../platform/async.ts";

type Handler = (req: Request, info: Deno.ServeHandlerInfo) => Response | Promise<Response>;

/**
 * `serve` until `drain` is called, `stopping` from then on. A request counts from the moment it
 * is taken until Deno has sent its answer (`info.completed`, which settles either way).
 */
export function drainable(serve: Handler, stopping: Handler) {
  let inFlight = 0;
  let draining = false;
  const idle = Promise.withResolvers<void>();
  const done = () => {
    if (--inFlight === 0 && draining) idle.resolve();
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
    async drain(graceMs: number): Promise<number> {
      draining = true;
      if (inFlight > 0) await withTimeout(idle.promise, graceMs);
      return inFlight;
    },
  };
}
