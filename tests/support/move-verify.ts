/**
 * A full comparison of a move's source and target, independent of the move's own bookkeeping:
 * every collection read whole at both ends, for tests that check a move left nothing behind.
 */
import type { Collection, Db, ObjectId } from "mongodb";
import { settled } from "../../src/platform/async.ts";
import { collectionNames } from "../../src/ops/move/collections.ts";
import { collectionsDiffer, digestOf, idKey } from "../../src/ops/move/digests.ts";
import { compareIndexes } from "../../src/ops/move/indexes.ts";

/** A collection read whole, in `_id` order: its count, checksum and each document's digest. */
interface Scan {
  count: number;
  hash: string;
  /** `_id` key → [the `_id`, the document's digest]. */
  docs: Map<string, [ObjectId, string]>;
}

/**
 * Read a collection in `_id` order. A document's digest is its write stamp, or the whole
 * document where it has none (the service's own collections); the checksum is a SHA-256 over
 * every `_id` and digest in order.
 */
async function scan(col: Collection, stampField: string): Promise<Scan> {
  let hash = new Uint8Array(32);
  const docs = new Map<string, [ObjectId, string]>();
  let text = "";
  const flush = async () => {
    const bytes = new TextEncoder().encode(text);
    const buf = new Uint8Array(hash.length + bytes.length);
    buf.set(hash);
    buf.set(bytes, hash.length);
    hash = new Uint8Array(await crypto.subtle.digest("SHA-256", buf));
    text = "";
  };
  for await (const d of col.find({}).sort({ _id: 1 })) {
    const digest = digestOf(d, stampField, true);
    const key = idKey(d._id);
    docs.set(key, [d._id, digest]);
    text += `${key}:${digest}\n`;
    if (docs.size % 1000 === 0) await flush();
  }
  await flush();
  return {
    count: docs.size,
    hash: Array.from(hash, (b) => b.toString(16).padStart(2, "0")).join(""),
    docs,
  };
}

/**
 * Counts, a checksum per collection and the indexes, source against target (see `scan`); the
 * first difference found, or null.
 */
export async function verify(source: Db, target: Db, stampField: string): Promise<string | null> {
  const names = await collectionNames(source);
  const differ = collectionsDiffer(names, await collectionNames(target));
  if (differ) return differ;
  for (const name of names) {
    const [a, b] = await settled([
      scan(source.collection(name), stampField),
      scan(target.collection(name), stampField),
    ]);
    if (a.count !== b.count) return `${name}: ${a.count} documents vs ${b.count}`;
    if (a.hash !== b.hash) return `${name}: checksums differ`;
    const indexes = await compareIndexes(name, source.collection(name), target.collection(name));
    if (indexes) return indexes;
  }
  return null;
}
