import { listEvents } from "../../audit/audit.ts";
import type { AppRouteHandler } from "../../http/router.ts";
import type { ListRoute } from "./audit.routes.ts";

export const list: AppRouteHandler<ListRoute> = async (c) => {
  const page = await listEvents(c.get("deps"), { org: c.get("org") }, c.req.valid("query"));
  const items = page.items.map((e) => ({ ...e, at: e.at.toISOString() }));
  return c.json({ items, nextCursor: page.nextCursor }, 200);
};
