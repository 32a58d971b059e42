/** Documents of the org's own collections (docs/data-api.md). */
import { createRoute, z } from "@hono/zod-openapi";
import { auth, orgScope, scope } from "../../http/access.ts";
import {
  CollectionParams,
  DocumentBody,
  DocumentParams,
  DocumentSchema,
  etagHeader,
  IfMatch,
  IfNoneMatch,
} from "../../http/data-schemas.ts";
import {
  bearer,
  errors,
  json,
  jsonBody,
  locationHeader,
  PageLimit,
  pageOf,
} from "../../http/schemas.ts";
import { MAX_BATCH } from "../../data/documents.ts";
import { MAX_CURSOR_LENGTH } from "../../platform/paging.ts";

const tags = ["data"];

// Query strings are bounded so that a request line stays within what the HTTP server reads
// (64 KiB), even with every character percent-encoded.
const Filter = z.string().max(2_048).optional().openapi({
  description: "A JSON filter: field paths and `$eq $ne $gt $gte $lt $lte $in $nin $exists " +
    "$and $or` only (else 400 `invalid_filter`)",
  example: '{"age":{"$gte":18}}',
});

const withEtag = <T extends z.ZodType>(schema: T, description: string) => ({
  ...json(schema, description),
  headers: etagHeader,
});

export const insert = createRoute({
  method: "post",
  path: "/v1/orgs/{slug}/collections/{name}/documents",
  operationId: "insertDocument",
  tags,
  summary: "Insert a document (members)",
  description: "`_id` is assigned by the server. 403 `quota_exceeded` past the org's document " +
    "or per-document size quota; 409 `duplicate_key` on a unique index.",
  security: bearer,
  middleware: [auth, orgScope, scope("data:write")] as const,
  request: { params: CollectionParams, ...jsonBody(DocumentBody) },
  responses: {
    201: {
      ...json(DocumentSchema, "Inserted, with its `_id`"),
      headers: { ...etagHeader, ...locationHeader("The new document") },
    },
    ...errors(400, 401, 403, 404, 409, 413, 415),
  },
});

export const batch = createRoute({
  method: "post",
  path: "/v1/orgs/{slug}/collections/{name}/documents/batch",
  operationId: "insertDocuments",
  tags,
  summary: `Insert 1–${MAX_BATCH} documents in order (members)`,
  description: "Every document is validated before any is written. A duplicate key part-way " +
    "is 409 `duplicate_key` with `index` (the failing position) and `insertedIds` (those " +
    "inserted before it).",
  security: bearer,
  middleware: [auth, orgScope, scope("data:write")] as const,
  request: {
    params: CollectionParams,
    ...jsonBody(z.strictObject({ documents: z.array(DocumentBody).min(1).max(MAX_BATCH) })),
  },
  responses: {
    201: json(z.object({ insertedIds: z.array(z.string()) }), "Inserted, ids in order"),
    ...errors(400, 401, 403, 404, 409, 413, 415),
  },
});

export const list = createRoute({
  method: "get",
  path: "/v1/orgs/{slug}/collections/{name}/documents",
  operationId: "listDocuments",
  tags,
  summary: "List documents: filter, sort, projection, keyset pages (members)",
  description: "Pages follow a signed cursor keyed on the sort fields plus `_id`: a sequence " +
    "returns every document that existed when it started exactly once, also while documents " +
    "are inserted. A changed cursor is 400 `invalid_cursor`.",
  security: bearer,
  middleware: [auth, orgScope, scope("data:read")] as const,
  request: {
    params: CollectionParams,
    query: z.strictObject({
      filter: Filter,
      sort: z.string().max(256).optional().openapi({
        description: "At most 3 field paths, `-` for descending",
        example: "-createdAt,name",
      }),
      fields: z.string().max(1_024).optional().openapi({
        description: "Fields to return (`name,email`) or to leave out (`-payload`)",
        example: "name,email",
      }),
      limit: PageLimit,
      cursor: z.string().max(MAX_CURSOR_LENGTH).optional().openapi({
        description: "Opaque: the `nextCursor` of the previous page",
      }),
    }),
  },
  responses: {
    200: json(pageOf(DocumentSchema), "A page of documents"),
    ...errors(400, 401, 403, 404),
  },
});

