/**
 * The one sanitizer of what clients send into their database: filters, documents, patches,
 * sorts, projections and aggregation pipelines (docs/data-api.md).
 *
 * Everything is an allow-list: field paths and the operators, stages and accumulators named in
 * docs/data-api.md, nothing else — so `$where`, `$function`, `$expr`, `$regex`, `$lookup`, `$out`,
 * `$merge` and any operator added to MongoDB later never reach the driver. Input is bounded in
 * depth (20) and size before anything walks it further, and no path may name the hidden write
 * stamp, so clients can neither read, filter on nor write it.
 */
import { type Document, ObjectId } from "mongodb";
import {
  type AppError,
  type FieldError,
  invalidFilter,
  invalidPipeline,
  validationFailed,
} from "../platform/errors.ts";
import { isId } from "../platform/ids.ts";
import { MAX_SORT_FIELDS, type SortField } from "../platform/paging.ts";
import { STAMP_FIELD } from "../tenants/service-collections.ts";

/** The hidden per-document write stamp (the source of the `ETag`), never shown to clients. */
export const STAMP = STAMP_FIELD;

export const MAX_DEPTH = 20;
/** Values (objects, arrays and scalars) in one filter or pipeline. */
export const MAX_NODES = 10_000;
export const MAX_PATH_LENGTH = 256;
export const MAX_STAGES = 50;
export const MAX_PROJECTION_FIELDS = 50;
/** The largest array index a PATCH path may name: setting past an array's end pads it. */
export const MAX_ARRAY_INDEX = 10_000;
/** Fields of one `$sort`: MongoDB's and FerretDB's own limit, refused here by name. */
export const MAX_SORT_KEYS = 32;
const MAX_IN_VALUES = 1_000;
const MAX_BRANCHES = 100;

const COMPARISONS = new Set(["$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin", "$exists"]);
const LOGICAL = new Set(["$and", "$or"]);
const STAGES = new Set([
  "$match",
  "$group",
  "$sort",
  "$skip",
  "$limit",
  "$project",
  "$unwind",
  "$count",
]);
const ACCUMULATORS = new Set([
  "$sum",
  "$avg",
  "$min",
  "$max",
  "$first",
  "$last",
  "$push",
  "$count",
]);

type Code = "invalid_filter" | "invalid_pipeline" | "validation_failed";

class Refused extends Error {
  constructor(readonly path: string, message: string) {
    super(message);
  }
}

const TITLES: Record<Code, string> = {
  invalid_filter: "The filter is not allowed",
  invalid_pipeline: "The pipeline is not allowed",
  validation_failed: "The document is not valid",
};

const REFUSALS: Record<Code, (detail: string, errors: FieldError[]) => AppError> = {
  invalid_filter: invalidFilter,
  invalid_pipeline: invalidPipeline,
  validation_failed: validationFailed,
};

/** Run a check; a refusal becomes a 400 with `code` and the failing path. */
function run<T>(code: Code, check: () => T): T {
  try {
    return check();
  } catch (e) {
    if (!(e instanceof Refused)) throw e;
    const errors: FieldError[] = [{ path: e.path, message: e.message }];
    throw REFUSALS[code](`${TITLES[code]}: ${e.path ? `${e.path}: ` : ""}${e.message}`, errors);
  }
}

const join = (path: string, key: string | number) => (path ? `${path}.${key}` : String(key));

export const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v) &&
  (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null);

/**
 * Where a walk through a value is: the path it started at and the keys taken below it. The path
 * is spelled out only for a refusal, so walking a large document builds no string per value.
 */
class Trail {
  readonly keys: (string | number)[] = [];
  constructor(readonly base: string) {}
  toString(): string {
    let path = this.base;
    for (const key of this.keys) path = join(path, key);
    return path;
  }
}

