import { createOrgAs, deleteOwnOrg, renameOwnOrg, viewOrg } from "../../access/org-flows.ts";
import { callerOf, scopeOf } from "../../http/context.ts";
import type { AppRouteHandler } from "../../http/router.ts";
import { memberOrg, publicOrg } from "../../http/schemas.ts";
import type { CreateRoute, GetRoute, PatchRoute, RemoveRoute } from "./orgs.routes.ts";

export const create: AppRouteHandler<CreateRoute> = async (c) => {
  const created = await createOrgAs(c.get("deps"), callerOf(c), c.req.valid("json"));
  if (created.invitation) {
    const { org, invitation } = created;
    return c.json({
      org: memberOrg({ org, role: "owner", memberCount: 0 }),
      invitation: { ...invitation, expiresAt: invitation.expiresAt.toISOString() },
    }, 201);
  }
  const { org, admin } = created;
  return c.json({ org: memberOrg({ org, role: "owner", memberCount: 1 }), admin }, 201);
};

export const get: AppRouteHandler<GetRoute> = async (c) => {
  // Only the caller is needed: no request context (its client address) for a read.
  const caller = { actor: c.get("principal") };
  const { org, member } = await viewOrg(c.get("deps"), caller, c.req.valid("param"));
  return c.json(member ? memberOrg(member) : publicOrg(org), 200);
};

export const patch: AppRouteHandler<PatchRoute> = async (c) => {
  return c.json(memberOrg(await renameOwnOrg(c.get("deps"), scopeOf(c), c.req.valid("json"))), 200);
};

export const remove: AppRouteHandler<RemoveRoute> = async (c) => {
  await deleteOwnOrg(c.get("deps"), { org: c.get("org") });
  return c.body(null, 204);
};
