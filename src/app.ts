/**
 * The Hono app, built from its dependencies. `AppType` carries every chained route, so
 * `hc<AppType>` (src/client.ts) is typed end to end.
 */
import type { Deps } from "./platform/deps.ts";
import { AppError } from "./platform/errors.ts";
import { provideDeps } from "./http/access.ts";
import { accessLog, baseHeaders, bodyLimit } from "./http/middleware.ts";
import { problem, toAppError } from "./http/problem.ts";
import { createRouter } from "./http/router.ts";
import { authRoutes } from "./routes/auth.ts";
import { collectionRoutes } from "./routes/collections/collections.index.ts";
import { compatRoutes } from "./routes/compat.ts";
import { consoleRoutes } from "./routes/console.ts";
import { documentRoutes } from "./routes/documents/documents.index.ts";
import { memberRoutes } from "./routes/members.ts";
import { orgRoutes } from "./routes/orgs.ts";
import { docsRoutes, platformRoutes } from "./routes/platform.ts";

export const API_VERSION = "1.0.0";

export function createApp(deps: Deps) {
  const app = createRouter();
  // Each middleware pass is measurable on small responses: only what this process needs runs.
  app.use(baseHeaders());
  // Access middleware declared on routes (src/http/access.ts) read their dependencies here.
  app.use(provideDeps(deps));
  if (deps.log.enabled("info")) app.use(accessLog(deps.log));
  app.on(["POST", "PUT", "PATCH", "DELETE"], "*", bodyLimit(deps.config.bodyLimitBytes));
  app.onError((err, c) => problem(c, toAppError(err, deps.log, c.get("requestId"))));
  app.notFound((c) =>
    problem(c, new AppError(404, "not_found", `No route for ${c.req.method} ${c.req.path}`))
  );

  app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
    description: "An access token from POST /v1/auth/login",
  });
  app.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: {
      title: "Organization management service",
      version: API_VERSION,
      description: "Multi-tenant organizations, each with its own MongoDB database. Every error " +
        "is RFC 9457 application/problem+json with a stable `code`.",
    },
  });

  const routes = app
    .route("/", platformRoutes(deps))
    .route("/", orgRoutes(deps))
    .route("/", authRoutes(deps))
    .route("/", memberRoutes(deps))
    .route("/", compatRoutes(deps))
    .route("/", collectionRoutes())
    .route("/", documentRoutes());
  app.route("/", docsRoutes());
  app.route("/", consoleRoutes(deps));
  return routes;
}

export type AppType = ReturnType<typeof createApp>;