/** Counts values and depth as a walk goes, refusing past the bounds. */
class Budget {
  nodes = 0;
  visit(at: string | Trail, depth: number) {
    if (depth > MAX_DEPTH) throw new Refused(String(at), `Nested deeper than ${MAX_DEPTH} levels`);
    if (++this.nodes > MAX_NODES) throw new Refused(String(at), `More than ${MAX_NODES} values`);
  }
}

/**
 * Characters no field name may hold besides `.`: NUL and the other control characters, `"` and
 * `\`. FerretDB stores documents as JSON text without escaping names, so such a name either
 * fails the write or makes the whole collection unreadable; an org's data must fit every
 * deployment it may be moved to.
 */
// deno-lint-ignore no-control-regex -- control characters are exactly what it finds
const BAD_NAME_CHARS = /[\u0000-\u001f\u007f"\\]/;

/** Why `key` cannot be a key of a stored document, or null if it can. */
function keyProblem(key: string): string | null {
  if (key.startsWith("$")) return "Keys must not start with $";
  if (key.includes(".")) return "Keys must not contain .";
  if (key.includes("\0")) return "Keys must not contain NUL";
  if (BAD_NAME_CHARS.test(key)) return 'Keys must not contain control characters, " or \\';
  return null;
}

/** Why `path` cannot name a field, or null if it can (dotted paths name nested fields). */
export function pathProblem(path: string): string | null {
  if (path.length === 0 || path.length > MAX_PATH_LENGTH) {
    return `Field paths have 1–${MAX_PATH_LENGTH} characters`;
  }
  if (path.includes("\0")) return "Field paths must not contain NUL";
  if (BAD_NAME_CHARS.test(path)) {
    return 'Field paths must not contain control characters, " or \\';
  }
  const parts = path.split(".");
  if (parts.some((p) => p === "")) return "Field paths must not have empty parts";
  if (parts.some((p) => p.startsWith("$"))) {
    return "Only the operators listed in the API are allowed";
  }
  if (parts[0] === STAMP) return `${STAMP} is reserved`;
  return null;
}

function checkPath(where: string, path: string) {
  const problem = pathProblem(path);
  if (problem) throw new Refused(where, problem);
}

/** UTF-8 length of a string as the BSON serializer counts it (a lone surrogate as U+FFFD). */
export function utf8Length(s: string): number {
  let bytes = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) {
      bytes += 1;
      continue;
    }
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 2; // four bytes for the pair's two units
        i++;
        continue;
      }
    }
    bytes += 2;
  }
  return bytes;
}

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/** A field's size in BSON: type byte, name and its NUL, and the value's own bytes. */
const elementSize = (name: string | number, valueBytes: number) =>
  2 + (typeof name === "number" ? String(name).length : utf8Length(name)) + valueBytes;

/**
 * A stored value: JSON scalars, arrays and objects whose keys are plain field names. Arrays
 * directly inside arrays are refused: FerretDB cannot store them, and an org's data must fit
 * every deployment it may be moved to (an array of objects holding arrays is fine). Returns
 * the value's size in BSON (what the serializer writes after the field's name), so that a
 * document's size comes from the same walk that checks it.
 */
function literal(
  value: unknown,
  at: Trail,
  depth: number,
  budget: Budget,
  inArray = false,
): number {
  budget.visit(at, depth);
  if (value === null) return 0;
  switch (typeof value) {
    case "string":
      return 5 + utf8Length(value);
    case "boolean":
      return 1;
    case "number":
      if (!Number.isFinite(value)) throw new Refused(String(at), "Numbers must be finite");
      // The serializer writes an integer that fits as an int32, anything else as a double.
      return Number.isInteger(value) && value >= INT32_MIN && value <= INT32_MAX &&
          !Object.is(value, -0)
        ? 4
        : 8;
  }
  if (Array.isArray(value)) {
    if (inArray) {
      throw new Refused(String(at), "Arrays directly inside arrays are not supported");
    }
    let bytes = 5;
    for (let i = 0; i < value.length; i++) {
      at.keys.push(i);
      bytes += elementSize(i, literal(value[i], at, depth + 1, budget, true));
      at.keys.pop();
    }
    return bytes;
  }
  if (isPlainObject(value)) {
    let bytes = 5;
    for (const k of Object.keys(value)) {
      at.keys.push(k);
      const problem = keyProblem(k);
      if (problem) throw new Refused(String(at), problem);
      bytes += elementSize(k, literal(value[k], at, depth + 1, budget));
      at.keys.pop();
    }
    return bytes;
  }
  throw new Refused(String(at), "Only JSON values are allowed");
}

