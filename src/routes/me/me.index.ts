import { createRouter } from "../../http/router.ts";
import * as handlers from "./me.handlers.ts";
import * as routes from "./me.routes.ts";

export const meRouter = createRouter()
  .openapi(routes.me, handlers.me)
  .openapi(routes.password, handlers.password)
  .openapi(routes.emailVerification, handlers.emailVerification);
