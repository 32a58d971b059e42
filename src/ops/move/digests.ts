/**
 * Digests and verification. What each side of a move holds is kept as a digest per document
 * (its write stamp, or the document itself where it has none), so that a round compares the two
 * sides without reading whole documents; the final round verifies by the same digests.
 */
import { BSON, type Collection, type Document, ObjectId } from "mongodb";
import { sha256Hex } from "../../platform/encoding.ts";
import { findByIds } from "./documents.ts";
import { compareIndexes } from "./indexes.ts";

/**
 * `_id` key → [the `_id`, the document's digest]; at the target, a digest the move wrote but
 * has not read back yet starts with `?`.
 */
export type Digests = Map<string, [ObjectId, string]>;

/** What a database holds: collection → its digests. */
export type Snapshot = Map<string, Digests>;

/** An `_id` of any type as a map key. */
export const idKey = (id: unknown): string => btoa(String.fromCharCode(...BSON.serialize({ id })));

/** A digest without the mark that the move wrote it and has not read it back. */
export const settledDigest = (d: string | undefined) => d?.startsWith("?") ? d.slice(1) : d;

const toBase64 = (bytes: Uint8Array) => {
  let s = "";
  for (let i = 0; i < bytes.length; i += 4096) {
    s += String.fromCharCode(...bytes.subarray(i, i + 4096));
  }
  return btoa(s);
};

/**
 * A document's digest: its write stamp; where it has none, the whole document (`whole`) or a
 * mark that it is there (a document written once and never changed).
 */
export function digestOf(d: Document, stampField: string, whole: boolean): string {
  const stamp = d[stampField];
  if (stamp instanceof ObjectId) return `s${stamp.toHexString()}`;
  return whole ? `d${toBase64(BSON.serialize(d))}` : "u";
}

/** Every document's digest; only `_id` and the stamp are read unless `whole`. */
export async function digestsOf(
  col: Collection,
  stampField: string,
  whole: boolean,
): Promise<Digests> {
  const out: Digests = new Map();
  const cursor = col.find({}, whole ? {} : { projection: { [stampField]: 1 } }).batchSize(10_000);
  for await (const d of cursor) out.set(idKey(d._id), [d._id, digestOf(d, stampField, whole)]);
  return out;
}

/** What the target holds after `docs` were written (not read back yet) and `extra` deleted. */
export function afterWrites(
  before: Digests,
  docs: Document[],
  extra: ObjectId[],
  stampField: string,
  whole: boolean,
): Digests {
  const after: Digests = new Map(before);
  for (const k of extra.map(idKey)) after.delete(k);
  for (const d of docs) after.set(idKey(d._id), [d._id, `?${digestOf(d, stampField, whole)}`]);
  return after;
}

/** SHA-256 over every `_id` key and digest, in key order. */
async function checksumOf(digests: Digests): Promise<string> {
  const keys = [...digests.keys()].sort();
  const text = keys.map((k) => `${k}:${digests.get(k)![1]}`).join("\n");
  return await sha256Hex(text);
}

/**
 * Verify one collection once the source takes no writes: read back at the target what the move
 * wrote and has not read since (`after` is brought up to date), then compare the counts, a
 * checksum over every `_id` and digest, and the indexes. The first difference, or null.
 */
export async function verifyCollection(
  from: Collection,
  to: Collection,
  o: { src: Digests; after: Digests; stampField: string; whole: boolean; batchSize: number },
): Promise<string | null> {
  const { src, after, stampField: f, whole } = o;
  const name = from.collectionName;
  const written = [...after].filter(([, [, d]]) => d.startsWith("?")).map(([, [id]]) => id);
  for (const k of written.map(idKey)) after.delete(k);
  const back = await findByIds(to, written, whole ? {} : { [f]: 1 }, o.batchSize);
  for (const d of back) after.set(idKey(d._id), [d._id, digestOf(d, f, whole)]);
  return src.size !== after.size
    ? `${name}: ${src.size} documents vs ${after.size}`
    : await checksumOf(src) !== await checksumOf(after)
    ? `${name}: checksums differ`
    : await compareIndexes(name, from, to);
}

/** Whether both sides hold the same collections (names in order); else the difference. */
export function collectionsDiffer(names: string[], targetNames: string[]): string | null {
  return names.join() !== targetNames.join()
    ? `collections differ: ${names.join(",")} vs ${targetNames.join(",")}`
    : null;
}
