/** Members of an org (docs/api.md, "Routes"). */
import { createRoute, z } from "@hono/zod-openapi";
import { auth, noKeys, orgScope, scope } from "../../http/access.ts";
import {
  bearer,
  DateTime,
  errors,
  Id,
  json,
  jsonBody,
  pageOf,
  PageQuery,
  pathParam,
  Role,
  Slug,
  SlugParams,
} from "../../http/schemas.ts";

const MemberParams = z.object({
  slug: Slug,
  userId: pathParam("userId", 64, "6745f1c2a9e4b1d2c3f4a5b6"),
});

export const MemberSchema = z.object({
  userId: Id,
  email: z.string(),
  role: Role,
  joinedAt: DateTime,
}).openapi("Member");

export const list = createRoute({
  method: "get",
  path: "/v1/orgs/{slug}/members",
  operationId: "listMembers",
  tags: ["members"],
  summary: "List members (any member), in join order",
  security: bearer,
  middleware: [auth, orgScope, scope("members:read")] as const,
  request: { params: SlugParams, query: PageQuery },
  responses: {
    200: json(pageOf(MemberSchema), "A page of members"),
    ...errors(400, 401, 403, 404),
  },
});

export const patch = createRoute({
  method: "patch",
  path: "/v1/orgs/{slug}/members/{userId}",
  operationId: "changeMemberRole",
  tags: ["members"],
  summary: "Change a member's role",
  description: "Owners make any change; admins move people between member and admin only. " +
    "Demoting the last owner is 409 `last_owner`. Takes effect for the member's existing " +
    "tokens at once on this instance and within 5 seconds on every other.",
  security: bearer,
  middleware: [auth, orgScope, noKeys] as const,
  request: { params: MemberParams, ...jsonBody(z.strictObject({ role: Role })) },
  responses: {
    200: json(MemberSchema, "The member"),
    ...errors(400, 401, 403, 404, 409, 413, 415),
  },
});

export const remove = createRoute({
  method: "delete",
  path: "/v1/orgs/{slug}/members/{userId}",
  operationId: "removeMember",
  tags: ["members"],
  summary: "Remove a member (owner or admin), or leave (the member itself)",
  description: "Admins cannot remove owners. The last owner cannot leave (409 `last_owner`). " +
    "The member's sessions in this org are revoked.",
  security: bearer,
  middleware: [auth, orgScope, noKeys] as const,
  request: { params: MemberParams },
  responses: { 204: { description: "Removed" }, ...errors(400, 401, 403, 404, 409) },
});

export type ListRoute = typeof list;
export type PatchRoute = typeof patch;
export type RemoveRoute = typeof remove;