/** `_id` values are ObjectIds in the database and 24-hex strings on the wire. */
const idValue = (v: unknown) => typeof v === "string" && isId(v) ? new ObjectId(v) : v;

function operand(field: string, value: unknown, path: string, depth: number, budget: Budget) {
  literal(value, new Trail(path), depth, budget);
  return field === "_id" ? idValue(value) : value;
}

function filter(value: unknown, path: string, depth: number, budget: Budget): Document {
  budget.visit(path, depth);
  if (!isPlainObject(value)) throw new Refused(path, "A filter is a JSON object");
  const out: Document = {};
  for (const [key, v] of Object.entries(value)) {
    const at = join(path, key);
    if (key.startsWith("$")) {
      if (!LOGICAL.has(key)) throw new Refused(at, `${key} is not allowed`);
      if (!Array.isArray(v) || v.length === 0 || v.length > MAX_BRANCHES) {
        throw new Refused(at, `${key} takes 1–${MAX_BRANCHES} filters`);
      }
      budget.visit(at, depth + 1);
      out[key] = v.map((f, i) => filter(f, join(at, i), depth + 2, budget));
      continue;
    }
    checkPath(at, key);
    const ops = isPlainObject(v) ? Object.keys(v) : [];
    if (ops.length && ops.some((k) => k.startsWith("$"))) {
      if (!ops.every((k) => k.startsWith("$"))) {
        throw new Refused(at, "Operators and fields cannot be mixed");
      }
      budget.visit(at, depth + 1);
      const cond: Document = {};
      for (const [op, arg] of Object.entries(v as Record<string, unknown>)) {
        const opAt = join(at, op);
        if (!COMPARISONS.has(op)) throw new Refused(opAt, `${op} is not allowed`);
        if (op === "$exists") {
          if (typeof arg !== "boolean") throw new Refused(opAt, "$exists takes true or false");
          cond[op] = arg;
        } else if (op === "$in" || op === "$nin") {
          if (!Array.isArray(arg) || arg.length > MAX_IN_VALUES) {
            throw new Refused(opAt, `${op} takes an array of at most ${MAX_IN_VALUES} values`);
          }
          budget.visit(opAt, depth + 2);
          cond[op] = arg.map((x, i) => operand(key, x, join(opAt, i), depth + 3, budget));
        } else {
          cond[op] = operand(key, arg, opAt, depth + 2, budget);
        }
      }
      out[key] = cond;
    } else {
      out[key] = operand(key, v, at, depth + 1, budget);
    }
  }
  return out;
}

/** A filter: 400 `invalid_filter` unless it uses only field paths and the allowed operators. */
export function sanitizeFilter(value: unknown, path = "filter"): Document {
  return run("invalid_filter", () => filter(value, path, 1, new Budget()));
}

/** Parse the `?filter=` query parameter (JSON) and sanitize it. */
export function parseFilter(text: string | undefined): Document {
  if (text === undefined || text === "") return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalidFilter("The filter is not valid JSON", [{
      path: "filter",
      message: "Not valid JSON",
    }]);
  }
  return sanitizeFilter(value);
}

/** BSON bytes of a stored document besides its fields: the frame, `_id` and the stamp. */
const STORED_OVERHEAD = 5 + elementSize("_id", 12) + elementSize(STAMP, 12);

export interface StoredDocument {
  /** The client's fields between `_id` (when given) and the stamp. */
  document: Document;
  /** Its size in BSON once stored, with its `_id` and the stamp (both ObjectIds). */
  bytes: number;
}

