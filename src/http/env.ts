import type { RequestIdVariables } from "hono/request-id";
import type { Deps } from "../platform/deps.ts";

/**
 * The Hono environment of every route: what app-level middleware puts in `c.var`. What access
 * middleware adds (`principal`, `org`) is typed by the middleware a route declares
 * (src/http/access.ts), so only handlers behind it see it.
 */
export interface AppEnv {
  Variables: RequestIdVariables & {
    deps: Deps;
  };
  /** `Deno.serve(app.fetch)` passes its handler info as the env; absent in `app.request()`. */
  Bindings: {
    remoteAddr?: { hostname: string };
  };
}
