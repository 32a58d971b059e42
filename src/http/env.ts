import type { RequestIdVariables } from "hono/request-id";
import type { Principal } from "../access/principal.ts";

/** The Hono environment of every route: what middleware puts in `c.var`. */
export interface AppEnv {
  Variables: RequestIdVariables & {
    principal: Principal;
  };
  /** `Deno.serve(app.fetch)` passes its handler info as the env; absent in `app.request()`. */
  Bindings: {
    remoteAddr?: { hostname: string };
  };
}
