import { createRouter } from "../../http/router.ts";
import * as handlers from "./members.handlers.ts";
import * as routes from "./members.routes.ts";

export const membersRouter = createRouter()
  .openapi(routes.list, handlers.list)
  .openapi(routes.patch, handlers.patch)
  .openapi(routes.remove, handlers.remove);
