/** A collection's indexes at both ends of a move: copied, made the same, compared. */
import type { Collection, Document } from "mongodb";
import { settled } from "../../platform/async.ts";
import { isNamespaceNotFound } from "../../platform/db.ts";
import { MOVE_STAMP_INDEX } from "./stamps.ts";

/** The options of an index worth comparing and copying (not its version or namespace). */
function indexSpec(ix: Document): { key: Document; options: Document } {
  const { key, v: _v, ns: _ns, ...options } = ix;
  return { key, options };
}

/** An index as a string: its key in order (order matters), its options in any order. */
function indexText(ix: Document): string {
  const { key, options } = indexSpec(ix);
  return JSON.stringify(key) + JSON.stringify(options, Object.keys(options).sort());
}

async function userIndexes(col: Collection): Promise<Document[]> {
  try {
    return (await col.listIndexes().toArray()).filter((ix) =>
      ix.name !== "_id_" && ix.name !== MOVE_STAMP_INDEX
    );
  } catch (e) {
    if (isNamespaceNotFound(e)) return []; // no collection, no indexes
    throw e;
  }
}

/** Make the target's indexes those of the source: create the missing, drop the extra. */
export async function copyIndexes(from: Collection, to: Collection): Promise<void> {
  const want = await userIndexes(from);
  const have = await userIndexes(to);
  const key = indexText;
  const haveKeys = new Map(have.map((ix) => [ix.name as string, key(ix)]));
  for (const ix of have) {
    const same = want.find((w) => w.name === ix.name);
    if (!same || key(same) !== key(ix)) await to.dropIndex(ix.name);
  }
  for (const ix of want) {
    if (haveKeys.get(ix.name) === key(ix)) continue;
    const { key: keys, options } = indexSpec(ix);
    await to.createIndex(keys, options);
  }
}

/** Whether both have the same indexes (the move's own stamp index aside); else the difference. */
export async function compareIndexes(
  name: string,
  a: Collection,
  b: Collection,
): Promise<string | null> {
  const [ia, ib] = await settled([userIndexes(a), userIndexes(b)]);
  const specs = (l: Document[]) => l.map(indexText).sort().join("\n");
  return specs(ia) === specs(ib) ? null : `${name}: indexes differ`;
}
