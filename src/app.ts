/**
 * The Hono app, built from its dependencies. `AppType` carries every chained route, so
 * `hc<AppType>` (src/client.ts) is typed end to end.
 */
import type { Deps } from "./platform/deps.ts";
import { Hono } from "hono";
import { noRoute, unavailable } from "./platform/errors.ts";
import type { AppEnv } from "./http/env.ts";
import { provideDeps, publicAccess } from "./http/access.ts";
import { accessLog, baseHeaders, bodyLimit, cors } from "./http/middleware.ts";
import { problem, toAppError } from "./http/problem.ts";
import { createRouter } from "./http/router.ts";
import { TAGS } from "./http/schemas.ts";
import { adminRouter } from "./routes/admin/admin.index.ts";
import { apiKeysRouter } from "./routes/api-keys/api-keys.index.ts";
import { auditRouter } from "./routes/audit/audit.index.ts";
import { authRouter } from "./routes/auth/auth.index.ts";
import { compatRouter } from "./routes/compat/compat.index.ts";
import { invitationsRouter } from "./routes/invitations/invitations.index.ts";
import { meRouter } from "./routes/me/me.index.ts";
import { membersRouter } from "./routes/members/members.index.ts";
import { orgsRouter } from "./routes/orgs/orgs.index.ts";
import { docsRouter, platformRouter } from "./routes/platform/platform.index.ts";
import { collectionRoutes } from "./routes/collections/collections.index.ts";
import { indexRoutes } from "./routes/indexes/indexes.index.ts";
import { consoleRoutes } from "./routes/console/console.index.ts";
import { documentRoutes } from "./routes/documents/documents.index.ts";
import { webhooksRouter } from "./routes/webhooks/webhooks.index.ts";

export const API_VERSION = "1.0.0";
/** The error codes of the catalogue, for the typed client's `Problem` (src/client-problem.ts). */
export type { ErrorCode } from "./platform/errors.ts";

/**
 * What every answer passes through, first: the request id and security headers, the deps, the
 * access log, CORS. Every middleware pass costs a share of a small response: only what this
 * process needs runs.
 */
function useFront(app: Hono<AppEnv>, deps: Deps) {
  app.use(baseHeaders());
  // Handlers and the access middleware declared on routes (src/http/access.ts) read `c.get("deps")`.
  app.use(provideDeps(deps));
  if (deps.log.enabled("info")) app.use(accessLog(deps.log));
  // Before anything that can answer (the body limit, the routes, the error handlers), so that
  // every answer to an allowed origin carries its CORS headers.
  if (deps.config.corsOrigins.length) app.use(cors(deps.config.corsOrigins));
}

export function createApp(deps: Deps) {
  const app = createRouter();
  useFront(app, deps);
  app.on(["POST", "PUT", "PATCH", "DELETE"], "*", bodyLimit(deps.config.bodyLimitBytes));
  app.onError((err, c) => problem(c, toAppError(err, deps.log, c.get("requestId"))));
  app.notFound((c) => problem(c, noRoute(c.req.method, c.req.path)));

  app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
    description: "An access token from POST /v1/auth/login, or an org's API key (`osk_...`, " +
      "POST /v1/orgs/{slug}/api-keys) on the routes whose key scope covers them",
  });
  const document = {
    openapi: "3.1.0",
    servers: [{ url: "/", description: "The service that serves this document" }],
    tags: [...TAGS],
    info: {
      title: "Organization management service",
      version: API_VERSION,
      description: "Multi-tenant organizations, each with its own MongoDB database. Every error " +
        "is RFC 9457 application/problem+json with a stable `code`.",
    },
  };
  app.get("/openapi.json", publicAccess, (c) => c.json(app.getOpenAPI31Document(document), 200));

  const routes = app
    .route("/", platformRouter)
    .route("/", orgsRouter)
    .route("/", authRouter)
    .route("/", meRouter)
    .route("/", membersRouter)
    .route("/", invitationsRouter)
    .route("/", apiKeysRouter)
    .route("/", auditRouter)
    .route("/", webhooksRouter)
    .route("/", adminRouter)
    .route("/", compatRouter)
    .route("/", collectionRoutes())
    .route("/", indexRoutes())
    .route("/", documentRoutes());
  app.route("/", docsRouter);
  app.route("/", consoleRoutes(deps));
  return routes;
}

export type AppType = ReturnType<typeof createApp>;

/**
 * What answers while the process stops (src/http/drain.ts): 503 `unavailable` with
 * `Retry-After: 1` to every request, with the headers and the access-log line of any answer.
 */
export function createStoppingApp(deps: Deps) {
  const app = new Hono<AppEnv>();
  useFront(app, deps);
  app.all("*", (c) => problem(c, unavailable("The service is shutting down; retry shortly", 1)));
  return app;
}
