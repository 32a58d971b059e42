/**
 * The document API's calls into the driver, and what it makes of the server's answers: a
 * refusal of the caller's input is 400 or 409 (./refusals.ts tells refusals from faults), a
 * fault stays a fault. Reads of a bounded size go out as one `find` command, without a cursor.
 */
import { type Collection, type Document, Long, MongoServerError } from "mongodb";
import { isDuplicateKey, isNotImplemented, isTimedOut } from "../platform/db.ts";
import { duplicateKey, invalidField, invalidFilter, invalidPipeline } from "../platform/errors.ts";
import { databaseRefusal } from "./refusals.ts";

/** Write errors that mean "the document cannot take this change" rather than a fault. */
export function refusedWrite(e: unknown): Error | null {
  if (isDuplicateKey(e)) return duplicateKey();
  // A server may refuse a value the sanitizer lets through: the caller's input, not a fault.
  const reason = databaseRefusal(e);
  if (reason) return invalidField("", `The database cannot store this document: ${reason}`);
  return null;
}

/**
 * Run a query or pipeline; what the server will not run is the caller's to change: 400 with
 * `code` and the server's reason (./refusals.ts tells refusals from faults). A server without
 * some allowed part (FerretDB has no `$avg`, `$min`, `$max`, `$first`, `$last` or `$push`)
 * answers NotImplemented; one past the time limit, MaxTimeMSExpired.
 */
export async function runQuery<T>(
  code: "invalid_filter" | "invalid_pipeline",
  maxTimeMs: number,
  op: () => Promise<T>,
): Promise<T> {
  try {
    return await op();
  } catch (e) {
    if (!(e instanceof MongoServerError)) throw e;
    const path = code === "invalid_filter" ? "filter" : "pipeline";
    const refuse = code === "invalid_filter" ? invalidFilter : invalidPipeline;
    if (isNotImplemented(e)) {
      throw refuse("The database server does not support part of this query", [
        { path, message: "Not supported by this database server" },
      ]);
    }
    if (isTimedOut(e)) {
      const message = `Took longer than ${maxTimeMs} ms: narrow it, or index the fields it uses`;
      throw refuse(message, [{ path, message }]);
    }
    const reason = databaseRefusal(e);
    if (reason) {
      throw refuse(`The database refused the ${path}: ${reason}`, [{ path, message: reason }]);
    }
    throw e;
  }
}

interface BoundedFind {
  filter: Document;
  projection?: Document;
  sort?: Document;
  limit: number;
  maxTimeMS?: number;
}

/**
 * At most `limit` documents of `col`, read by one `find` command rather than a driver cursor.
 * A cursor and its implicit session are entered in the client's sets of open cursors and
 * sessions while they live; under load that bookkeeping keeps finished reads reachable for
 * V8's young-generation collector, which then copies and promotes every page it read into the
 * old generation. A bounded read needs no cursor: the batch is one larger than the limit, so
 * the server closes the cursor with its first reply (FerretDB keeps one open when a batch is
 * exactly full). A reply that still leaves a cursor open was cut short (MongoDB's replies hold
 * at most 16 MiB); that rare read is closed and done again through a driver cursor.
 */
export async function findBounded(col: Collection, q: BoundedFind): Promise<Document[]> {
  const command: Document = {
    find: col.collectionName,
    filter: q.filter,
    limit: q.limit,
    batchSize: q.limit + 1,
  };
  if (q.projection) command.projection = q.projection;
  if (q.sort) command.sort = q.sort;
  if (q.maxTimeMS) command.maxTimeMS = q.maxTimeMS;
  const db = col.db;
  const { cursor } = await db.command(command);
  const id: number | Long = cursor.id;
  if (typeof id === "number" ? id === 0 : id.isZero()) return cursor.firstBatch;
  const cursors = [typeof id === "number" ? Long.fromNumber(id) : id];
  await db.command({ killCursors: col.collectionName, cursors }).catch(() => {});
  const { filter, projection, sort, limit, maxTimeMS } = q;
  return await col.find(filter, { projection, sort, limit, maxTimeMS }).toArray();
}

export async function write<T>(op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (e) {
    throw refusedWrite(e) ?? e;
  }
}
