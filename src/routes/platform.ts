/** Platform routes: liveness, readiness and the API documentation. */
import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import getAbsoluteFSPath from "swagger-ui-dist/absolute-path.js";
import { pingAll } from "../platform/db.ts";
import type { Deps } from "../platform/deps.ts";
import { AppError } from "../platform/errors.ts";
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

// No validator badge: it would send the document to an outside service (and needs internet).
const DOCS_INIT = `window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#swagger-ui", ` +
  `validatorUrl: null });\n`;

/**
 * Swagger UI, served from the swagger-ui-dist package (no CDN, so it renders offline). Only the
 * package's path helper is imported (not its 1.7 MB bundle); the two assets are read once, on
 * first use. Static routes keep Hono on its fastest router.
 */
export function docsRoutes() {
  const dir = getAbsoluteFSPath();
  const asset = (file: string, type: string) => {
    let body: Promise<Uint8Array<ArrayBuffer>> | undefined;
    return async (c: Context) => {
      body ??= Deno.readFile(`${dir}/${file}`);
      return c.body(await body, 200, {
        "Content-Type": type,
        "Cache-Control": "public, max-age=86400",
      });
    };
  };
  return createRouter()
    .get("/docs", (c) => c.html(DOCS_HTML))
    .get("/docs/init.js", (c) => c.body(DOCS_INIT, 200, { "Content-Type": "text/javascript" }))
    .get("/docs/swagger-ui.css", asset("swagger-ui.css", "text/css; charset=utf-8"))
    .get(
      "/docs/swagger-ui-bundle.js",
      asset("swagger-ui-bundle.js", "text/javascript; charset=utf-8"),
    );
}
