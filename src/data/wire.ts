/**
 * The document API's wire format: a stored document as clients see it (`_id` a 24-hex string,
 * no write stamp), the stamp as a strong `ETag` and back, and a `{documentId}` as an ObjectId.
 */
import { type Document, ObjectId } from "mongodb";
import { documentNotFound } from "../platform/errors.ts";
import { ID_SOURCE, toObjectId } from "../platform/ids.ts";
import { STAMP } from "./sanitize.ts";

/** A document as clients see it: `_id` a 24-hex string, no stamp. */
export type WireDocument = Record<string, unknown> & { _id: string };

export interface Tagged {
  document: WireDocument;
  etag: string;
}

/** Strong ETag of a stamp. */
export const etagOf = (stamp: ObjectId) => `"${stamp.toHexString()}"`;

const STRONG_TAG = new RegExp(`^\\s*"(${ID_SOURCE})"\\s*$`);

/** The stamp an `If-Match` tag names; undefined for `*` (any version); null for a foreign tag. */
export function stampOfTag(tag: string | undefined): ObjectId | null | undefined {
  if (tag === undefined || tag.trim() === "*") return undefined;
  const m = STRONG_TAG.exec(tag);
  return m ? new ObjectId(m[1]) : null;
}

/** ObjectIds (as `$group` keys may yield) become hex strings, dates ISO strings. */
export function toWire(value: unknown): unknown {
  if (value instanceof ObjectId) return value.toHexString();
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(toWire);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = toWire(v);
    return out;
  }
  return value;
}

/** A stored document for clients; stored values are JSON, so only `_id` needs converting. */
export function view(doc: Document): WireDocument {
  const { _id, [STAMP]: _, ...fields } = doc;
  return { _id: _id instanceof ObjectId ? _id.toHexString() : String(_id), ...fields };
}

export function tagged(doc: Document): Tagged {
  return { document: view(doc), etag: etagOf(doc[STAMP] as ObjectId) };
}

/** A `{documentId}`: an id that cannot be one of ours is simply not found. */
export function parseId(id: string): ObjectId {
  const _id = toObjectId(id);
  if (!_id) throw documentNotFound();
  return _id;
}
