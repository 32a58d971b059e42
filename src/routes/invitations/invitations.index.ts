import { createRouter } from "../../http/router.ts";
import * as handlers from "./invitations.handlers.ts";
import * as routes from "./invitations.routes.ts";

export const invitationsRouter = createRouter()
  .openapi(routes.create, handlers.create)
  .openapi(routes.list, handlers.list)
  .openapi(routes.remove, handlers.remove)
  .openapi(routes.preview, handlers.preview)
  .openapi(routes.accept, handlers.accept);
