/**
 * An org's own collections: names, listing with counts and indexes, create with indexes, drop.
 *
 * The names of an org's collections are cached (the short-TTL cache, ≤ 5 s) so a document
 * request costs no listing; a name missing from the cached list is looked up again before it
 * is called unknown, so a collection created on another instance is found at once. A collection
 * dropped on another instance may still be written to here within the cache's TTL, which
 * creates it again without its indexes; the next listing shows it and the owner can drop it.
 */
import type { Collection, Db, Document } from "mongodb";
import { recordEvent } from "../audit/audit.ts";
import { emitEvent } from "../events/catalogue.ts";
import { tag } from "../platform/cache.ts";
import { isNamespaceExists, isNamespaceNotFound } from "../platform/db.ts";
import type { Deps } from "../platform/deps.ts";
import { noteMoveDeletion } from "../tenants/move-deletions.ts";
import { isServiceCollection } from "../tenants/service-collections.ts";
import type { Org } from "../tenants/orgs.ts";
import { collectionExists, collectionNotFound, invalidField } from "../platform/errors.ts";
import { pathProblem } from "./sanitize.ts";
import { type DataScope, forReading, forWriting } from "./scope.ts";
import { adjustUsage, releaseUsage } from "../tenants/usage.ts";

export const COLLECTION_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
export const MAX_INDEXES = 10;
export const MAX_INDEX_FIELDS = 5;

export interface IndexSpec {
  fields: Record<string, 1 | -1>;
  unique?: boolean;
}

export interface IndexView {
  name: string;
  fields: Record<string, number>;
  unique: boolean;
}

export interface CollectionView {
  name: string;
  count: number;
  indexes: IndexView[];
}

/** Why `name` cannot name a tenant's collection, or null if it can. */
export function collectionNameProblem(name: string): string | null {
  if (!COLLECTION_NAME.test(name)) {
    return "Use 1–64 letters, digits, _ or -, starting with a letter";
  }
  if (/^system/i.test(name) || isServiceCollection(name)) return "This name is reserved";
  return null;
}

const isOwn = (name: string) => collectionNameProblem(name) === null;
const namesKey = (org: Org) => `collections:${org.id}`;
const namesTag = (org: Org) => `collections:${org.id}`;

async function listNames(db: Db): Promise<string[]> {
  const all = await db.listCollections({}, { nameOnly: true, authorizedCollections: true })
    .toArray();
  return all.map((c) => c.name).filter(isOwn).sort();
}

function cachedNames(deps: Deps, org: Org): Promise<string[]> {
  return deps.cache.get(namesKey(org), async () => ({
    value: await listNames(deps.db.tenantDb(org)),
    tags: [tag.org(org.id), namesTag(org)],
  }));
}

/**
 * `Collection` objects by database, made once: each copies its options, and a document request
 * needs one. Only names found in the org's listing get here, so a database holds no more of
 * them than it has collections, and they go with their `Db`.
 */
const collections = new WeakMap<Db, Map<string, Collection>>();

function collectionOf(db: Db, name: string): Collection {
  let byName = collections.get(db);
  if (!byName) collections.set(db, byName = new Map());
  let col = byName.get(name);
  if (!col) byName.set(name, col = db.collection(name));
  return col;
}

/** The org's collection `name`; 404 `collection_not_found` for an unknown or reserved name. */
export async function ownCollection(deps: Deps, org: Org, name: string): Promise<Collection> {
  if (!isOwn(name)) throw collectionNotFound();
  if (!(await cachedNames(deps, org)).includes(name)) {
    deps.cache.forget(namesTag(org));
    if (!(await cachedNames(deps, org)).includes(name)) throw collectionNotFound();
  }
  return collectionOf(deps.db.tenantDb(org), name);
}

/**
 * Index names starting with `_` are the service's: `_id_`, shown and never dropped, and those a
 * move makes for a while at the source, neither shown nor counted. Names the API gives start
 * with a letter.
 */
export const isServiceIndex = (name: string) => name.startsWith("_") && name !== "_id_";

/** An index as the API shows it. */
export function indexView(i: Document): IndexView {
  return {
    name: String(i.name),
    fields: i.key as Record<string, number>,
    unique: i.unique === true || i.name === "_id_",
  };
}

/** The collection's indexes that the API shows: `_id_` first, then by name; not the service's. */
export async function shownIndexes(col: Collection): Promise<Document[]> {
  const rank = (i: Document) => i.name === "_id_" ? "" : `~${i.name}`;
  return (await col.listIndexes().toArray()).filter((i) => !isServiceIndex(String(i.name)))
    .sort((a, b) => rank(a) < rank(b) ? -1 : rank(a) > rank(b) ? 1 : 0);
}

