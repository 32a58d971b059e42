/**
 * Reading many documents: one page of a collection (filter, sort, projection, keyset cursor)
 * and the count of a filter. Input is checked before the collection is looked up.
 */
import type { Document } from "mongodb";
import { keysetPage, keysetQuery, type Page } from "../platform/paging.ts";
import { ownCollection } from "./collections.ts";
import { findBounded, runQuery } from "./driver.ts";
import { isPlainObject, parseFields, parseFilter, parseSort, STAMP } from "./sanitize.ts";
import { type DataScope, forReading } from "./scope.ts";
import { view, type WireDocument } from "./wire.ts";

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

type Fields = ReturnType<typeof parseFields>;

/**
 * What to read: the fields asked for, or all but those left out, and always the sort fields
 * (`needed`: the cursor is made of them), never the stamp.
 */
function projectionOf(fields: Fields, needed: string[]): Document {
  if (fields.include) {
    const wanted = [...fields.fields, ...needed].filter((p) => p !== "_id");
    return Object.fromEntries(
      wanted.filter((p) => !wanted.some((o) => o !== p && p.startsWith(`${o}.`))).map((
        p,
      ) => [p, 1]),
    );
  }
  const projection: Document = { [STAMP]: 0 };
  // A path inside another one left out is left out with it (MongoDB refuses both named).
  const left = fields.fields.filter((p) =>
    !fields.fields.some((o) => o !== p && p.startsWith(`${o}.`))
  );
  for (const p of left) {
    if (p !== "_id" && !needed.some((n) => related(n, p))) projection[p] = 0;
  }
  return projection;
}

/** A document read for a page, as sent: only the fields asked for, or without those left out. */
function shaped(doc: Document, fields: Fields): WireDocument {
  const full = view(doc);
  if (fields.include) {
    const out: Record<string, unknown> = {};
    out._id = full._id;
    for (const p of fields.fields) if (p !== "_id") copyPath(full, out, p);
    return out as WireDocument;
  }
  for (const p of fields.fields) dropPath(full, p);
  return full;
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
  const projection = projectionOf(fields, sort.fields.map((f) => f.field));
  const maxTimeMS = deps.config.dataMaxTimeMs;
  const rows = await runQuery(
    "invalid_filter",
    maxTimeMS,
    () =>
      findBounded(col, { filter: q.filter, projection, sort: q.sort, limit: q.fetch, maxTimeMS }),
  );
  const page = await keysetPage(keyset, rows, query.limit);
  return { items: page.items.map((d) => shaped(d, fields)), nextCursor: page.nextCursor };
}
