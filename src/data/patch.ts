/**
 * What a PATCH makes of a document, computed in the service (docs/data-api.md), so that
 * the result is checked like an insert before anything is written, and the write is made
 * conditional on the version it was computed from.
 *
 * It follows MongoDB's `$set` and `$unset`: a missing path is created as nested objects (a
 * numeric part of a missing path names an object's key); a numeric part where an array is
 * names an element, and setting one past the end pads the array with `null`; setting below a
 * scalar or `null` is refused; unsetting a path that is not there does nothing, and unsetting
 * an array element sets it to `null` (the array keeps its length). The update to send is
 * spelled from what the walk found: array indexes in their canonical form (`01` is `1`),
 * unset array elements as `$set: null` and no-op unsets left out. So every server applies
 * the same change (FerretDB removes an unset element and takes `+1` for an index; MongoDB
 * does neither), and what is stored is what MongoDB's semantics make of the document read.
 */
import type { Document } from "mongodb";
import { invalidField } from "../platform/errors.ts";
import { isPlainObject, MAX_ARRAY_INDEX } from "./sanitize.ts";

export interface PatchPlan {
  /** The client's fields after the patch (no `_id`, no stamp), sharing unchanged values. */
  fields: Record<string, unknown>;
  /** `$set` and `$unset` to send (the stamp is the caller's to add). */
  set: Document;
  unset: string[];
}

type Container = Record<string, unknown> | unknown[];

/** A key set as data: `__proto__` and the like stay plain keys. */
function put(obj: Record<string, unknown>, key: string, value: unknown) {
  Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
}

/** A copy of the containers of `value` (leaves are shared: they are never changed). */
function copy(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(copy);
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value)) put(out, k, copy(value[k]));
    return out;
  }
  return value;
}

/** The index a path part names in an array (MongoDB: unsigned decimal digits), else null. */
function indexOf(part: string): number | null {
  if (!/^\d+$/.test(part)) return null;
  const n = Number(part);
  return n <= MAX_ARRAY_INDEX ? n : null;
}

const kindOf = (v: unknown) => v === null ? "null" : Array.isArray(v) ? "an array" : typeof v;

/** `parts` below `value`, as the objects MongoDB creates for a missing path. */
function nest(parts: string[], value: unknown): unknown {
  let out = value;
  for (let i = parts.length - 1; i >= 0; i--) {
    const o: Record<string, unknown> = {};
    put(o, parts[i], out);
    out = o;
  }
  return out;
}

/** Set `path` in `root`; returns the path as the server must be sent it. */
function setPath(root: Record<string, unknown>, path: string, value: unknown): string {
  const parts = path.split(".");
  const sent: string[] = [];
  let node: Container = root;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    const last = i === parts.length - 1;
    let next: unknown;
    if (Array.isArray(node)) {
      const index = indexOf(part);
      if (index === null) throw invalidField(path, `${part} is not an index of the array here`);
      sent.push(String(index));
      if (last || index >= node.length) {
        while (node.length < index) node.push(null);
        node[index] = last ? value : nest(parts.slice(i + 1), value);
        return [...sent, ...parts.slice(i + 1)].join(".");
      }
      next = node[index];
    } else {
      sent.push(part);
      if (last || !Object.hasOwn(node, part)) {
        put(node, part, last ? value : nest(parts.slice(i + 1), value));
        return [...sent, ...parts.slice(i + 1)].join(".");
      }
      next = node[part];
    }
    if (!Array.isArray(next) && !isPlainObject(next)) {
      throw invalidField(path, `Cannot create ${parts[i + 1]} inside ${kindOf(next)}`);
    }
    node = next;
  }
  return sent.join(".");
}

/**
 * Unset `path` in `root`: what to send (`unset` a field, `set` an element to null), or null
 * when the path is not there.
 */
function unsetPath(
  root: Record<string, unknown>,
  path: string,
): { unset: string } | { set: string } | null {
  const parts = path.split(".");
  const sent: string[] = [];
  let node: unknown = root;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    const last = i === parts.length - 1;
    if (Array.isArray(node)) {
      const index = indexOf(part);
      if (index === null || index >= node.length) return null;
      sent.push(String(index));
      if (last) {
        node[index] = null;
        return { set: sent.join(".") };
      }
      node = node[index];
    } else if (isPlainObject(node)) {
      if (!Object.hasOwn(node, part)) return null;
      sent.push(part);
      if (last) {
        delete node[part];
        return { unset: sent.join(".") };
      }
      node = node[part];
    } else {
      return null;
    }
  }
  return null;
}

/**
 * Apply a sanitized patch (`set` paths and values, `unset` paths) to the client's `fields` of
 * a stored document. 400 `validation_failed` naming the path for a path the document cannot
 * take, or two paths that name the same place or one inside the other.
 */
export function planPatch(
  fields: Record<string, unknown>,
  patch: { set: Document; unset: string[] },
): PatchPlan {
  const root = copy(fields) as Record<string, unknown>;
  const set: Document = {};
  const unset: string[] = [];
  const written = new Map<string, string>();
  const claim = (sent: string, path: string) => {
    const other = written.get(sent);
    if (other !== undefined) throw invalidField(path, `Names the same place as ${other}`);
    written.set(sent, path);
  };
  // Unsets first: they only remove or null what is there, so the order cannot change a result.
  for (const path of [...patch.unset].sort()) {
    const done = unsetPath(root, path);
    if (!done) continue;
    if ("set" in done) {
      claim(done.set, path);
      set[done.set] = null;
    } else {
      claim(done.unset, path);
      unset.push(done.unset);
    }
  }
  for (const path of Object.keys(patch.set).sort()) {
    const sent = setPath(root, path, copy(patch.set[path]));
    claim(sent, path);
    set[sent] = patch.set[path];
  }
  // The sanitizer refused paths inside one another as written; canonical indexes may meet.
  for (const [sent, path] of written) {
    const parts = sent.split(".");
    for (let i = 1; i < parts.length; i++) {
      const outer = written.get(parts.slice(0, i).join("."));
      if (outer !== undefined) throw invalidField(path, `Conflicts with ${outer}`);
    }
  }
  return { fields: root, set, unset };
}