/**
 * A document to store: keys must not start with `$` or contain `.` or NUL; `_id` is the
 * server's (a PUT may repeat the document's own `_id`, `opts.id`); the stamp is never the
 * client's. The document to write is built here, from the checked input only: `opts._id`
 * first (a PUT leaves it out: the stored document keeps its own), then the client's fields,
 * then `opts.stamp`.
 */
export function sanitizeDocument(
  value: unknown,
  opts: { stamp: ObjectId; _id?: ObjectId; path?: string; id?: string },
): StoredDocument {
  const path = opts.path ?? "";
  return run("validation_failed", () => {
    if (!isPlainObject(value)) throw new Refused(path, "A document is a JSON object");
    const hasId = "_id" in value;
    if (hasId && !(opts.id !== undefined && value._id === opts.id)) {
      throw new Refused(join(path, "_id"), "_id is assigned by the server");
    }
    if (STAMP in value) throw new Refused(join(path, STAMP), `${STAMP} is reserved`);
    const budget = new Budget();
    const at = new Trail(path);
    budget.visit(at, 1);
    let bytes = STORED_OVERHEAD;
    for (const k of Object.keys(value)) {
      if (k === "_id") continue;
      at.keys.push(k);
      const problem = keyProblem(k);
      if (problem) throw new Refused(String(at), problem);
      bytes += elementSize(k, literal(value[k], at, 2, budget));
      at.keys.pop();
    }
    let fields: Record<string, unknown> = value;
    if (hasId) {
      const { _id: _, ...rest } = value;
      fields = rest;
    }
    const document = opts._id
      ? { _id: opts._id, ...fields, [STAMP]: opts.stamp }
      : { ...fields, [STAMP]: opts.stamp };
    return { document, bytes };
  });
}

/**
 * A PATCH body: dotted paths set nested fields, `null` unsets. A path part that is a number is
 * an array index, at most `MAX_ARRAY_INDEX` however it is spelled (leading zeros included),
 * since setting one past an array's end makes the server pad the array up to it. What the
 * patch makes of the document is checked by `planPatch` (./patch.ts) and `sanitizeDocument`.
 */
export function sanitizePatch(value: unknown): { set: Document; unset: string[] } {
  return run("validation_failed", () => {
    if (!isPlainObject(value)) throw new Refused("", "A patch is a JSON object");
    const entries = Object.entries(value);
    if (entries.length === 0) throw new Refused("", "A patch sets or unsets at least one field");
    const budget = new Budget();
    const set: Document = {};
    const unset: string[] = [];
    for (const [key, v] of entries) {
      checkPath(key, key);
      if (key === "_id" || key.startsWith("_id.")) throw new Refused(key, "_id cannot change");
      // A path is read as written; its own characters are checked like a document's keys.
      for (const part of key.split(".")) {
        const problem = keyProblem(part);
        if (problem) throw new Refused(key, problem);
        if (/^\d+$/.test(part) && Number(part) > MAX_ARRAY_INDEX) {
          throw new Refused(key, `An array index is at most ${MAX_ARRAY_INDEX}`);
        }
      }
      if (v === null) unset.push(key);
      else set[key] = (literal(v, new Trail(key), key.split(".").length, budget), v);
    }
    // No path may lie inside another (MongoDB refuses such an update as a conflict).
    const keys = new Set(entries.map(([k]) => k));
    for (const key of keys) {
      const parts = key.split(".");
      for (let i = 1; i < parts.length; i++) {
        const outer = parts.slice(0, i).join(".");
        if (keys.has(outer)) throw new Refused(key, `Conflicts with ${outer}`);
      }
    }
    return { set, unset };
  });
}