export const count = createRoute({
  method: "get",
  path: "/v1/orgs/{slug}/collections/{name}/documents/count",
  operationId: "countDocuments",
  tags,
  summary: "Count the documents a filter matches (members)",
  security: bearer,
  middleware: [auth, orgScope, scope("data:read")] as const,
  request: { params: CollectionParams, query: z.strictObject({ filter: Filter }) },
  responses: {
    200: json(z.object({ count: z.number().int() }), "The count"),
    ...errors(400, 401, 403, 404),
  },
});

export const aggregate = createRoute({
  method: "post",
  path: "/v1/orgs/{slug}/collections/{name}/aggregate",
  operationId: "aggregateDocuments",
  tags,
  summary: "Run an aggregation pipeline (members)",
  description: "Stages `$match $group $sort $skip $limit $project $unwind $count`; `$group` " +
    "accumulators `$sum $avg $min $max $first $last $push $count`; expressions are field " +
    "references and literals. Anything else, or what the database refuses, is 400 " +
    "`invalid_pipeline` with the reason. At most 1,000 results (the rest is cut off) within the " +
    "server's time limit, and at most 16 MiB of them (400 `result_too_large` past it).",
  security: bearer,
  middleware: [auth, orgScope, scope("data:read")] as const,
  request: {
    params: CollectionParams,
    ...jsonBody(z.strictObject({
      pipeline: z.array(z.record(z.string(), z.unknown())).max(50).openapi({
        example: [{ $match: { status: "active" } }, { $group: { _id: "$city", n: { $sum: 1 } } }],
      }),
    })),
  },
  responses: {
    200: json(
      z.object({ items: z.array(z.record(z.string(), z.unknown())) }),
      "The results (at most 1,000)",
    ),
    ...errors(400, 401, 403, 404, 413, 415),
  },
});

export const get = createRoute({
  method: "get",
  path: "/v1/orgs/{slug}/collections/{name}/documents/{documentId}",
  operationId: "getDocument",
  tags,
  summary: "Get a document with its ETag (members)",
  security: bearer,
  middleware: [auth, orgScope, scope("data:read")] as const,
  request: { params: DocumentParams, headers: IfNoneMatch },
  responses: {
    200: withEtag(DocumentSchema, "The document"),
    304: { description: "Unchanged since the `If-None-Match` tag" },
    ...errors(400, 401, 403, 404),
  },
});

export const replace = createRoute({
  method: "put",
  path: "/v1/orgs/{slug}/collections/{name}/documents/{documentId}",
  operationId: "replaceDocument",
  tags,
  summary: "Replace a document (members)",
  description: "The body is the whole new document (its own `_id` may be repeated). With " +
    "`If-Match`, 412 `precondition_failed` unless the tag is current.",
  security: bearer,
  middleware: [auth, orgScope, scope("data:write")] as const,
  request: { params: DocumentParams, headers: IfMatch, ...jsonBody(DocumentBody) },
  responses: {
    200: withEtag(DocumentSchema, "The new document"),
    ...errors(400, 401, 403, 404, 409, 412, 413, 415),
  },
});

export const patch = createRoute({
  method: "patch",
  path: "/v1/orgs/{slug}/collections/{name}/documents/{documentId}",
  operationId: "patchDocument",
  tags,
  summary: "Set fields of a document; `null` unsets, dotted paths set nested fields (members)",
  description: "A numeric path part is an array index of at most 10,000 (400 " +
    "`validation_failed`). The document it makes is checked like an insert (403 " +
    "`quota_exceeded` past the per-document quota) before it is written over the version " +
    "read. With `If-Match`, 412 `precondition_failed` unless the tag is current; without, " +
    "409 `conflict` if other writes kept changing the document.",
  security: bearer,
  middleware: [auth, orgScope, scope("data:write")] as const,
  request: { params: DocumentParams, headers: IfMatch, ...jsonBody(DocumentBody) },
  responses: {
    200: withEtag(DocumentSchema, "The changed document"),
    ...errors(400, 401, 403, 404, 409, 412, 413, 415),
  },
});

export const remove = createRoute({
  method: "delete",
  path: "/v1/orgs/{slug}/collections/{name}/documents/{documentId}",
  operationId: "deleteDocument",
  tags,
  summary: "Delete a document (members)",
  description: "With `If-Match`, 412 `precondition_failed` unless the tag is current.",
  security: bearer,
  middleware: [auth, orgScope, scope("data:write")] as const,
  request: { params: DocumentParams, headers: IfMatch },
  responses: { 204: { description: "Deleted" }, ...errors(400, 401, 403, 404, 412) },
});
