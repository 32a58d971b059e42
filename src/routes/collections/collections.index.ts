import { createRouter } from "../../http/router.ts";
import * as handlers from "./collections.handlers.ts";
import * as routes from "./collections.routes.ts";

export const collectionRoutes = () =>
  createRouter()
    .openapi(routes.list, handlers.list)
    .openapi(routes.create, handlers.create)
    .openapi(routes.drop, handlers.drop);
