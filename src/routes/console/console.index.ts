/**
 * The web console (docs/console.md): a page, its stylesheet and its script, all served by
 * the service (no CDN). The script is `console/` bundled at first use (src/http/console-bundle.ts).
 */
import type { Context } from "hono";
import type { Deps } from "../../platform/deps.ts";
import { publicAccess } from "../../http/access.ts";
import { consoleBundle } from "../../http/console-bundle.ts";
import { createRouter } from "../../http/router.ts";

const DIR = new URL("../../../console/", import.meta.url);

/** The page runs only its own script and talks only to this service. */
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

export function consoleRoutes(deps: Deps) {
  const bundleOptions = { cacheDir: `${deps.config.dataDir}/console`, log: deps.log };
  const file = (name: string) => {
    let body: Promise<Uint8Array<ArrayBuffer>> | undefined;
    return () => body ??= Deno.readFile(new URL(name, DIR));
  };
  const page = file("index.html");
  const css = file("console.css");
  const send = (c: Context, body: Uint8Array<ArrayBuffer>, type: string) =>
    c.body(body, 200, { "Content-Type": type, "Cache-Control": "no-cache" });
  return createRouter()
    .get("/console", publicAccess, async (c) => {
      const res = send(c, await page(), "text/html; charset=utf-8");
      res.headers.set("Content-Security-Policy", CSP);
      return res;
    })
    .get("/console/", publicAccess, (c) => c.redirect("/console", 301))
    .get(
      "/console/console.css",
      publicAccess,
      async (c) => send(c, await css(), "text/css; charset=utf-8"),
    )
    .get("/console/app.js", publicAccess, async (c) => {
      return send(c, await consoleBundle(bundleOptions), "text/javascript; charset=utf-8");
    });
}

/** Start building the console's script now, so the first visitor does not wait for it. */
export function prepareConsole(deps: Deps): Promise<unknown> {
  return consoleBundle({ cacheDir: `${deps.config.dataDir}/console`, log: deps.log });
}