/** `?sort=-createdAt,name`: at most three field paths, `-` for descending; `_id` only last. */
export function parseSort(text: string | undefined): { fields: SortField[]; idDirection: 1 | -1 } {
  const result = { fields: [] as SortField[], idDirection: 1 as 1 | -1 };
  if (text === undefined || text === "") return result;
  return run("validation_failed", () => {
    const parts = text.split(",");
    if (parts.length > MAX_SORT_FIELDS) {
      throw new Refused("sort", `At most ${MAX_SORT_FIELDS} fields`);
    }
    parts.forEach((raw, i) => {
      const direction = raw.startsWith("-") ? -1 : 1;
      const field = raw.replace(/^[-+]/, "");
      checkPath("sort", field);
      if (field === "_id") {
        if (i !== parts.length - 1) throw new Refused("sort", "_id can only be the last field");
        result.idDirection = direction;
      } else if (field.startsWith("_id.")) {
        throw new Refused("sort", "_id has no fields");
      } else {
        if (result.fields.some((f) => f.field === field)) {
          throw new Refused("sort", `${field} is named twice`);
        }
        result.fields.push({ field, direction });
      }
    });
    return result;
  });
}

/** `?fields=name,email` (only these, and `_id`) or `?fields=-payload` (all but these). */
export function parseFields(text: string | undefined): { include: boolean; fields: string[] } {
  if (text === undefined || text === "") return { include: false, fields: [] };
  return run("validation_failed", () => {
    const parts = text.split(",");
    if (parts.length > MAX_PROJECTION_FIELDS) {
      throw new Refused("fields", `At most ${MAX_PROJECTION_FIELDS} fields`);
    }
    const include = !parts[0].startsWith("-");
    const fields = parts.map((raw) => {
      if (raw.startsWith("-") === include) {
        throw new Refused("fields", "Either name the fields to return or those to leave out");
      }
      const field = include ? raw : raw.slice(1);
      checkPath("fields", field);
      return field;
    });
    return { include, fields };
  });
}

/** An aggregation expression: a field reference (`"$a.b"`), a literal, or an object of them. */
function expression(value: unknown, path: string, depth: number, budget: Budget): void {
  budget.visit(path, depth);
  if (typeof value === "string") {
    if (value.startsWith("$$")) throw new Refused(path, "Variables are not allowed");
    if (value.startsWith("$")) checkPath(path, value.slice(1));
    return;
  }
  if (value === null || typeof value === "boolean") return;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new Refused(path, "Numbers must be finite");
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((v, i) => expression(v, join(path, i), depth + 1, budget));
    return;
  }
  if (isPlainObject(value)) {
    for (const [k, v] of Object.entries(value)) {
      if (k.startsWith("$")) throw new Refused(join(path, k), `${k} is not allowed`);
      const problem = keyProblem(k);
      if (problem) throw new Refused(join(path, k), problem);
      expression(v, join(path, k), depth + 1, budget);
    }
    return;
  }
  throw new Refused(path, "Only JSON values are allowed");
}

/** A name a stage creates (`$count`, `$group` outputs, `includeArrayIndex`). */
function outputName(value: unknown, path: string) {
  if (typeof value !== "string" || value === "") throw new Refused(path, "A field name");
  const problem = keyProblem(value) ?? pathProblem(value);
  if (problem) throw new Refused(path, problem);
}

function projection(value: unknown, path: string, depth: number, budget: Budget): void {
  budget.visit(path, depth);
  if (!isPlainObject(value) || Object.keys(value).length === 0) {
    throw new Refused(path, "$project takes an object of fields");
  }
  for (const [k, v] of Object.entries(value)) {
    const at = join(path, k);
    checkPath(at, k);
    if (v === 0 || v === 1 || typeof v === "boolean") {
      budget.visit(at, depth + 1);
    } else if (typeof v === "string" && v.startsWith("$")) {
      expression(v, at, depth + 1, budget);
    } else if (isPlainObject(v)) {
      projection(v, at, depth + 1, budget);
    } else {
      throw new Refused(at, "0, 1, a field reference or a nested projection");
    }
  }
}

