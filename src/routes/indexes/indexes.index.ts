import { createRouter } from "../../http/router.ts";
import * as handlers from "./indexes.handlers.ts";
import * as routes from "./indexes.routes.ts";

export const indexRoutes = () =>
  createRouter()
    .openapi(routes.list, handlers.list)
    .openapi(routes.create, handlers.create)
    .openapi(routes.drop, handlers.drop);
