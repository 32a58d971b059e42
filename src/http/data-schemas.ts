/** Schemas of the document API (docs/data-api.md); they also make its OpenAPI document. */
import { z } from "@hono/zod-openapi";
import { pathParam, Slug } from "./schemas.ts";

/**
 * Letters, digits, `_`, `-` and `.` (a reserved name such as `system.indexes` is read, and found
 * not to be the org's, rather than refused as malformed), but never `.` or `..` alone.
 */
export const CollectionName = z.string().min(1).max(128).regex(
  /^(?!\.{1,2}$)[A-Za-z0-9_.-]+$/,
  "Use letters, digits, _, - or . only",
).openapi({
  param: { name: "name", in: "path" },
  description: "`^[A-Za-z][A-Za-z0-9_-]{0,63}$`; names starting with `system` or `_` are reserved",
  example: "customers",
});

export const DocumentId = pathParam("documentId", 64, "6745f1c2a9e4b1d2c3f4a5b6");

export const CollectionParams = z.object({ slug: Slug, name: CollectionName });
export const DocumentParams = z.object({
  slug: Slug,
  name: CollectionName,
  documentId: DocumentId,
});

/**
 * A document on the wire: any JSON object; the server checks its keys and assigns `_id`. Only
 * its shape is checked here (src/data/sanitize.ts walks it once, for everything else): a zod
 * record would copy every document, and a batch carries 500 of them.
 */
export const DocumentBody = z.custom<Record<string, unknown>>(
  (v) => typeof v === "object" && v !== null && !Array.isArray(v),
  { message: "Invalid input: expected a JSON object" },
).openapi("DocumentBody", {
  type: "object",
  additionalProperties: {},
  description: "A JSON object. Keys must not start with `$` or contain `.` or NUL; `_id` is " +
    "assigned by the server; nested at most 20 levels; at most the per-document quota in bytes.",
  example: { name: "Ada", email: "ada@example.com", tags: ["admin"], address: { city: "Paris" } },
});

export const DocumentSchema = z.object({ _id: z.string() }).catchall(z.unknown()).openapi(
  "Document",
  { example: { _id: "6745f1c2a9e4b1d2c3f4a5b6", name: "Ada", email: "ada@example.com" } },
);

export const IndexSchema = z.object({
  name: z.string(),
  fields: z.record(z.string(), z.number()),
  unique: z.boolean(),
}).openapi("Index");

export const CollectionSchema = z.object({
  name: z.string(),
  count: z.number().int(),
  indexes: z.array(IndexSchema),
}).openapi("Collection");

const tag = z.string().max(512);

export const IfMatch = z.object({
  "if-match": tag.optional().openapi({
    description: "The document's ETag: the write happens only if it is still current (else 412)",
  }),
});

export const IfNoneMatch = z.object({
  "if-none-match": tag.optional().openapi({
    description: "An ETag the caller has: 304 while the document is unchanged",
  }),
});

export const etagHeader = {
  ETag: {
    description: "The document's version; changes with every write",
    schema: { type: "string" as const },
  },
};
