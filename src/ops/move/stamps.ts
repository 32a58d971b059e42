/**
 * The write stamp (an ObjectId the document API sets on every write) as the move uses it: a
 * threshold for "written since", and an index at the source that the catch-ups select by.
 */
import { type Collection, type Db, type Document, ObjectId } from "mongodb";
import { collectionNames } from "./collections.ts";

/** The stamp index a move makes at the source: neither copied nor compared, dropped with it. */
export const MOVE_STAMP_INDEX = "_move_stamp";

/** The smallest ObjectId of the second `skewS` seconds before `now`: a stamp threshold. */
export function stampBefore(now: Date, skewS: number): ObjectId {
  return ObjectId.createFromTime(Math.floor(now.getTime() / 1000) - skewS);
}

/** Index the write stamp, unless an index on it alone is there. */
export async function ensureStampIndex(col: Collection, stampField: string): Promise<void> {
  const indexes = await col.listIndexes().toArray().catch(() => [] as Document[]);
  const has = indexes.some((ix) => {
    const keys = Object.keys(ix.key ?? {});
    return keys.length === 1 && keys[0] === stampField;
  });
  if (!has) await col.createIndex({ [stampField]: 1 }, { name: MOVE_STAMP_INDEX });
  // Fresh statistics for the query planner where the server keeps them apart (FerretDB gathers
  // PostgreSQL's here; without them a range is guessed to match a third of the table, and read
  // whole). MongoDB answers it from its own figures.
  await col.db.command({ collStats: col.collectionName }).catch(() => {});
}

/** Drop the stamp indexes a move made (a move given up leaves the source as it found it). */
export async function dropStampIndexes(db: Db): Promise<void> {
  for (const name of await collectionNames(db)) {
    await db.collection(name).dropIndex(MOVE_STAMP_INDEX).catch(() => {});
  }
}
