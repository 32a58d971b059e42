import {
  acceptInvitation,
  cancelInvitation,
  invite,
  listInvitations,
  previewInvitation,
} from "../../access/invitation-flows.ts";
import type { Invitation } from "../../identity/invitations.ts";
import { callerOf, scopeOf } from "../../http/context.ts";
import type { AppRouteHandler } from "../../http/router.ts";
import type {
  AcceptRoute,
  CreateRoute,
  ListRoute,
  PreviewRoute,
  RemoveRoute,
} from "./invitations.routes.ts";

const invitationView = (i: Invitation) => ({
  id: i.id,
  email: i.email,
  role: i.role,
  createdAt: i.createdAt.toISOString(),
  expiresAt: i.expiresAt.toISOString(),
});

export const create: AppRouteHandler<CreateRoute> = async (c) => {
  const { invitation, token } = await invite(c.get("deps"), scopeOf(c), c.req.valid("json"));
  return c.json({ ...invitationView(invitation), token }, 201);
};

export const list: AppRouteHandler<ListRoute> = async (c) => {
  const page = await listInvitations(c.get("deps"), { org: c.get("org") }, c.req.valid("query"));
  return c.json({ items: page.items.map(invitationView), nextCursor: page.nextCursor }, 200);
};

export const remove: AppRouteHandler<RemoveRoute> = async (c) => {
  await cancelInvitation(c.get("deps"), scopeOf(c), c.req.valid("param"));
  return c.body(null, 204);
};

export const accept: AppRouteHandler<AcceptRoute> = async (c) => {
  return c.json(await acceptInvitation(c.get("deps"), callerOf(c), c.req.valid("json")), 200);
};

export const preview: AppRouteHandler<PreviewRoute> = async (c) => {
  const p = await previewInvitation(c.get("deps"), c.req.valid("json"));
  return c.json({ ...p, expiresAt: p.expiresAt.toISOString() }, 200);
};
