/**
 * Reading and writing documents by `_id`, as the catch-up rounds and the verification do: an
 * indexed equality on every server, where an `$in` over many makes some read the collection.
 */
import type { Collection, Document, ObjectId } from "mongodb";

/** Up to this many documents are read and written one by one, by `_id`, rather than in bulk. */
export const FEW = 200;

/**
 * The documents with these `_id`s: few are looked up one by one (an indexed equality on every
 * server), many with `$in` in batches (which some servers answer by reading the collection).
 */
export async function findByIds(
  col: Collection,
  ids: ObjectId[],
  projection: Document,
  batchSize: number,
): Promise<Document[]> {
  if (ids.length <= FEW) {
    const found: (Document | null)[] = await Promise.all(
      ids.map((_id) => col.findOne({ _id }, { projection })),
    );
    return found.filter((d): d is Document => d !== null);
  }
  const docs: Document[] = [];
  for (let i = 0; i < ids.length; i += batchSize) {
    const batch = ids.slice(i, i + batchSize);
    docs.push(...await col.find({ _id: { $in: batch } }, { projection }).toArray());
  }
  return docs;
}

/**
 * Write `docs` at the target as they are and delete the `_id`s in `extra`, one operation per
 * document by `_id` (an indexed equality on every server, where an `$in` makes some read the
 * whole collection), in bulks of `batchSize`.
 */
export async function writeDocs(
  to: Collection,
  docs: Document[],
  extra: ObjectId[],
  batchSize: number,
): Promise<number> {
  const ops = [
    ...docs.map((d) => ({
      replaceOne: { filter: { _id: d._id }, replacement: d, upsert: true },
    })),
    ...extra.map((_id) => ({ deleteOne: { filter: { _id } } })),
  ];
  for (let i = 0; i < ops.length; i += batchSize) {
    await to.bulkWrite(ops.slice(i, i + batchSize), { ordered: false });
  }
  return ops.length;
}
