/**
 * Keyset paging with a signed, opaque cursor: a page is ordered by up to three sort fields plus
 * `_id`, and the next page starts strictly after the last row of this one (never skip/offset),
 * so every row that existed when the sequence started is returned exactly once, also while rows
 * are inserted.
 *
 * The cursor carries the last row's sort values and `_id` (EJSON, so dates and ObjectIds come
 * back as themselves), signed together with a scope (what the cursor belongs to: a collection,
 * a sort) with HMAC-SHA256 under a key derived from the JWT secret with its own label. A cursor
 * that was changed, or replayed against another scope, is 400 `invalid_cursor`.
 *
 * Sort values are compared the way MongoDB sorts them: null and missing are equal and come
 * first, then numbers, strings, objects, ObjectIds, booleans and dates, so a field whose values
 * mix types pages correctly too. A field holding arrays does not (MongoDB sorts an array by one
 * of its elements).
 */
import { BSON, type Collection, type Document, type Filter, ObjectId } from "mongodb";
import { invalidCursor, validationFailed } from "./errors.ts";

export type SortDirection = 1 | -1;
export interface SortField {
  field: string;
  direction: SortDirection;
}

export const MAX_SORT_FIELDS = 3;

export interface KeysetOptions {
  /** The sort fields before `_id`, at most three. */
  sort: readonly SortField[];
  /** The direction of `_id` after them; by default the last field's (ascending without any). */
  idDirection?: SortDirection;
  /** What the cursor belongs to; a cursor made for another scope is refused. */
  scope: string;
  /** The JWT secret; the signing key is derived from it. */
  secret: string;
}

export interface Position {
  values: unknown[];
  id: unknown;
}

/**
 * The page size of every list (members, invitations, the audit log, documents, the admin
 * lists): 1 to 100 rows, 20 when the client names none. Routes check it by the schema made from
 * it (src/http/schemas.ts `PageLimit`); callers that are not routes bound it by `pageLimit`.
 */
export const PAGE_LIMIT = { min: 1, default: 20, max: 100 } as const;

/** A page size within `PAGE_LIMIT` (the default when none is given). */
export const pageLimit = (limit?: number): number =>
  Math.min(PAGE_LIMIT.max, Math.max(PAGE_LIMIT.min, Math.floor(limit ?? PAGE_LIMIT.default)));

