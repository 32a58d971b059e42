/**
 * Phase 2: copy the collections (a few at a time), each in `_id` order in batches (resumable
 * from the last copied `_id`), then its indexes, keeping each document's `_id` and stamp.
 */
import type { Collection, Db, Document } from "mongodb";
import { eachLimited } from "../../platform/async.ts";
import { isNamespaceExists } from "../../platform/db.ts";
import { tracked } from "./collections.ts";
import { digestOf, type Digests, idKey } from "./digests.ts";
import { copyIndexes } from "./indexes.ts";
import type { MoveOptions } from "./options.ts";
import { type CollectionState, copiedSoFar, type Moving } from "./state.ts";

/** Copy what is left to copy; the source's content as read is kept for the catch-up. */
export async function copy(m: Moving): Promise<void> {
  const { opts, state, source, target } = m;
  if (state.phase !== "copy") return;
  // A few collections at a time: one's reads and writes overlap another's.
  const left = state.collections!.filter((c) => !c.done);
  await eachLimited(left, opts.copyConcurrency, async (c) => {
    const copied = await copyCollection(source, target, c, opts, async () => {
      await m.save(copiedSoFar(state));
      await m.step("copy-batch");
    });
    if (copied && tracked(c.name, opts)) m.sourceKnown.set(c.name, copied);
    await copyIndexes(source.collection(c.name), target.collection(c.name));
    c.done = true;
    await m.save(copiedSoFar(state));
  });
  state.phase = "catch-up";
  m.lap("copyMs");
  await m.save();
  await m.step("copied");
}

/** Up to `n` documents from the cursor (fewer only at its end). */
async function take(cursor: ReturnType<Collection["find"]>, n: number): Promise<Document[]> {
  const docs: Document[] = [];
  while (docs.length < n && await cursor.hasNext()) {
    docs.push(...cursor.readBufferedDocuments(n - docs.length));
  }
  return docs;
}

/**
 * Copy a collection in `_id` order from `c.lastId` on, reading the next batch while writing.
 * Returns each copied document's digest when the copy began at the start (the source's
 * content as read, for the catch-up), undefined when it resumed part-way.
 */
async function copyCollection(
  source: Db,
  target: Db,
  c: CollectionState,
  opts: MoveOptions,
  afterBatch: () => Promise<void>,
): Promise<Digests | undefined> {
  const { batchSize, stampField } = opts;
  const digests: Digests | undefined = c.lastId === undefined ? new Map() : undefined;
  const from = source.collection(c.name);
  const to = target.collection(c.name);
  await target.createCollection(c.name).catch((e) => {
    if (!isNamespaceExists(e)) throw e;
  });
  // What a crashed batch wrote past the last recorded `_id` is written again.
  const after: Document = c.lastId === undefined ? {} : { _id: { $gt: c.lastId } };
  await to.deleteMany(after);
  const cursor = from.find(after)
    .sort({ _id: 1 })
    .batchSize(batchSize);
  try {
    let batch = await take(cursor, batchSize);
    while (batch.length) {
      const next = take(cursor, batchSize);
      next.catch(() => {}); // awaited below, unless the write fails first
      await to.insertMany(batch, { ordered: false });
      for (const d of batch) digests?.set(idKey(d._id), [d._id, digestOf(d, stampField, false)]);
      c.lastId = batch[batch.length - 1]._id;
      c.copied += batch.length;
      await afterBatch();
      batch = await next;
    }
  } finally {
    await cursor.close();
  }
  return digests;
}
