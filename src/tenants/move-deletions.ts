/**
 * The `move_deletions` collection of the master database: while an org is being moved, each
 * document the document API deletes, and each collection it drops, is noted here before the
 * deletion is made. A delete leaves no write stamp behind, so this is how the move's catch-up
 * learns of deletions without reading every `_id` of the source again; the move checks each
 * noted document at the source (a note whose deletion failed or has not happened yet finds the
 * document still there). Notes are keyed by the move's job, read only by it, and removed when
 * the move ends either way.
 */
import { type Db, ObjectId } from "mongodb";

export interface MoveDeletion {
  collection: string;
  /** The document deleted; absent when the whole collection was dropped. */
  documentId?: ObjectId;
}

interface MoveDeletionDoc extends MoveDeletion {
  _id: ObjectId;
  jobId: ObjectId;
}

const notes = (db: Db) => db.collection<MoveDeletionDoc>("move_deletions");

export async function ensureMoveDeletionIndexes(db: Db): Promise<void> {
  await notes(db).createIndex({ jobId: 1 });
}

/** Note a deletion about to be made in an org that move `jobId` is moving. */
export async function noteMoveDeletion(db: Db, jobId: string, d: MoveDeletion): Promise<void> {
  await notes(db).insertOne({ _id: new ObjectId(), jobId: new ObjectId(jobId), ...d });
}

/** The deletions noted for move `jobId`, oldest first. */
export async function moveDeletions(db: Db, jobId: string): Promise<MoveDeletion[]> {
  const docs = await notes(db).find({ jobId: new ObjectId(jobId) }).sort({ _id: 1 }).toArray();
  return docs.map(({ collection, documentId }) => ({
    collection,
    ...(documentId ? { documentId } : {}),
  }));
}

export async function forgetMoveDeletions(db: Db, jobId: string): Promise<void> {
  await notes(db).deleteMany({ jobId: new ObjectId(jobId) });
}
