import { createRouter } from "../../http/router.ts";
import * as handlers from "./documents.handlers.ts";
import * as routes from "./documents.routes.ts";

/** `batch` and `count` come before `{documentId}` so those words are never read as ids. */
export const documentRoutes = () =>
  createRouter()
    .openapi(routes.insert, handlers.insert)
    .openapi(routes.batch, handlers.batch)
    .openapi(routes.count, handlers.count)
    .openapi(routes.list, handlers.list)
    .openapi(routes.aggregate, handlers.aggregate)
    .openapi(routes.get, handlers.get)
    .openapi(routes.replace, handlers.replace)
    .openapi(routes.patch, handlers.patch)
    .openapi(routes.remove, handlers.remove);
