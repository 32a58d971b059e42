/**
 * A collection's indexes after its creation: listed, added (built before the answer) and
 * dropped. Names starting with `_` are the service's (`_id_` is shown and never dropped); the
 * API gives names that start with a letter. A move copies every index of a collection, these
 * too (src/ops/move/indexes.ts).
 */
import type { Collection, Document } from "mongodb";
import { recordEvent } from "../audit/audit.ts";
import { isIndexClash, isIndexNotFound, isUniqueBuildRefused } from "../platform/db.ts";
import {
  duplicateKey,
  indexExists,
  indexNotFound,
  invalidField,
  quotaExceeded,
} from "../platform/errors.ts";
import {
  checkIndexFields,
  defaultIndexName,
  type IndexView,
  indexView,
  isServiceIndex,
  ownCollection,
  shownIndexes,
} from "./collections.ts";
import { type DataScope, forReading, forWriting } from "./scope.ts";

/** Indexes a collection may have besides `_id_`. */
export const MAX_COLLECTION_INDEXES = 20;
/** A name asked for: a letter, then letters, digits, `_`, `.` or `-`; at most 64 characters. */
export const INDEX_NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;

export interface NewIndex {
  fields: Record<string, 1 | -1>;
  unique?: boolean;
  name?: string;
}

/** The collection's indexes (`_id_` among them). */
export async function listIndexes(scope: DataScope, name: string): Promise<{ items: IndexView[] }> {
  scope = await forReading(scope);
  const col = await ownCollection(scope.deps, scope.org, name);
  return { items: (await shownIndexes(col)).map(indexView) };
}

const keyText = (key: Record<string, unknown>) =>
  JSON.stringify(Object.entries(key).map(([f, d]) => [f, Number(d)]));

/**
 * Add an index and build it before answering. 409 `index_exists` for a name or a key (fields in
 * order, with directions) that an index has; 409 `duplicate_key` when a unique index finds a key
 * repeated, and then no index is left; 403 `quota_exceeded` past MAX_COLLECTION_INDEXES.
 */
export async function createIndex(
  scope: DataScope,
  collection: string,
  input: NewIndex,
): Promise<IndexView> {
  scope = await forWriting(scope);
  const { deps, org } = scope;
  checkIndexFields(input.fields, "fields");
  if (input.name !== undefined && !INDEX_NAME.test(input.name)) {
    throw invalidField("name", "Use 1–64 letters, digits, _, . or -, starting with a letter");
  }
  const name = input.name ?? defaultIndexName(input.fields);
  const col = await ownCollection(deps, org, collection);
  const all = await col.listIndexes().toArray();
  const sameName = all.find((i) => i.name === name);
  if (sameName) throw indexExists(`An index named ${name} exists`);
  const sameKey = all.find((i) => keyText(i.key) === keyText(input.fields));
  if (sameKey) throw indexExists(`The index ${sameKey.name} has these fields`);
  const own = all.filter((i) => i.name !== "_id_" && !isServiceIndex(String(i.name)));
  if (own.length >= MAX_COLLECTION_INDEXES) {
    throw quotaExceeded("indexes in a collection", MAX_COLLECTION_INDEXES);
  }
  const unique = input.unique === true;
  try {
    await col.createIndex(input.fields, { name, unique });
  } catch (e) {
    if (isUniqueBuildRefused(e)) {
      await dropQuietly(col, name); // a server that kept a part of it keeps nothing
      throw duplicateKey({}, "Documents already repeat a key of this unique index");
    }
    if (isIndexClash(e)) {
      throw indexExists(`An index named ${name}, or over these fields, exists`);
    }
    throw e;
  }
  await recordEvent(deps, org, "index.created", scope.request, { collection, index: name });
  const made = (await col.listIndexes().toArray()).find((i) => i.name === name);
  return made ? indexView(made) : { name, fields: input.fields, unique };
}

async function dropQuietly(col: Collection, name: string): Promise<void> {
  try {
    await col.dropIndex(name);
  } catch {
    // Not there: nothing was left.
  }
}

/** Drop an index; `_id_` (and the service's) is 400, an unknown one 404 `index_not_found`. */
export async function dropIndex(scope: DataScope, collection: string, name: string) {
  scope = await forWriting(scope);
  const { deps, org } = scope;
  if (name === "_id_") throw invalidField("index", "The _id_ index cannot be dropped");
  if (isServiceIndex(name)) throw invalidField("index", "Names starting with _ are reserved");
  const col = await ownCollection(deps, org, collection);
  const there = (await col.listIndexes().toArray()).some((i: Document) => i.name === name);
  if (!there) throw indexNotFound();
  try {
    await col.dropIndex(name);
  } catch (e) {
    // IndexNotFound: dropped by a concurrent request.
    if (isIndexNotFound(e)) throw indexNotFound();
    throw e;
  }
  await recordEvent(deps, org, "index.dropped", scope.request, { collection, index: name });
}
