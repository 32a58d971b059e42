import { changeRole, listMembers, type Member, removeMember } from "../../access/member-flows.ts";
import { scopeOf } from "../../http/context.ts";
import type { AppRouteHandler } from "../../http/router.ts";
import type { ListRoute, PatchRoute, RemoveRoute } from "./members.routes.ts";

const memberView = (m: Member) => ({
  userId: m.userId,
  email: m.email,
  role: m.role,
  joinedAt: m.joinedAt.toISOString(),
});

export const list: AppRouteHandler<ListRoute> = async (c) => {
  const page = await listMembers(c.get("deps"), { org: c.get("org") }, c.req.valid("query"));
  return c.json({ items: page.items.map(memberView), nextCursor: page.nextCursor }, 200);
};

export const patch: AppRouteHandler<PatchRoute> = async (c) => {
  const { userId } = c.req.valid("param");
  const { role } = c.req.valid("json");
  return c.json(memberView(await changeRole(c.get("deps"), scopeOf(c), { userId, role })), 200);
};

export const remove: AppRouteHandler<RemoveRoute> = async (c) => {
  await removeMember(c.get("deps"), scopeOf(c), c.req.valid("param"));
  return c.body(null, 204);
};
