/**
 * An org's own documents: insert, batch insert, get, replace, patch, delete, count, list and
 * aggregate, in the collections of the org in the caller's token only.
 *
 * Every document carries a hidden write stamp (`_stamp`, a fresh ObjectId per write: unique
 * and time-ordered, so moving an org between deployments can copy what changed since a stamp).
 * It is the document's `ETag`, is never shown to clients nor writable or filterable by them,
 * and decides `If-Match` in the write itself: `{ _id, _stamp }` is the write's filter, so of
 * two writers with the same tag exactly one matches.
 *
 * Input is checked before the collection is looked up: bad input is 400 wherever it is sent.
 */
import {
  BSON,
  type Collection,
  type Document,
  Long,
  MongoBulkWriteError,
  MongoServerError,
  ObjectId,
} from "mongodb";
import { recordEvent } from "../audit/audit.ts";
import { isDuplicateKey, isNotImplemented, isTimedOut } from "../platform/db.ts";
import { invalidFilter, invalidPipeline } from "../platform/errors.ts";
import { ID_SOURCE, toObjectId } from "../platform/ids.ts";
import type { Deps } from "../platform/deps.ts";
import { keysetPage, keysetQuery, type Page } from "../platform/paging.ts";
import type { Org } from "../tenants/orgs.ts";
import { ownCollection } from "./collections.ts";
import {
  conflict,
  documentNotFound,
  duplicateKey,
  invalidField,
  preconditionFailed,
  quotaExceeded,
  resultTooLarge,
} from "../platform/errors.ts";
import { planPatch } from "./patch.ts";
import { databaseRefusal } from "./refusals.ts";
import {
  isPlainObject,
  parseFields,
  parseFilter,
  parseSort,
  sanitizeDocument,
  sanitizePatch,
  sanitizePipeline,
  STAMP,
} from "./sanitize.ts";
import { type DataScope, forReading, forWriting } from "./scope.ts";
import { noteMoveDeletion } from "../tenants/move-deletions.ts";
import { adjustUsage, quotasOf, releaseUsage } from "../tenants/usage.ts";

/** Documents in one batch insert. */
export const MAX_BATCH = 500;
export const MAX_AGGREGATE_RESULTS = 1000;
/** Bytes (BSON, as the driver hands them) of one aggregation's results. */
export const MAX_AGGREGATE_BYTES = 16 * 1024 * 1024;
/** Results a cursor batch of an aggregation holds, so its byte count is checked as it goes. */
const AGGREGATE_BATCH = 100;
/** Reads and conditional writes of one PATCH without `If-Match` before 409 `conflict`. */
const PATCH_ATTEMPTS = 10;

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
function stampOfTag(tag: string | undefined): ObjectId | null | undefined {
  if (tag === undefined || tag.trim() === "*") return undefined;
  const m = STRONG_TAG.exec(tag);
  return m ? new ObjectId(m[1]) : null;
}

