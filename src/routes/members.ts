/** Members, invitations and the audit log of an org (API.md, "Members and invitations", "Audit"). */
import { createRoute, z } from "@hono/zod-openapi";
import { AUDIT_EVENTS, listEvents } from "../audit/audit.ts";
import type { Deps } from "../platform/deps.ts";
import { authenticate, requireAuth, requireRole } from "../http/authenticate.ts";
import { requestContext } from "../http/context.ts";
import { createRouter } from "../http/router.ts";
import {
  bearer,
  decodeCursor,
  Email,
  errors,
  Id,
  json,
  jsonBody,
  page,
  pageOf,
  PageQuery,
  Password,
  Role,
  Slug,
  TokenPairSchema,
} from "../http/schemas.ts";
import { type Invitation, pendingPage } from "../identity/invitations.ts";
import type { Membership } from "../identity/memberships.ts";
import {
  acceptInvitation,
  cancelInvitation,
  changeRole,
  invite,
  listMembers,
  removeMember,
} from "../access/members.ts";
import { findOrgById } from "../tenants/orgs.ts";
import { orgOfPrincipal } from "./orgs.ts";

const SlugParams = z.object({ slug: Slug });
const MemberParams = z.object({ slug: Slug, userId: z.string().max(64) });
const InvitationParams = z.object({ slug: Slug, id: z.string().max(64) });

const MemberSchema = z.object({
  userId: Id,
  email: z.string(),
  role: Role,
  joinedAt: z.string().openapi({ format: "date-time" }),
}).openapi("Member");

const InvitationSchema = z.object({
  id: Id,
  email: z.string(),
  role: Role,
  createdAt: z.string().openapi({ format: "date-time" }),
  expiresAt: z.string().openapi({ format: "date-time" }),
}).openapi("Invitation");

const AuditEventSchema = z.object({
  id: Id,
  type: z.enum(AUDIT_EVENTS),
  at: z.string().openapi({ format: "date-time" }),
  actor: z.object({ userId: z.string().nullable(), email: z.string().nullable() }),
  target: z.record(z.string(), z.string()).nullable(),
  requestId: z.string().nullable(),
  ip: z.string(),
}).openapi("AuditEvent");

const listMembersRoute = createRoute({
  method: "get",
  path: "/v1/orgs/{slug}/members",
  tags: ["members"],
  summary: "List members (any member), in join order",
  security: bearer,
  request: { params: SlugParams, query: PageQuery },
  responses: {
    200: json(pageOf(MemberSchema), "A page of members"),
    ...errors(400, 401, 403, 404),
  },
});

const patchMemberRoute = createRoute({
  method: "patch",
  path: "/v1/orgs/{slug}/members/{userId}",
  tags: ["members"],
  summary: "Change a member's role",
  description: "Owners make any change; admins move people between member and admin only. " +
    "Demoting the last owner is 409 `last_owner`. Takes effect for the member's existing " +
    "tokens at once on this instance and within 5 seconds on every other.",
  security: bearer,
  request: { params: MemberParams, ...jsonBody(z.strictObject({ role: Role })) },
  responses: { 200: json(MemberSchema, "The member"), ...errors(400, 401, 403, 404, 409) },
});

const deleteMemberRoute = createRoute({
  method: "delete",
  path: "/v1/orgs/{slug}/members/{userId}",
  tags: ["members"],
  summary: "Remove a member (owner or admin), or leave (the member itself)",
  description: "Admins cannot remove owners. The last owner cannot leave (409 `last_owner`). " +
    "The member's sessions in this org are revoked.",
  security: bearer,
  request: { params: MemberParams },
  responses: { 204: { description: "Removed" }, ...errors(400, 401, 403, 404, 409) },
});

const createInvitationRoute = createRoute({
  method: "post",
  path: "/v1/orgs/{slug}/invitations",
  tags: ["members"],
  summary: "Invite someone by email (owner or admin)",
  description: "The token is in this response only; just its hash is stored. It works once " +
    "and expires (INVITATION_TTL_DAYS, default 7). A new invitation to the same email revokes " +
    "the earlier pending one. Inviting a member is 409 `already_member`; only owners invite owners.",
  security: bearer,
  request: { params: SlugParams, ...jsonBody(z.strictObject({ email: Email, role: Role })) },
  responses: {
    201: json(InvitationSchema.extend({ token: z.string() }), "Invited"),
    ...errors(400, 401, 403, 404, 409),
  },
});

const listInvitationsRoute = createRoute({
  method: "get",
  path: "/v1/orgs/{slug}/invitations",
  tags: ["members"],
  summary: "List pending invitations (owner or admin); tokens are never shown again",
  security: bearer,
  request: { params: SlugParams, query: PageQuery },
  responses: { 200: json(pageOf(InvitationSchema), "A page"), ...errors(400, 401, 403, 404) },
});

const deleteInvitationRoute = createRoute({
  method: "delete",
  path: "/v1/orgs/{slug}/invitations/{id}",
  tags: ["members"],
  summary: "Revoke a pending invitation (owner or admin)",
  security: bearer,
  request: { params: InvitationParams },
  responses: { 204: { description: "Revoked" }, ...errors(400, 401, 403, 404) },
});