/**
 * The name the API gives an index over `fields` when none is asked for: the server's own
 * convention (`email_1`, `lastName_1_firstName_-1`) in the characters a path segment may carry
 * (others become `_`), starting with a letter (`ix_` is put before one that does not), at most
 * 128 characters, so every index it makes can be named in `DELETE .../indexes/{index}`.
 */
export function defaultIndexName(fields: Record<string, number>): string {
  const name = Object.entries(fields).map(([f, d]) => `${f}_${d}`).join("_")
    .replace(/[^A-Za-z0-9_.-]/g, "_");
  return (/^[A-Za-z]/.test(name) ? name : `ix_${name}`).slice(0, 128);
}

async function viewOf(col: Collection): Promise<CollectionView> {
  const [count, indexes] = await Promise.all([
    col.estimatedDocumentCount(),
    shownIndexes(col),
  ]);
  return { name: col.collectionName, count, indexes: indexes.map(indexView) };
}

export async function listCollections(scope: DataScope): Promise<{ items: CollectionView[] }> {
  scope = await forReading(scope);
  const db = scope.deps.db.tenantDb(scope.org);
  const names = await listNames(db);
  return { items: await Promise.all(names.map((n) => viewOf(db.collection(n)))) };
}

/** Check an index's fields (1–5 field paths as documents name them, each 1 or -1); 400 if not. */
export function checkIndexFields(fields: Record<string, number>, at: string): void {
  const entries = Object.entries(fields);
  if (entries.length === 0 || entries.length > MAX_INDEX_FIELDS) {
    throw invalidField(at, `An index has 1–${MAX_INDEX_FIELDS} fields`);
  }
  for (const [field, dir] of entries) {
    const problem = pathProblem(field);
    if (problem) throw invalidField(`${at}.${field}`, problem);
    if (dir !== 1 && dir !== -1) throw invalidField(`${at}.${field}`, "1 or -1");
  }
}

function checkIndexes(indexes: IndexSpec[]): void {
  indexes.forEach((ix, i) => checkIndexFields(ix.fields, `indexes.${i}.fields`));
}

/** Create a collection and its indexes; 409 `collection_exists`, 403 `quota_exceeded`. */
export async function createCollection(
  scope: DataScope,
  input: { name: string; indexes?: IndexSpec[] },
): Promise<CollectionView> {
  scope = await forWriting(scope);
  const { deps, org } = scope;
  const problem = collectionNameProblem(input.name);
  if (problem) throw invalidField("name", problem);
  const indexes = input.indexes ?? [];
  if (indexes.length > MAX_INDEXES) {
    throw invalidField("indexes", `At most ${MAX_INDEXES} indexes`);
  }
  checkIndexes(indexes);
  const db = deps.db.tenantDb(org);
  if ((await listNames(db)).includes(input.name)) throw collectionExists(input.name);
  await adjustUsage(deps, org, { collections: 1 }, { check: true });
  try {
    await db.createCollection(input.name);
  } catch (e) {
    releaseUsage(deps, org, { collections: 1 });
    // Created by a concurrent request.
    if (isNamespaceExists(e)) throw collectionExists(input.name);
    throw e;
  } finally {
    deps.cache.forget(namesTag(org));
  }
  const col = db.collection(input.name);
  for (const ix of indexes) {
    await col.createIndex(ix.fields, {
      name: defaultIndexName(ix.fields),
      unique: ix.unique === true,
    });
  }
  await recordEvent(deps, org, "collection.created", scope.request, { collection: input.name });
  await emitEvent(deps, { org, type: "collection.created", data: { name: input.name } });
  return await viewOf(col);
}

/** Drop a collection and its documents; 404 `collection_not_found`. */
export async function dropCollection(scope: DataScope, name: string): Promise<void> {
  scope = await forWriting(scope);
  const { deps, org } = scope;
  const col = await ownCollection(deps, org, name);
  const count = await col.estimatedDocumentCount();
  if (org.move) await noteMoveDeletion(deps.db.master, org.move.jobId, { collection: name });
  let dropped: boolean;
  try {
    dropped = await col.drop();
  } catch (e) {
    // Dropped by a concurrent request.
    if (isNamespaceNotFound(e)) dropped = false;
    else throw e;
  } finally {
    deps.cache.forget(namesTag(org));
  }
  if (!dropped) throw collectionNotFound();
  await adjustUsage(deps, org, { collections: -1, documents: -count });
  await recordEvent(deps, org, "collection.dropped", scope.request, { collection: name });
  await emitEvent(deps, { org, type: "collection.dropped", data: { name } });
}

/** Recount the org's collections and documents (the maintenance pass). */
