import { createRouter } from "../../http/router.ts";
import * as handlers from "./webhooks.handlers.ts";
import * as routes from "./webhooks.routes.ts";

export const webhooksRouter = createRouter()
  .openapi(routes.create, handlers.create)
  .openapi(routes.list, handlers.list)
  .openapi(routes.patch, handlers.patch)
  .openapi(routes.remove, handlers.remove)
  .openapi(routes.test, handlers.test)
  .openapi(routes.deliveries, handlers.deliveries)
  .openapi(routes.retry, handlers.retry);
