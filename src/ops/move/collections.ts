/** The collections a move carries, and which of them it follows from the copy on. */
import type { Db } from "mongodb";
import { isServiceCollection } from "../../tenants/service-collections.ts";
import type { MoveOptions } from "./options.ts";

/** The database's collections by name, in order, without the server's own (`system.*`). */
export async function collectionNames(db: Db): Promise<string[]> {
  const list = await db.listCollections({}, { nameOnly: true }).toArray();
  return list.map((c) => c.name).filter((n) => !n.startsWith("system.")).sort();
}

/**
 * Whether the move keeps a collection's source content from the copy on, rather than reading
 * it whole each round: the org's own documents, each written with a stamp through the document
 * API, which notes their deletions. Not the service's own collections (unstamped, or changed
 * and pruned without a note).
 */
export const tracked = (name: string, opts: MoveOptions) =>
  !isServiceCollection(name) && !opts.wholeCollections.includes(name);
