/** An org's API keys (docs/api-keys.md). */
import { createRoute, z } from "@hono/zod-openapi";
import { auth, noKeys, orgScope, role } from "../../http/access.ts";
import { noStore } from "../../http/middleware.ts";
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
  Slug,
  SlugParams,
} from "../../http/schemas.ts";
import { API_KEY_SCOPES } from "../../identity/api-keys.ts";

const ApiKeyParams = z.object({
  slug: Slug,
  id: pathParam("id", 64, "6745f1c2a9e4b1d2c3f4a5b6"),
});

const ApiKeyScopeSchema = z.enum(API_KEY_SCOPES).openapi("ApiKeyScope", {
  description: "`data:read`: collections and documents: list, get, count, aggregate. " +
    "`data:write`: also create, replace, patch, delete documents and batch inserts. " +
    "`collections:manage`: create and drop collections and their indexes. `members:read`: " +
    "list members. `audit:read`: read the audit log.",
});

export const ApiKeySchema = z.object({
  id: Id,
  name: z.string(),
  scopes: z.array(ApiKeyScopeSchema),
  prefix: z.string().openapi({
    description: "The key's first 12 characters",
    example: "osk_6745f1c2",
  }),
  createdBy: Id.openapi({ description: "The user who created it" }),
  createdAt: DateTime,
  expiresAt: DateTime.nullable().openapi({ description: "Null: never expires" }),
  lastUsedAt: DateTime.nullable().openapi({
    description: "The last use, recorded at most once a minute; null: never used",
  }),
}).openapi("ApiKey");

const CreateApiKey = z.strictObject({
  name: z.string().trim().min(1).max(100),
  scopes: z.array(ApiKeyScopeSchema).min(1).max(API_KEY_SCOPES.length),
  expiresInDays: z.number().int().min(1).max(365).optional().openapi({
    description: "1–365; absent: the key never expires",
  }),
});

export const create = createRoute({
  method: "post",
  path: "/v1/orgs/{slug}/api-keys",
  operationId: "createApiKey",
  tags: ["api-keys"],
  summary: "Create an API key (owner or admin); the key is in this answer only",
  description: "The key (`osk_<id>_<secret>`) is shown once: only a hash of its secret is " +
    "stored. Send it as `Authorization: Bearer <key>`. It acts in this org with its scopes " +
    "only, and can never manage members, invitations, API keys, webhooks or the org.",
  security: bearer,
  middleware: [auth, noStore, orgScope, noKeys, role("owner", "admin")] as const,
  request: { params: SlugParams, ...jsonBody(CreateApiKey) },
  responses: {
    201: json(ApiKeySchema.extend({ key: z.string() }), "Created; `key` is never shown again"),
    ...errors(400, 401, 403, 404, 413, 415),
  },
});

export const list = createRoute({
  method: "get",
  path: "/v1/orgs/{slug}/api-keys",
  operationId: "listApiKeys",
  tags: ["api-keys"],
  summary: "List the org's API keys (owner or admin); never their secrets",
  security: bearer,
  middleware: [auth, orgScope, noKeys, role("owner", "admin")] as const,
  request: { params: SlugParams, query: PageQuery },
  responses: { 200: json(pageOf(ApiKeySchema), "A page of keys"), ...errors(400, 401, 403, 404) },
});

export const remove = createRoute({
  method: "delete",
  path: "/v1/orgs/{slug}/api-keys/{id}",
  operationId: "revokeApiKey",
  tags: ["api-keys"],
  summary: "Revoke an API key (owner or admin)",
  description: "The key stops working at once on this instance and within 5 seconds on every " +
    "other. 404 `api_key_not_found` for a key this org does not have.",
  security: bearer,
  middleware: [auth, orgScope, noKeys, role("owner", "admin")] as const,
  request: { params: ApiKeyParams },
  responses: { 204: { description: "Revoked" }, ...errors(400, 401, 403, 404) },
});

export type CreateRoute = typeof create;
export type ListRoute = typeof list;
export type RemoveRoute = typeof remove;
