/** Collections of the org's own database (docs/data-api.md). */
import { createRoute, z } from "@hono/zod-openapi";
import { auth, orgScope, role, scope } from "../../http/access.ts";
import { CollectionParams, CollectionSchema } from "../../http/data-schemas.ts";
import { bearer, errors, json, jsonBody, SlugParams } from "../../http/schemas.ts";

const tags = ["data"];

export const list = createRoute({
  method: "get",
  path: "/v1/orgs/{slug}/collections",
  operationId: "listCollections",
  tags,
  summary: "List the org's collections with their document counts and indexes (members)",
  security: bearer,
  middleware: [auth, orgScope, scope("data:read")] as const,
  request: { params: SlugParams },
  responses: {
    200: json(z.object({ items: z.array(CollectionSchema) }), "The org's collections"),
    ...errors(400, 401, 403, 404),
  },
});

const IndexInput = z.strictObject({
  fields: z.record(z.string().max(256), z.union([z.literal(1), z.literal(-1)])).openapi({
    description: "Field paths and directions, 1–5 fields",
    example: { email: 1 },
  }),
  unique: z.boolean().optional(),
});

export const create = createRoute({
  method: "post",
  path: "/v1/orgs/{slug}/collections",
  operationId: "createCollection",
  tags,
  summary: "Create a collection, with optional single or compound, unique or plain indexes " +
    "(owner or admin)",
  description: "Names match `^[A-Za-z][A-Za-z0-9_-]{0,63}$`; names starting with `system` or " +
    "`_`, and the service's own collections, are reserved (400). 409 `collection_exists`; " +
    "403 `quota_exceeded` past the org's collection quota.",
  security: bearer,
  middleware: [auth, orgScope, scope("collections:manage"), role("owner", "admin")] as const,
  request: {
    params: SlugParams,
    ...jsonBody(z.strictObject({
      name: z.string().max(64).openapi({ example: "customers" }),
      indexes: z.array(IndexInput).max(10).optional(),
    })),
  },
  responses: {
    201: json(CollectionSchema, "Created"),
    ...errors(400, 401, 403, 404, 409, 413, 415),
  },
});

export const drop = createRoute({
  method: "delete",
  path: "/v1/orgs/{slug}/collections/{name}",
  operationId: "dropCollection",
  tags,
  summary: "Drop a collection and its documents (owner or admin)",
  security: bearer,
  middleware: [auth, orgScope, scope("collections:manage"), role("owner", "admin")] as const,
  request: { params: CollectionParams },
  responses: { 204: { description: "Dropped" }, ...errors(400, 401, 403, 404) },
});
