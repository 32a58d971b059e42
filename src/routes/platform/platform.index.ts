import { publicAccess } from "../../http/access.ts";
import { createRouter } from "../../http/router.ts";
import * as handlers from "./platform.handlers.ts";
import * as routes from "./platform.routes.ts";

export const platformRouter = createRouter()
  .openapi(routes.health, handlers.health)
  .openapi(routes.ready, handlers.ready);

/** Swagger UI: static routes (not in the OpenAPI document), which keep Hono on its fastest router. */
export const docsRouter = createRouter()
  .get("/docs", publicAccess, handlers.docsPage)
  .get("/docs/init.js", publicAccess, handlers.docsInit)
  .get(
    "/docs/swagger-ui.css",
    publicAccess,
    handlers.docsAsset("swagger-ui.css", "text/css; charset=utf-8"),
  )
  .get(
    "/docs/swagger-ui-bundle.js",
    publicAccess,
    handlers.docsAsset("swagger-ui-bundle.js", "text/javascript; charset=utf-8"),
  );