const nonNegativeInt = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;

function stage(value: unknown, path: string, budget: Budget): Document {
  budget.visit(path, 2);
  if (!isPlainObject(value) || Object.keys(value).length !== 1) {
    throw new Refused(path, "A stage is an object with one stage name");
  }
  const [name, arg] = Object.entries(value)[0];
  const at = join(path, name);
  if (!STAGES.has(name)) throw new Refused(at, `${name} is not allowed`);
  switch (name) {
    case "$match":
      return { $match: filter(arg, at, 3, budget) };
    case "$group": {
      if (!isPlainObject(arg) || !("_id" in arg)) throw new Refused(at, "$group needs an _id");
      for (const [field, acc] of Object.entries(arg)) {
        const fAt = join(at, field);
        if (field === "_id") {
          expression(acc, fAt, 4, budget);
          continue;
        }
        outputName(field, fAt);
        if (!isPlainObject(acc) || Object.keys(acc).length !== 1) {
          throw new Refused(fAt, 'An accumulator such as { "$sum": 1 }');
        }
        const [op, x] = Object.entries(acc)[0];
        if (!ACCUMULATORS.has(op)) throw new Refused(join(fAt, op), `${op} is not allowed`);
        if (op === "$count") {
          if (!isPlainObject(x) || Object.keys(x).length) {
            throw new Refused(join(fAt, op), "$count takes {}");
          }
        } else {
          expression(x, join(fAt, op), 5, budget);
        }
      }
      return { $group: arg };
    }
    case "$sort": {
      if (!isPlainObject(arg) || Object.keys(arg).length === 0) {
        throw new Refused(at, "$sort takes an object of fields");
      }
      if (Object.keys(arg).length > MAX_SORT_KEYS) {
        throw new Refused(at, `$sort takes at most ${MAX_SORT_KEYS} fields`);
      }
      for (const [field, dir] of Object.entries(arg)) {
        checkPath(join(at, field), field);
        if (dir !== 1 && dir !== -1) throw new Refused(join(at, field), "1 or -1");
      }
      return { $sort: arg };
    }
    case "$skip":
    case "$limit":
      if (!nonNegativeInt(arg) || (name === "$limit" && arg === 0)) {
        throw new Refused(
          at,
          `${name} takes a ${name === "$limit" ? "positive" : "non-negative"} integer`,
        );
      }
      return { [name]: arg };
    case "$project":
      projection(arg, at, 3, budget);
      return { $project: arg };
    case "$unwind": {
      const spec = typeof arg === "string" ? { path: arg } : arg;
      if (!isPlainObject(spec) || typeof spec.path !== "string" || !spec.path.startsWith("$")) {
        throw new Refused(at, '$unwind takes "$field" or { path: "$field" }');
      }
      for (const [k, v] of Object.entries(spec)) {
        if (k === "path") checkPath(join(at, k), (v as string).slice(1));
        else if (k === "preserveNullAndEmptyArrays") {
          if (typeof v !== "boolean") throw new Refused(join(at, k), "true or false");
        } else if (k === "includeArrayIndex") outputName(v, join(at, k));
        else throw new Refused(join(at, k), `${k} is not allowed`);
      }
      // As written: FerretDB runs `"$field"` but has no `{ path }` form.
      return { $unwind: arg };
    }
    case "$count":
      outputName(arg, at);
      return { $count: arg };
  }
  throw new Refused(at, `${name} is not allowed`);
}

/**
 * A pipeline: 400 `invalid_pipeline` unless every stage is one docs/data-api.md allows, sanitized.
 */
export function sanitizePipeline(value: unknown): Document[] {
  return run("invalid_pipeline", () => {
    if (!Array.isArray(value) || value.length > MAX_STAGES) {
      throw new Refused("pipeline", `A pipeline is an array of at most ${MAX_STAGES} stages`);
    }
    const budget = new Budget();
    return value.map((s, i) => stage(s, join("pipeline", i), budget));
  });
}
