/** Invitations to an org, and accepting one (docs/api.md, "Routes"). */
import { createRoute, z } from "@hono/zod-openapi";
import {
  auth,
  noKeys,
  optionalAuth,
  orgScope,
  publicAccess,
  role,
  sessionsOnly,
} from "../../http/access.ts";
import { noStore } from "../../http/middleware.ts";
import {
  bearer,
  DateTime,
  Email,
  errors,
  Id,
  json,
  jsonBody,
  optionalBearer,
  pageOf,
  PageQuery,
  Password,
  pathParam,
  Role,
  Slug,
  SlugParams,
  TokenPairSchema,
} from "../../http/schemas.ts";

const InvitationParams = z.object({
  slug: Slug,
  id: pathParam("id", 64, "6745f1c2a9e4b1d2c3f4a5b6"),
});

export const InvitationSchema = z.object({
  id: Id,
  email: z.string(),
  role: Role,
  createdAt: DateTime,
  expiresAt: DateTime,
}).openapi("Invitation");

export const create = createRoute({
  method: "post",
  path: "/v1/orgs/{slug}/invitations",
  operationId: "createInvitation",
  tags: ["members"],
  summary: "Invite someone by email (owner or admin)",
  description: "The token is in this response only; just its hash is stored. It works once " +
    "and expires (INVITATION_TTL_DAYS, default 7). A new invitation to the same email revokes " +
    "the earlier pending one. Inviting a member is 409 `already_member`; only owners invite " +
    "owners. An org creates at most INVITATION_LIMIT invitations per hour (default 100; 429 " +
    "with Retry-After).",
  security: bearer,
  middleware: [auth, orgScope, noKeys] as const,
  request: { params: SlugParams, ...jsonBody(z.strictObject({ email: Email, role: Role })) },
  responses: {
    201: json(InvitationSchema.extend({ token: z.string() }), "Invited"),
    ...errors(400, 401, 403, 404, 409, 413, 415, 429),
  },
});

export const list = createRoute({
  method: "get",
  path: "/v1/orgs/{slug}/invitations",
  operationId: "listInvitations",
  tags: ["members"],
  summary: "List pending invitations (owner or admin); tokens are never shown again",
  security: bearer,
  middleware: [auth, orgScope, noKeys, role("owner", "admin")] as const,
  request: { params: SlugParams, query: PageQuery },
  responses: { 200: json(pageOf(InvitationSchema), "A page"), ...errors(400, 401, 403, 404) },
});

export const remove = createRoute({
  method: "delete",
  path: "/v1/orgs/{slug}/invitations/{id}",
  operationId: "revokeInvitation",
  tags: ["members"],
  summary: "Revoke a pending invitation (owner or admin)",
  security: bearer,
  middleware: [auth, orgScope, noKeys] as const,
  request: { params: InvitationParams },
  responses: { 204: { description: "Revoked" }, ...errors(400, 401, 403, 404) },
});

const InvitationToken = z.string().min(1).max(100);

export const InvitationPreviewSchema = z.object({
  org: z.object({ name: z.string(), slug: z.string() }),
  role: Role,
  email: z.string(),
  invitedBy: z.object({ email: z.string() }),
  expiresAt: DateTime,
}).openapi("InvitationPreview");

export const preview = createRoute({
  method: "post",
  path: "/v1/invitations/preview",
  operationId: "previewInvitation",
  tags: ["members"],
  summary: "What an invitation is: the org, the role, the invited email and who invited",
  description: "For the page that opens an invitation's link, before it asks for anything. " +
    "Only a valid pending invitation answers 200; an unknown, used, revoked or expired token, " +
    "or one whose inviter may no longer grant its role, is 404 `invitation_not_found`, the " +
    "same for every reason. Nothing is said about whether the invited email has an account. " +
    "The token goes in the body, never in a URL the server logs.",
  middleware: [publicAccess, noStore] as const,
  request: jsonBody(z.strictObject({ token: InvitationToken })),
  responses: {
    200: json(InvitationPreviewSchema, "The pending invitation"),
    ...errors(400, 404, 413, 415),
  },
});

export const accept = createRoute({
  method: "post",
  path: "/v1/invitations/accept",
  operationId: "acceptInvitation",
  tags: ["members"],
  summary: "Accept an invitation",
  description: "A new email: `password` creates the user. An email that already belongs to a " +
    "user: the request must carry that user's bearer token (401 `sign_in_required` without " +
    "one, 403 with another user's); no password is checked. The answer never tells whether " +
    "the email has an account: with neither a bearer token nor a `password` it is 401 " +
    "`sign_in_required` (sign in, or choose a password) for any email, and another user's " +
    "token is 403 for any email. An unknown, used, revoked or " +
    "expired token, or one whose inviter may no longer grant its role, is 404 " +
    "`invitation_not_found`. With REQUIRE_VERIFIED_EMAIL=1, a user whose address is not " +
    "verified (a new user through the token shown to the inviter) joins all the same, but the " +
    "answer is 403 `email_unverified` instead of tokens, with a verification mail: sign in once " +
    "it is verified.",
  security: optionalBearer,
  middleware: [optionalAuth, sessionsOnly, noStore] as const,
  request: jsonBody(z.strictObject({
    token: InvitationToken,
    password: Password.optional().openapi({ description: "A new user's password" }),
  })),
  responses: {
    200: json(TokenPairSchema, "Joined; a token pair for the org"),
    ...errors(400, 401, 403, 404, 409, 413, 415),
  },
});

export type CreateRoute = typeof create;
export type ListRoute = typeof list;
export type RemoveRoute = typeof remove;
export type AcceptRoute = typeof accept;
export type PreviewRoute = typeof preview;