/** ObjectIds (as `$group` keys may yield) become hex strings, dates ISO strings. */
function toWire(value: unknown): unknown {
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
function view(doc: Document): WireDocument {
  const { _id, [STAMP]: _, ...fields } = doc;
  return { _id: _id instanceof ObjectId ? _id.toHexString() : String(_id), ...fields };
}

function tagged(doc: Document): Tagged {
  return { document: view(doc), etag: etagOf(doc[STAMP] as ObjectId) };
}

/** A `{documentId}`: an id that cannot be one of ours is simply not found. */
function parseId(id: string): ObjectId {
  const _id = toObjectId(id);
  if (!_id) throw documentNotFound();
  return _id;
}

/** 403 `quota_exceeded` for a document of more `bytes` (its size in BSON) than the quota. */
function checkSize(deps: Deps, org: Org, bytes: number, path = ""): void {
  const limit = quotasOf(deps, org).documentBytes;
  if (bytes > limit) {
    const e = quotaExceeded("bytes per document", limit);
    if (path) e.extra.errors = [{ path, message: `Larger than ${limit} bytes` }];
    throw e;
  }
}

/** Write errors that mean "the document cannot take this change" rather than a fault. */
function refusedWrite(e: unknown): Error | null {
  if (isDuplicateKey(e)) return duplicateKey();
  // A server may refuse a value the sanitizer lets through: the caller's input, not a fault.
  const reason = databaseRefusal(e);
  if (reason) return invalidField("", `The database cannot store this document: ${reason}`);
  return null;
}

/**
 * Run a query or pipeline; what the server will not run is the caller's to change: 400 with
 * `code` and the server's reason (./refusals.ts tells refusals from faults). A server without
 * some allowed part (FerretDB has no `$avg`, `$min`, `$max`, `$first`, `$last` or `$push`)
 * answers NotImplemented; one past the time limit, MaxTimeMSExpired.
 */
async function runQuery<T>(
  code: "invalid_filter" | "invalid_pipeline",
  maxTimeMs: number,
  op: () => Promise<T>,
): Promise<T> {
  try {
    return await op();
  } catch (e) {
    if (!(e instanceof MongoServerError)) throw e;
    const path = code === "invalid_filter" ? "filter" : "pipeline";
    const refuse = code === "invalid_filter" ? invalidFilter : invalidPipeline;
    if (isNotImplemented(e)) {
      throw refuse("The database server does not support part of this query", [
        { path, message: "Not supported by this database server" },
      ]);
    }
    if (isTimedOut(e)) {
      const message = `Took longer than ${maxTimeMs} ms: narrow it, or index the fields it uses`;
      throw refuse(message, [{ path, message }]);
    }
    const reason = databaseRefusal(e);
    if (reason) {
      throw refuse(`The database refused the ${path}: ${reason}`, [{ path, message: reason }]);
    }
    throw e;
  }
}

interface BoundedFind {
  filter: Document;
  projection?: Document;
  sort?: Document;
  limit: number;
  maxTimeMS?: number;
}

/**
 * At most `limit` documents of `col`, read by one `find` command rather than a driver cursor.
 * A cursor and its implicit session are entered in the client's sets of open cursors and
 * sessions while they live; under load that bookkeeping keeps finished reads reachable for
 * V8's young-generation collector, which then copies and promotes every page it read into the
 * old generation. A bounded read needs no cursor: the batch is one larger than the limit, so
 * the server closes the cursor with its first reply (FerretDB keeps one open when a batch is
 * exactly full). A reply that still leaves a cursor open was cut short (MongoDB's replies hold
 * at most 16 MiB); that rare read is closed and done again through a driver cursor.
 */
async function findBounded(col: Collection, q: BoundedFind): Promise<Document[]> {
  const command: Document = {
    find: col.collectionName,
    filter: q.filter,
    limit: q.limit,
    batchSize: q.limit + 1,
  };
  if (q.projection) command.projection = q.projection;
  if (q.sort) command.sort = q.sort;
  if (q.maxTimeMS) command.maxTimeMS = q.maxTimeMS;
  const db = col.db;
  const { cursor } = await db.command(command);
  const id: number | Long = cursor.id;
  if (typeof id === "number" ? id === 0 : id.isZero()) return cursor.firstBatch;
  const cursors = [typeof id === "number" ? Long.fromNumber(id) : id];
  await db.command({ killCursors: col.collectionName, cursors }).catch(() => {});
  const { filter, projection, sort, limit, maxTimeMS } = q;
  return await col.find(filter, { projection, sort, limit, maxTimeMS }).toArray();
}

async function write<T>(op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (e) {
    throw refusedWrite(e) ?? e;
  }
}

export async function insertDocument(
  scope: DataScope,
  name: string,
  body: unknown,
): Promise<Tagged> {
  scope = await forWriting(scope);
  const { deps, org } = scope;
  const { document: doc, bytes } = sanitizeDocument(body, {
    _id: new ObjectId(),
    stamp: new ObjectId(),
  });
  checkSize(deps, org, bytes);
  const col = await ownCollection(deps, org, name);
  await adjustUsage(deps, org, { documents: 1 }, { check: true });
  try {
    await write(() => col.insertOne(doc));
  } catch (e) {
    releaseUsage(deps, org, { documents: 1 });
    throw e;
  }
  return tagged(doc);
}

/**
 * Insert 1–500 documents in order, every one validated first. A duplicate key part-way is 409
 * `duplicate_key` with the failing `index` and the ids that were inserted before it (read
 * back, so the answer holds whether the server kept or undid them).
 */
export async function insertBatch(
  scope: DataScope,
  name: string,
  documents: unknown[],
): Promise<{ insertedIds: string[] }> {
  scope = await forWriting(scope);
  const { deps, org } = scope;
  const docs = documents.map((d, i) => {
    const path = `documents.${i}`;
    const { document, bytes } = sanitizeDocument(d, {
      _id: new ObjectId(),
      stamp: new ObjectId(),
      path,
    });
    checkSize(deps, org, bytes, path);
    return document;
  });
  const col = await ownCollection(deps, org, name);
  await adjustUsage(deps, org, { documents: docs.length }, { check: true });
  try {
    await col.insertMany(docs, { ordered: true });
  } catch (e) {
    releaseUsage(deps, org, { documents: docs.length });
    if (!isDuplicateKey(e)) throw refusedWrite(e) ?? e;
    let index = 0;
    if (e instanceof MongoBulkWriteError) {
      const first = [e.writeErrors].flat()[0];
      index = first?.index ?? e.insertedCount;
    }
    return await partial(scope, col, docs, index);
  }
  return { insertedIds: docs.map((d) => d._id.toHexString()) };
}

async function partial(
  scope: DataScope,
  col: Collection,
  docs: Document[],
  index: number,
): Promise<never> {
  const before = docs.slice(0, index).map((d) => d._id as ObjectId);
  const found = before.length
    ? await col.find({ _id: { $in: before } }, { projection: { _id: 1 } }).toArray()
    : [];
  const kept = new Set(found.map((d) => (d._id as ObjectId).toHexString()));
  const insertedIds = before.map((id) => id.toHexString()).filter((id) => kept.has(id));
  await adjustUsage(scope.deps, scope.org, { documents: insertedIds.length });
  throw duplicateKey({ index, insertedIds });
}

export async function getDocument(scope: DataScope, name: string, id: string): Promise<Tagged> {
  scope = await forReading(scope);
  const col = await ownCollection(scope.deps, scope.org, name);
  const [doc] = await findBounded(col, { filter: { _id: parseId(id) }, limit: 1 });
  if (!doc) throw documentNotFound();
  return tagged(doc);
}

/** After a conditional write matched nothing: 412 if the document is there, else 404. */
async function missed(col: Collection, _id: ObjectId, ifMatch: ObjectId | null | undefined) {
  if (ifMatch !== undefined && await col.findOne({ _id }, { projection: { _id: 1 } })) {
    return preconditionFailed();
  }
  return documentNotFound();
}

/** The write filter: the document, and with `If-Match` its stamp (a foreign tag never matches). */
function target(_id: ObjectId, ifMatch: ObjectId | null | undefined): Document {
  if (ifMatch === undefined) return { _id };
  return { _id, [STAMP]: ifMatch ?? new ObjectId("000000000000000000000000") };
}

export async function replaceDocument(
  scope: DataScope,
  name: string,
  input: { id: string; body: unknown; ifMatch?: string },
): Promise<Tagged> {
  scope = await forWriting(scope);
  const { deps, org } = scope;
  const { document: replacement, bytes } = sanitizeDocument(input.body, {
    stamp: new ObjectId(),
    id: input.id,
  });
  const col = await ownCollection(deps, org, name);
  const _id = parseId(input.id);
  const ifMatch = stampOfTag(input.ifMatch);
  checkSize(deps, org, bytes);
  const doc = await write(() =>
    col.findOneAndReplace(target(_id, ifMatch), replacement, { returnDocument: "after" })
  );
  if (!doc) throw await missed(col, _id, ifMatch);
  return tagged(doc);
}

/**
 * Set fields (dotted paths set nested ones) and unset those given as `null`. The document the
 * patch makes is computed from the one read (./patch.ts) and checked like an insert (keys,
 * depth, values, the per-document quota) before anything is written; the write is conditional
 * on the stamp of the document read, so nothing written meanwhile is overwritten unchecked.
 * With `If-Match`, a document changed meanwhile is 412; without, the patch is computed again
 * over the new version, and 409 `conflict` after `PATCH_ATTEMPTS` tries.
 */
export async function patchDocument(
  scope: DataScope,
  name: string,
  input: { id: string; body: unknown; ifMatch?: string },
): Promise<Tagged> {
  scope = await forWriting(scope);
  const { deps, org } = scope;
  const patch = sanitizePatch(input.body);
  const col = await ownCollection(deps, org, name);
  const _id = parseId(input.id);
  const ifMatch = stampOfTag(input.ifMatch);
  for (let attempt = 1;; attempt++) {
    const [current] = await findBounded(col, { filter: { _id }, limit: 1 });
    if (!current) throw documentNotFound();
    const { _id: _, [STAMP]: version, ...fields } = current;
    if (
      ifMatch !== undefined && !(ifMatch && version instanceof ObjectId && ifMatch.equals(version))
    ) {
      throw preconditionFailed();
    }
    const plan = planPatch(fields, patch);
    const stamp = new ObjectId();
    const { bytes } = sanitizeDocument(plan.fields, { stamp });
    checkSize(deps, org, bytes);
    const update: Document = { $set: { ...plan.set, [STAMP]: stamp } };
    if (plan.unset.length) update.$unset = Object.fromEntries(plan.unset.map((p) => [p, ""]));
    const after = await write(() =>
      col.findOneAndUpdate({ _id, [STAMP]: version }, update, { returnDocument: "after" })
    );
    if (after) return tagged(after);
    if (ifMatch !== undefined) throw await missed(col, _id, ifMatch);
    if (attempt >= PATCH_ATTEMPTS) throw conflict();
  }
}

export async function deleteDocument(
  scope: DataScope,
  name: string,
  input: { id: string; ifMatch?: string },
): Promise<void> {
  scope = await forWriting(scope);
  const { deps, org } = scope;
  const col = await ownCollection(deps, org, name);
  const _id = parseId(input.id);
  const ifMatch = stampOfTag(input.ifMatch);
  if (org.move) {
    await noteMoveDeletion(deps.db.master, org.move.jobId, { collection: name, documentId: _id });
  }
  const { deletedCount } = await col.deleteOne(target(_id, ifMatch));
  if (deletedCount === 0) throw await missed(col, _id, ifMatch);
  await adjustUsage(deps, org, { documents: -1 });
  await recordEvent(deps, org, "document.deleted", scope.request, {
    collection: name,
    documentId: _id.toHexString(),
  });
}

export async function countDocuments(
  scope: DataScope,
  name: string,
  q: { filter?: string },
): Promise<{ count: number }> {
  scope = await forReading(scope);
  const filter = parseFilter(q.filter);
  const col = await ownCollection(scope.deps, scope.org, name);
  const maxTimeMS = scope.deps.config.dataMaxTimeMs;
  return {
    count: await runQuery(
      "invalid_filter",
      maxTimeMS,
      () => col.countDocuments(filter, { maxTimeMS }),
    ),
  };
}

export interface ListQuery {
  filter?: string;
  sort?: string;
  fields?: string;
  limit: number;
  cursor?: string;
}

const related = (a: string, b: string) => a === b || a.startsWith(`${b}.`) || b.startsWith(`${a}.`);

/** The value at `path`, copied into `out` at the same place. */
function copyPath(from: Document, out: Record<string, unknown>, path: string): void {
  const parts = path.split(".");
  let src: unknown = from;
  let dst = out;
  for (let i = 0; i < parts.length; i++) {
    if (!isPlainObject(src) || !(parts[i] in src)) return;
    src = src[parts[i]];
    if (i === parts.length - 1) dst[parts[i]] = src;
    else {
      if (!isPlainObject(dst[parts[i]])) dst[parts[i]] = {};
      dst = dst[parts[i]] as Record<string, unknown>;
    }
  }
}

function dropPath(doc: Record<string, unknown>, path: string): void {
  const parts = path.split(".");
  let cur: unknown = doc;
  for (let i = 0; i < parts.length - 1; i++) {
    if (!isPlainObject(cur)) return;
    cur = cur[parts[i]];
  }
  if (isPlainObject(cur)) delete cur[parts[parts.length - 1]];
}

/**
 * One page of documents: `filter`, `sort` (≤ 3 fields), `fields` projection, `limit` ≤ 100 and
 * the signed keyset cursor. The sort fields are always fetched (the cursor is made of them) and
 * the projection is applied to what is sent.
 */
export async function listDocuments(
  scope: DataScope,
  name: string,
  query: ListQuery,
): Promise<Page<WireDocument>> {
  scope = await forReading(scope);
  const { deps, org } = scope;
  const filter = parseFilter(query.filter);
  const sort = parseSort(query.sort);
  const fields = parseFields(query.fields);
  const col = await ownCollection(deps, org, name);
  const keyset = {
    sort: sort.fields,
    idDirection: sort.idDirection,
    scope: `documents:${org.id}:${name}:${JSON.stringify(sort)}`,
    secret: deps.config.jwtSecret,
  };
  const q = await keysetQuery(keyset, filter, { limit: query.limit, cursor: query.cursor });
  const needed = sort.fields.map((f) => f.field);
  let projection: Document;
  if (fields.include) {
    const wanted = [...fields.fields, ...needed].filter((p) => p !== "_id");
    projection = Object.fromEntries(
      wanted.filter((p) => !wanted.some((o) => o !== p && p.startsWith(`${o}.`))).map((
        p,
      ) => [p, 1]),
    );
  } else {
    projection = { [STAMP]: 0 };
    // A path inside another one left out is left out with it (MongoDB refuses both named).
    const left = fields.fields.filter((p) =>
      !fields.fields.some((o) => o !== p && p.startsWith(`${o}.`))
    );
    for (const p of left) {
      if (p !== "_id" && !needed.some((n) => related(n, p))) projection[p] = 0;
    }
  }
  const maxTimeMS = deps.config.dataMaxTimeMs;
  const rows = await runQuery(
    "invalid_filter",
    maxTimeMS,
    () =>
      findBounded(col, { filter: q.filter, projection, sort: q.sort, limit: q.fetch, maxTimeMS }),
  );
  const page = await keysetPage(keyset, rows, query.limit);
  const shape = (doc: Document): WireDocument => {
    const full = view(doc);
    if (fields.include) {
      const out: Record<string, unknown> = {};
      out._id = full._id;
      for (const p of fields.fields) if (p !== "_id") copyPath(full, out, p);
      return out as WireDocument;
    }
    for (const p of fields.fields) dropPath(full, p);
    return full;
  };
  return { items: page.items.map(shape), nextCursor: page.nextCursor };
}

/**
 * Run an allowed pipeline; at most 1,000 results and `MAX_AGGREGATE_BYTES` of them, within the
 * configured time limit. The results are read through a cursor in batches of
 * `AGGREGATE_BATCH` and counted in bytes as the driver hands them; past the bound the cursor
 * is closed (the server stops) and the answer is 400 `result_too_large`.
 */
export async function aggregate(
  scope: DataScope,
  name: string,
  pipeline: unknown,
): Promise<{ items: Record<string, unknown>[] }> {
  scope = await forReading(scope);
  const stages = sanitizePipeline(pipeline);
  const col = await ownCollection(scope.deps, scope.org, name);
  const maxTimeMS = scope.deps.config.dataMaxTimeMs;
  const rows = await runQuery("invalid_pipeline", maxTimeMS, async () => {
    const cursor = col.aggregate([...stages, { $limit: MAX_AGGREGATE_RESULTS }], {
      maxTimeMS,
      batchSize: AGGREGATE_BATCH,
    });
    try {
      const rows: Document[] = [];
      let bytes = 0;
      for await (const row of cursor) {
        bytes += BSON.calculateObjectSize(row);
        if (bytes > MAX_AGGREGATE_BYTES) throw resultTooLarge(MAX_AGGREGATE_BYTES);
        rows.push(row);
      }
      return rows;
    } finally {
      await cursor.close();
    }
  });
  return {
    items: rows.map((r) => {
      const { [STAMP]: _, ...rest } = r;
      return toWire(rest) as Record<string, unknown>;
    }),
  };
}
