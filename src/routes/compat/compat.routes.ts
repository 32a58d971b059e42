/**
 * The original service's contract (docs/api.md, "Routes"): thin adapters over the same
 * domain functions, cached lookups and policies as v1, deprecated in the OpenAPI document. `organization_name` is matched through
 * its slug, so "Acme Corp", "acme corp" and "acme-corp" name the same org.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { auth, noKeys, publicAccess, sessionsOnly } from "../../http/access.ts";
import { noStore } from "../../http/middleware.ts";
import {
  AnyPassword,
  bearer,
  Email,
  errors,
  json,
  jsonBody,
  Password,
} from "../../http/schemas.ts";

const Name = z.string().min(1).max(200);

export const CompatOrg = z.object({
  id: z.string(),
  organization_name: z.string(),
  database_name: z.string(),
  admin_id: z.string(),
});

const DEPRECATED = { deprecated: true, tags: ["compatibility"] };

export const create = createRoute({
  ...DEPRECATED,
  method: "post",
  path: "/org/create",
  operationId: "compatCreateOrg",
  middleware: [publicAccess] as const,
  summary: "Create an organization (original contract; use POST /v1/orgs)",
  description: "400 with code `org_exists` when the name exists, and with code `email_taken` " +
    "when the email belongs to a user (who signs in and uses POST /v1/orgs); no existing " +
    "user's password is checked. Limited per client address like POST /v1/orgs (429); 403 " +
    "with ORG_CREATION=operators.",
  request: jsonBody(z.strictObject({ organization_name: Name, email: Email, password: Password })),
  responses: {
    201: json(z.object({ message: z.string(), organization: CompatOrg }), "Created"),
    ...errors(400, 403, 413, 415, 429),
  },
});

export const get = createRoute({
  ...DEPRECATED,
  method: "get",
  path: "/org/get",
  operationId: "compatGetOrg",
  middleware: [publicAccess] as const,
  summary: "Get an organization by name (original contract; use GET /v1/orgs/{slug})",
  request: { query: z.strictObject({ organization_name: Name }) },
  responses: { 200: json(CompatOrg, "The organization"), ...errors(400, 404) },
});

export const update = createRoute({
  ...DEPRECATED,
  method: "put",
  path: "/org/update",
  operationId: "compatUpdateOrg",
  summary: "Rename an organization (original contract; use PATCH /v1/orgs/{slug})",
  description: "403 for another org's name; 400 with code `org_exists` when the new name exists.",
  security: bearer,
  middleware: [auth, noKeys] as const,
  request: jsonBody(z.strictObject({ organization_name: Name, new_organization_name: Name })),
  responses: {
    200: json(
      z.object({ message: z.string(), organization_name: z.string(), database_name: z.string() }),
      "Renamed",
    ),
    ...errors(400, 401, 403, 404, 413, 415),
  },
});

export const remove = createRoute({
  ...DEPRECATED,
  method: "delete",
  path: "/org/delete",
  operationId: "compatDeleteOrg",
  summary: "Delete an organization (original contract; use DELETE /v1/orgs/{slug})",
  security: bearer,
  middleware: [auth, noKeys] as const,
  request: jsonBody(z.strictObject({ organization_name: Name })),
  responses: {
    200: json(z.object({ message: z.string() }), "Deleted"),
    ...errors(400, 401, 403, 404, 413, 415),
  },
});

export const login = createRoute({
  ...DEPRECATED,
  method: "post",
  path: "/admin/login",
  operationId: "compatAdminLogin",
  middleware: [publicAccess, sessionsOnly, noStore] as const,
  summary: "Sign in (original contract; use POST /v1/auth/login)",
  description: "A user in several orgs is signed into the one they joined first. Throttled " +
    "like POST /v1/auth/login (429).",
  request: jsonBody(z.strictObject({ email: Email, password: AnyPassword })),
  responses: {
    200: json(z.object({ access_token: z.string(), token_type: z.literal("bearer") }), "Signed in"),
    ...errors(400, 401, 403, 413, 415, 429),
  },
});

export type CreateRoute = typeof create;
export type GetRoute = typeof get;
export type UpdateRoute = typeof update;
export type RemoveRoute = typeof remove;
export type LoginRoute = typeof login;
