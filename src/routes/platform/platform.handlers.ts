import { swaggerUI } from "@hono/swagger-ui";
import type { Context } from "hono";
import getAbsoluteFSPath from "swagger-ui-dist/absolute-path.js";
import { assertReady } from "../../platform/db.ts";
import type { AppRouteHandler } from "../../http/router.ts";
import type { HealthRoute, ReadyRoute } from "./platform.routes.ts";

export const health: AppRouteHandler<HealthRoute> = (c) => c.json({ status: "ok" as const }, 200);

export const ready: AppRouteHandler<ReadyRoute> = async (c) => {
  await assertReady(c.get("deps").db, c.get("deps").config.dbTimeoutMs);
  return c.json({ status: "ready" as const }, 200);
};

/**
 * The page, from `@hono/swagger-ui` with its HTML given: its own would load Swagger UI from a
 * CDN and start it from an inline script, which the page's CSP refuses. Here the assets come
 * from this service (swagger-ui-dist, `docsAsset`), so the page works offline, and Swagger UI
 * starts from /docs/init.js.
 */
const page = swaggerUI({
  title: "Organization service API",
  url: "/openapi.json",
  manuallySwaggerUIHtml: () =>
    `<link rel="stylesheet" href="/docs/swagger-ui.css">
<div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script>`,
});

// No validator badge: it would send the document to an outside service (and needs internet).
const DOCS_INIT = `window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#swagger-ui", ` +
  `validatorUrl: null });\n`;

/**
 * The page runs only its own scripts and talks only to this service (it fetches
 * /openapi.json). Swagger UI sets style attributes from its scripts and draws icons as data:
 * images.
 */
export const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

export const docsPage = async (c: Context) => {
  c.header("Content-Security-Policy", DOCS_CSP);
  return (await page(c, () => Promise.resolve())) ?? c.res;
};
export const docsInit = (c: Context) =>
  c.body(DOCS_INIT, 200, { "Content-Type": "text/javascript" });

/**
 * A Swagger UI asset from the swagger-ui-dist package (no CDN, so it renders offline). Only the
 * package's path helper is imported (not its bundle); each asset is read once, on first use.
 */
export function docsAsset(file: string, type: string) {
  let body: Promise<Uint8Array<ArrayBuffer>> | undefined;
  return async (c: Context) => {
    body ??= Deno.readFile(`${getAbsoluteFSPath()}/${file}`);
    return c.body(await body, 200, {
      "Content-Type": type,
      "Cache-Control": "public, max-age=86400",
    });
  };
}
