import { createRouter } from "../../http/router.ts";
import * as handlers from "./admin.handlers.ts";
import * as routes from "./admin.routes.ts";

export const adminRouter = createRouter()
  .openapi(routes.listOrgs, handlers.listOrgs)
  .openapi(routes.getOrg, handlers.getOrg)
  .openapi(routes.suspend, handlers.suspend)
  .openapi(routes.resume, handlers.resume)
  .openapi(routes.move, handlers.move)
  .openapi(routes.deployments, handlers.deployments)
  .openapi(routes.listJobs, handlers.listJobs)
  .openapi(routes.getJob, handlers.getJob);
