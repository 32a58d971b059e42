import { createRouter } from "../../http/router.ts";
import * as handlers from "./compat.handlers.ts";
import * as routes from "./compat.routes.ts";

export const compatRouter = createRouter()
  .openapi(routes.create, handlers.create)
  .openapi(routes.get, handlers.get)
  .openapi(routes.update, handlers.update)
  .openapi(routes.remove, handlers.remove)
  .openapi(routes.login, handlers.login);