/** What a client asks for: a page size and the previous page's `nextCursor`. */
export interface PageRequest {
  limit: number;
  cursor?: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

const LABEL = "orgservice keyset cursor v1";

const keys = new Map<string, Promise<CryptoKey>>();

/** The cursor key: HMAC-SHA256(secret, label), so it never equals the token-signing key. */
function cursorKey(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (!key) {
    key = (async () => {
      const enc = new TextEncoder();
      const master = await crypto.subtle.importKey(
        "raw",
        enc.encode(secret),
        { name: "HMAC", hash: "SHA-256" },
        false,
        ["sign"],
      );
      const derived = await crypto.subtle.sign("HMAC", master, enc.encode(LABEL));
      return await crypto.subtle.importKey(
        "raw",
        derived,
        { name: "HMAC", hash: "SHA-256" },
        false,
        ["sign", "verify"],
      );
    })();
    keys.set(secret, key);
  }
  return key;
}

function b64url(bytes: Uint8Array): string {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function fromB64url(text: string): Uint8Array<ArrayBuffer> {
  const bin = atob(text.replaceAll("-", "+").replaceAll("_", "/"));
  return Uint8Array.from(bin, (ch) => ch.charCodeAt(0));
}

/** The sort to give the driver: the sort fields, then `_id`. */
export function keysetSort(
  opts: Pick<KeysetOptions, "sort" | "idDirection">,
): Record<string, SortDirection> {
  const out: Record<string, SortDirection> = {};
  for (const s of opts.sort) out[s.field] = s.direction;
  out._id = opts.idDirection ?? opts.sort.at(-1)?.direction ?? 1;
  return out;
}

/** The longest cursor: request URLs stay within what the HTTP server reads (64 KiB). */
export const MAX_CURSOR_LENGTH = 2048;

/** What is signed: the scope (not carried, so cursors stay short) and the payload. */
const signed = (scope: string, payload: Uint8Array) => {
  const s = new TextEncoder().encode(`${scope}\n`);
  const out = new Uint8Array(s.length + payload.length);
  out.set(s);
  out.set(payload, s.length);
  return out;
};

export async function encodeCursor(opts: KeysetOptions, pos: Position): Promise<string> {
  const payload = new TextEncoder().encode(
    BSON.EJSON.stringify({ v: pos.values, i: pos.id }, { relaxed: true }),
  );
  const key = await cursorKey(opts.secret);
  const sig = await crypto.subtle.sign("HMAC", key, signed(opts.scope, payload));
  const cursor = `${b64url(payload)}.${b64url(new Uint8Array(sig))}`;
  if (cursor.length > MAX_CURSOR_LENGTH) {
    throw validationFailed("The sort values are too long to page by", [
      { path: "sort", message: "Sort by fields with shorter values" },
    ]);
  }
  return cursor;
}

/** The position a cursor points at; 400 `invalid_cursor` unless it is intact and of this scope. */
export async function decodeCursor(opts: KeysetOptions, cursor: string): Promise<Position> {
  const dot = cursor.indexOf(".");
  let parsed: { v?: unknown; i?: unknown } | undefined;
  try {
    const payload = fromB64url(cursor.slice(0, dot));
    const sig = fromB64url(cursor.slice(dot + 1));
    const key = await cursorKey(opts.secret);
    if (dot > 0 && await crypto.subtle.verify("HMAC", key, sig, signed(opts.scope, payload))) {
      parsed = BSON.EJSON.parse(new TextDecoder().decode(payload), { relaxed: true });
    }
  } catch { /* refused below */ }
  if (
    !parsed || !Array.isArray(parsed.v) ||
    parsed.v.length !== opts.sort.length || parsed.i === undefined
  ) {
    throw invalidCursor();
  }
  return { values: parsed.v, id: parsed.i };
}

/** Rows strictly after `value` in `direction`, with null and missing first in ascending order. */
/**
 * MongoDB's order of value types after null (arrays sort by an element, so no keyset pages them
 * reliably). `$gt` and `$lt` compare within one type only; the types beyond are added by `$type`.
 */
const TYPE_ORDER = ["number", "string", "object", "array", "objectId", "bool", "date"] as const;

function typeOf(value: unknown): typeof TYPE_ORDER[number] | undefined {
  if (typeof value === "number") return "number";
  if (typeof value === "string") return "string";
  if (typeof value === "boolean") return "bool";
  if (value instanceof Date) return "date";
  if (value instanceof ObjectId) return "objectId";
  if (Array.isArray(value)) return "array";
  if (value !== null && typeof value === "object") return "object";
  return undefined;
}

function after(field: string, value: unknown, direction: SortDirection): Document[] {
  if (value === null || value === undefined) {
    return direction === 1 ? [{ [field]: { $ne: null } }] : [];
  }
  const type = typeOf(value);
  const at = type ? TYPE_ORDER.indexOf(type) : -1;
  if (direction === 1) {
    const later = TYPE_ORDER.slice(at + 1);
    return [{ [field]: { $gt: value } }, ...(later.length ? [{ [field]: { $type: later } }] : [])];
  }
  const earlier = at > 0 ? TYPE_ORDER.slice(0, at) : [];
  return [
    { [field]: { $lt: value } },
    ...(earlier.length ? [{ [field]: { $type: earlier } }] : []),
    { [field]: null },
  ];
}

/** The filter for "after this position" in the `$or` keyset form. */
export function afterFilter(
  opts: Pick<KeysetOptions, "sort" | "idDirection">,
  pos: Position,
): Document {
  const { sort } = opts;
  const clauses: Document[] = [];
  const equal: Document = {};
  sort.forEach((s, i) => {
    for (const a of after(s.field, pos.values[i], s.direction)) clauses.push({ ...equal, ...a });
    equal[s.field] = pos.values[i] ?? null;
  });
  const idDirection = keysetSort(opts)._id;
  clauses.push({ ...equal, _id: idDirection === 1 ? { $gt: pos.id } : { $lt: pos.id } });
  return clauses.length === 1 ? clauses[0] : { $or: clauses };
}

/**
 * The query of a page: `filter` narrowed to after the cursor (if any), the driver sort, and
 * the number of rows to fetch (one more than the page, to know whether another follows).
 */
export async function keysetQuery(
  opts: KeysetOptions,
  filter: Document,
  page: PageRequest,
): Promise<{ filter: Document; sort: Record<string, SortDirection>; fetch: number }> {
  if (opts.sort.length > MAX_SORT_FIELDS) throw new Error("At most three sort fields");
  let query = filter;
  if (page.cursor !== undefined) {
    const position = afterFilter(opts, await decodeCursor(opts, page.cursor));
    query = Object.keys(filter).length ? { $and: [filter, position] } : position;
  }
  return { filter: query, sort: keysetSort(opts), fetch: page.limit + 1 };
}

/** The value at a dotted path; missing is null, as MongoDB sorts it. */
export function valueAt(doc: Document, path: string): unknown {
  let cur: unknown = doc;
  for (const part of path.split(".")) {
    if (cur === null || typeof cur !== "object") return null;
    cur = (cur as Document)[part];
  }
  return cur ?? null;
}

/** A page of `rows` (fetched with `keysetQuery`'s `fetch`) and the cursor after its last row. */
export async function keysetPage<T extends Document>(
  opts: KeysetOptions,
  rows: T[],
  limit: number,
): Promise<Page<T>> {
  const items = rows.slice(0, limit);
  if (rows.length <= limit) return { items, nextCursor: null };
  const last = items[items.length - 1];
  const values = opts.sort.map((s) => valueAt(last, s.field));
  return { items, nextCursor: await encodeCursor(opts, { values, id: last._id }) };
}

/** A page read from `collection`: `filter` after the cursor, mapped by `map`. */
export async function findPage<D extends Document, T>(
  collection: Collection<D>,
  opts: KeysetOptions,
  filter: Document,
  page: PageRequest,
  map: (doc: D) => T,
): Promise<Page<T>> {
  const q = await keysetQuery(opts, filter, page);
  const rows = await collection.find(q.filter as Filter<D>).sort(q.sort).limit(q.fetch).toArray();
  const { items, nextCursor } = await keysetPage(opts, rows as D[], page.limit);
  return { items: items.map(map), nextCursor };
}
