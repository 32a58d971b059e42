/** Platform routes: liveness, readiness and the API documentation. */
import { createRoute, z } from "@hono/zod-openapi";
import { getAbsoluteFSPath } from "swagger-ui-dist";
import { pingAll } from "../db.ts";
import type { Deps } from "../deps.ts";
import { AppError } from "../errors.ts";
import { RETRY_AFTER_SECONDS } from "../http/problem.ts";
import { createRouter } from "../http/router.ts";
import { errors, json } from "../http/schemas.ts";

const health = createRoute({
  method: "get",
  path: "/health",
  summary: "Liveness: 200 while the process runs (never touches the database)",
  tags: ["platform"],
  responses: { 200: json(z.object({ status: z.literal("ok") }), "The process is running") },
});

const ready = createRoute({
  method: "get",
  path: "/ready",
  summary: "Readiness: 200 when every configured MongoDB deployment answers ping, else 503",
  tags: ["platform"],
  responses: {
    200: json(z.object({ status: z.literal("ready") }), "Every deployment answers"),
    ...errors(),
  },
});

export function platformRoutes(deps: Deps) {
  return createRouter()
    .openapi(health, (c) => c.json({ status: "ok" as const }, 200))
    .openapi(ready, async (c) => {
      if (!await pingAll(deps.db, Math.min(deps.config.dbTimeoutMs, 2000))) {
        throw new AppError(503, "unavailable", "The database does not answer", {
          headers: { "Retry-After": String(RETRY_AFTER_SECONDS) },
        });
      }
      return c.json({ status: "ready" as const }, 200);
    });
}

const DOCS_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Organization service API</title>
<link rel="stylesheet" href="/docs/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script>
</body>
</html>
`;

const DOCS_INIT = `window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#swagger-ui" });\n`;

/**
 * Swagger UI, served from the swagger-ui-dist package (no CDN, so it renders offline). The
 * two assets are read once, on first use.
 */
export function docsRoutes() {
  const dir = getAbsoluteFSPath();
  const assets: Record<string, { file: string; type: string; body?: Uint8Array }> = {
    "swagger-ui.css": { file: "swagger-ui.css", type: "text/css; charset=utf-8" },
    "swagger-ui-bundle.js": {
      file: "swagger-ui-bundle.js",
      type: "text/javascript; charset=utf-8",
    },
  };
  return createRouter()
    .get("/docs", (c) => c.html(DOCS_HTML))
    .get("/docs/init.js", (c) => c.body(DOCS_INIT, 200, { "Content-Type": "text/javascript" }))
    .get("/docs/:asset", async (c) => {
      const a = assets[c.req.param("asset")];
      if (!a) throw new AppError(404, "not_found", "No such documentation asset");
      a.body ??= await Deno.readFile(`${dir}/${a.file}`);
      return c.body(a.body as Uint8Array<ArrayBuffer>, 200, {
        "Content-Type": a.type,
        "Cache-Control": "public, max-age=86400",
      });
    });
}