const acceptRoute = createRoute({
  method: "post",
  path: "/v1/invitations/accept",
  tags: ["members"],
  summary: "Accept an invitation",
  description: "A new email: `password` creates the user. An email that already belongs to a " +
    "user: the request must carry that user's bearer token (401 `sign_in_required` without " +
    "one, 403 with another user's); no password is checked. An unknown, used, revoked or " +
    "expired token, or one whose inviter may no longer grant its role, is 404 " +
    "`invitation_not_found`.",
  security: [{}, ...bearer],
  request: jsonBody(z.strictObject({
    token: z.string().min(1).max(100),
    password: Password.optional().openapi({ description: "A new user's password" }),
  })),
  responses: {
    200: json(TokenPairSchema, "Joined; a token pair for the org"),
    ...errors(400, 401, 403, 404, 409),
  },
});

const auditRoute = createRoute({
  method: "get",
  path: "/v1/orgs/{slug}/audit",
  tags: ["audit"],
  summary: "The org's audit log, newest first (owner or admin)",
  security: bearer,
  request: { params: SlugParams, query: PageQuery },
  responses: {
    200: json(pageOf(AuditEventSchema), "A page of events"),
    ...errors(400, 401, 403, 404),
  },
});

const iso = (d: Date) => d.toISOString();

const memberView = (m: Membership & { email: string }) => ({
  userId: m.userId,
  email: m.email,
  role: m.role,
  joinedAt: iso(m.joinedAt),
});

const invitationView = (i: Invitation) => ({
  id: i.id,
  email: i.email,
  role: i.role,
  createdAt: iso(i.createdAt),
  expiresAt: iso(i.expiresAt),
});

export function memberRoutes(deps: Deps) {
  const ctx = (c: Parameters<typeof requestContext>[0]) =>
    requestContext(c, deps.config.trustedProxies);
  const router = createRouter();
  const auth = requireAuth(deps);
  for (
    const path of [
      "/v1/orgs/:slug/members",
      "/v1/orgs/:slug/members/*",
      "/v1/orgs/:slug/invitations",
      "/v1/orgs/:slug/invitations/*",
      "/v1/orgs/:slug/audit",
    ]
  ) {
    router.use(path, auth);
  }
  return router
    .openapi(listMembersRoute, async (c) => {
      const org = await orgOfPrincipal(deps, c.req.valid("param").slug, c.get("principal"));
      const { limit, cursor } = c.req.valid("query");
      const rows = await listMembers(deps, org, limit + 1, decodeCursor(cursor));
      return c.json(page(rows, limit, memberView), 200);
    })
    .openapi(patchMemberRoute, async (c) => {
      const { slug, userId } = c.req.valid("param");
      const org = await orgOfPrincipal(deps, slug, c.get("principal"));
      const m = await changeRole(
        deps,
        org,
        c.get("principal"),
        userId,
        c.req.valid("json").role,
        ctx(c),
      );
      return c.json(memberView(m), 200);
    })
    .openapi(deleteMemberRoute, async (c) => {
      const { slug, userId } = c.req.valid("param");
      const org = await orgOfPrincipal(deps, slug, c.get("principal"));
      await removeMember(deps, org, c.get("principal"), userId, ctx(c));
      return c.body(null, 204);
    })
    .openapi(createInvitationRoute, async (c) => {
      const org = await orgOfPrincipal(deps, c.req.valid("param").slug, c.get("principal"));
      const { invitation, token } = await invite(
        deps,
        org,
        c.get("principal"),
        c.req.valid("json"),
        ctx(c),
      );
      return c.json({ ...invitationView(invitation), token }, 201);
    })
    .openapi(listInvitationsRoute, async (c) => {
      const p = c.get("principal");
      const org = await orgOfPrincipal(deps, c.req.valid("param").slug, p);
      requireRole(p, ["owner", "admin"]);
      const { limit, cursor } = c.req.valid("query");
      const rows = await pendingPage(
        deps.db.master,
        org.id,
        deps.now(),
        limit + 1,
        decodeCursor(cursor),
      );
      return c.json(page(rows, limit, invitationView), 200);
    })
    .openapi(deleteInvitationRoute, async (c) => {
      const { slug, id } = c.req.valid("param");
      const org = await orgOfPrincipal(deps, slug, c.get("principal"));
      await cancelInvitation(deps, org, c.get("principal"), id, ctx(c));
      return c.body(null, 204);
    })
    .openapi(acceptRoute, async (c) => {
      const header = c.req.header("Authorization");
      const pair = await acceptInvitation(
        deps,
        c.req.valid("json"),
        header ? await authenticate(deps, header) : null,
        ctx(c),
        (id) => findOrgById(deps.db.master, id),
      );
      return c.json(pair, 200);
    })
    .openapi(auditRoute, async (c) => {
      const p = c.get("principal");
      const org = await orgOfPrincipal(deps, c.req.valid("param").slug, p);
      requireRole(p, ["owner", "admin"]);
      const { limit, cursor } = c.req.valid("query");
      const rows = await listEvents(
        deps.db.tenantDb(org),
        deps.now(),
        limit + 1,
        decodeCursor(cursor),
      );
      return c.json(page(rows, limit, (e) => ({ ...e, at: iso(e.at) })), 200);
    });
}
