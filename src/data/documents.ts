/**
 * An org's own documents one at a time: insert, batch insert, get, replace, patch and delete,
 * in the collections of the org in the caller's token only (many at a time: ./listing.ts and
 * ./aggregation.ts; the wire format: ./wire.ts; the driver calls: ./driver.ts).
 *
 * Every document carries a hidden write stamp (`_stamp`, a fresh ObjectId per write: unique
 * and time-ordered, so moving an org between deployments can copy what changed since a stamp).
 * It is the document's `ETag`, is never shown to clients nor writable or filterable by them,
 * and decides `If-Match` in the write itself: `{ _id, _stamp }` is the write's filter, so of
 * two writers with the same tag exactly one matches.
 *
 * Input is checked before the collection is looked up: bad input is 400 wherever it is sent.
 */
import { type Collection, type Document, MongoBulkWriteError, ObjectId } from "mongodb";
import { recordEvent } from "../audit/audit.ts";
import { isDuplicateKey } from "../platform/db.ts";
import type { Deps } from "../platform/deps.ts";
import {
  conflict,
  documentNotFound,
  duplicateKey,
  preconditionFailed,
  quotaExceeded,
} from "../platform/errors.ts";
import { noteMoveDeletion } from "../tenants/move-deletions.ts";
import type { Org } from "../tenants/orgs.ts";
import { adjustUsage, quotasOf, releaseUsage } from "../tenants/usage.ts";
import { ownCollection } from "./collections.ts";
import { findBounded, refusedWrite, write } from "./driver.ts";
import { planPatch } from "./patch.ts";
import { sanitizeDocument, sanitizePatch, STAMP } from "./sanitize.ts";
import { type DataScope, forReading, forWriting } from "./scope.ts";
import { parseId, stampOfTag, type Tagged, tagged } from "./wire.ts";

/** Documents in one batch insert. */
export const MAX_BATCH = 500;
/** Reads and conditional writes of one PATCH without `If-Match` before 409 `conflict`. */
const PATCH_ATTEMPTS = 10;

/** 403 `quota_exceeded` for a document of more `bytes` (its size in BSON) than the quota. */
function checkSize(deps: Deps, org: Org, bytes: number, path = ""): void {
  const limit = quotasOf(deps, org).documentBytes;
  if (bytes > limit) {
    const e = quotaExceeded("bytes per document", limit);
    if (path) e.extra.errors = [{ path, message: `Larger than ${limit} bytes` }];
    throw e;
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
