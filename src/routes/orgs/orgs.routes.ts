/** Organization routes (docs/api.md, "Routes"). */
import { createRoute, z } from "@hono/zod-openapi";
import { auth, noKeys, optionalAuth, orgScope, role } from "../../http/access.ts";
import {
  bearer,
  Email,
  errors,
  Id,
  json,
  jsonBody,
  optionalBearer,
  OrgName,
  OrgSchema,
  Password,
  SlugParams,
} from "../../http/schemas.ts";

export const create = createRoute({
  method: "post",
  path: "/v1/orgs",
  operationId: "createOrg",
  tags: ["orgs"],
  summary: "Create an organization, its database and its owner",
  description: "Signed in (a bearer token): the signed-in user owns the new org and the body " +
    "is `{ name }` alone (`admin` is 400); this is how an existing user adds an org. Not " +
    "signed in: `admin` creates a new user; an email that already belongs to a user is 409 " +
    "`email_taken` (sign in, then create the org), and no existing user's password is ever " +
    "checked here. Creation is limited (ORG_CREATE_LIMIT per hour, 429 with Retry-After): " +
    "unauthenticated per client address (IPv6 per /64), signed in per user (operators " +
    "exempt); a full password-hashing queue is 503 `overloaded`. Two " +
    "names that give the same slug conflict (409 `org_exists`). With ORG_CREATION=operators, " +
    "403 for all but operators. An operator (platform role) sends `{ name, admin: { email }, " +
    "cluster? }`: the org is created on the named deployment (else the one with the fewest " +
    "orgs) with no member yet, and the answer carries `invitation` (its `token` shown once) for " +
    "`admin.email` to become its owner (POST /v1/invitations/accept). Only operators name a " +
    "`cluster` (403 otherwise; 400 for an unknown one).",
  security: optionalBearer,
  middleware: [optionalAuth, noKeys] as const,
  request: jsonBody(z.strictObject({
    name: OrgName,
    admin: z.strictObject({ email: Email, password: Password.optional() }).optional().openapi({
      description: "The new owner, with a password; required without a bearer token, refused " +
        "with one, except from an operator, who sends `{ email }` alone (an invitation)",
    }),
    cluster: z.string().min(1).max(64).optional().openapi({
      description: "Operators only: the deployment for the org's database",
    }),
  })),
  responses: {
    201: json(
      z.object({
        org: OrgSchema,
        admin: z.object({ id: Id, email: z.string() }).optional().openapi({
          description: "The owner (absent for an operator's org, which has `invitation`)",
        }),
        invitation: z.object({
          id: Id,
          email: z.string(),
          role: z.literal("owner"),
          expiresAt: z.string().openapi({ format: "date-time" }),
          token: z.string().openapi({ description: "Shown once; only its hash is stored" }),
        }).optional().openapi({
          description: "An operator's org: the invitation of its first owner",
        }),
      }),
      "Created; the org's database exists with its collections and indexes",
    ),
    ...errors(400, 401, 403, 409, 413, 415, 429),
  },
});

export const get = createRoute({
  method: "get",
  path: "/v1/orgs/{slug}",
  operationId: "getOrg",
  tags: ["orgs"],
  summary: "Get an organization (public fields; members of it also see theirs)",
  description: "Anyone may call it. With a valid token for this org, the member fields are " +
    "included. An invalid token is 401, not silently ignored; an API key is 403 " +
    "`insufficient_scope`.",
  security: optionalBearer,
  middleware: [optionalAuth, noKeys] as const,
  request: { params: SlugParams },
  responses: { 200: json(OrgSchema, "The organization"), ...errors(400, 401, 403, 404) },
});

export const patch = createRoute({
  method: "patch",
  path: "/v1/orgs/{slug}",
  operationId: "renameOrg",
  tags: ["orgs"],
  summary: "Rename an organization (owner or admin)",
  description: "Name and slug change together; the old slug is 404 afterwards. The org's " +
    "database is named by its immutable id, so no data moves.",
  security: bearer,
  middleware: [auth, orgScope, noKeys, role("owner", "admin")] as const,
  request: { params: SlugParams, ...jsonBody(z.strictObject({ name: OrgName })) },
  responses: {
    200: json(OrgSchema, "The renamed organization"),
    ...errors(400, 401, 403, 404, 409, 413, 415),
  },
});

export const remove = createRoute({
  method: "delete",
  path: "/v1/orgs/{slug}",
  operationId: "deleteOrg",
  tags: ["orgs"],
  summary: "Delete an organization (owner)",
  description: "Drops its database and removes its memberships, invitations and sessions; " +
    "every token scoped to it stops working at once.",
  security: bearer,
  middleware: [auth, orgScope, noKeys, role("owner")] as const,
  request: { params: SlugParams },
  responses: { 204: { description: "Deleted" }, ...errors(400, 401, 403, 404) },
});

export type CreateRoute = typeof create;
export type GetRoute = typeof get;
export type PatchRoute = typeof patch;
export type RemoveRoute = typeof remove;
