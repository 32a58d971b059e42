/** A collection's indexes after its creation (docs/data-api.md). */
import { createRoute, z } from "@hono/zod-openapi";
import { auth, orgScope, role, scope } from "../../http/access.ts";
import { CollectionParams, IndexSchema } from "../../http/data-schemas.ts";
import { bearer, errors, json, jsonBody } from "../../http/schemas.ts";

const tags = ["data"];

/** An index's name in a path: letters, digits, `_`, `-` and `.`, never `.` or `..` alone. */
const IndexName = z.string().min(1).max(128).regex(
  /^(?!\.{1,2}$)[A-Za-z0-9_.-]+$/,
  "Use letters, digits, _, - or . only",
).openapi({ param: { name: "index", in: "path" }, example: "email_1" });

export const list = createRoute({
  method: "get",
  path: "/v1/orgs/{slug}/collections/{name}/indexes",
  operationId: "listIndexes",
  tags,
  summary: "List a collection's indexes (members)",
  security: bearer,
  middleware: [auth, orgScope, scope("data:read")] as const,
  request: { params: CollectionParams },
  responses: {
    200: json(z.object({ items: z.array(IndexSchema) }), "The collection's indexes"),
    ...errors(400, 401, 403, 404),
  },
});

export const create = createRoute({
  method: "post",
  path: "/v1/orgs/{slug}/collections/{name}/indexes",
  operationId: "createIndex",
  tags,
  summary: "Add an index to a collection, built before the answer (owner or admin)",
  description: "Fields are 1–5 field paths (the document rules: no `$`, `_stamp` reserved), " +
    "each 1 or -1, in order. Without `name` the index is named after its fields " +
    "(`email_1`, `lastName_1_firstName_-1`). 409 `index_exists` for a name or fields (in " +
    "order, with directions) an index has; a unique index over documents that already repeat " +
    "a key is 409 `duplicate_key` and no index is left; at most 20 indexes besides `_id_` " +
    "(403 `quota_exceeded`).",
  security: bearer,
  middleware: [auth, orgScope, scope("collections:manage"), role("owner", "admin")] as const,
  request: {
    params: CollectionParams,
    ...jsonBody(z.strictObject({
      fields: z.record(z.string().max(256), z.union([z.literal(1), z.literal(-1)])).openapi({
        description: "Field paths and directions, 1–5 fields",
        example: { email: 1 },
      }),
      unique: z.boolean().optional(),
      name: z.string().max(64).optional().openapi({
        description: "`^[A-Za-z][A-Za-z0-9_.-]{0,63}$`",
        example: "by_email",
      }),
    })),
  },
  responses: {
    201: json(IndexSchema, "Built"),
    ...errors(400, 401, 403, 404, 409, 413, 415),
  },
});

export const drop = createRoute({
  method: "delete",
  path: "/v1/orgs/{slug}/collections/{name}/indexes/{index}",
  operationId: "dropIndex",
  tags,
  summary: "Drop an index (owner or admin)",
  description: "`_id_` (and any name starting with `_`, the service's) is 400 " +
    "`validation_failed`; an unknown index is 404 `index_not_found`.",
  security: bearer,
  middleware: [auth, orgScope, scope("collections:manage"), role("owner", "admin")] as const,
  request: { params: CollectionParams.extend({ index: IndexName }) },
  responses: { 204: { description: "Dropped" }, ...errors(400, 401, 403, 404) },
});
