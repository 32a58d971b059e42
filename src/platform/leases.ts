/**
 * Leases in the master database (`leases` collection): one instance at a time runs the
 * reconciler or the sweeper. A lease is a document `{ _id: name, holder, expiresAt }`; taking it
 * is one atomic upsert that only matches when it is free, expired or already ours.
 */
import type { Db } from "mongodb";
import { isDuplicateKey } from "./db.ts";

interface LeaseDoc {
  _id: string;
  holder: string;
  expiresAt: Date;
}

/** Try to take or extend `name` for `ttlMs`; true when this holder has it. */
export async function acquireLease(
  master: Db,
  name: string,
  holder: string,
  ttlMs: number,
  now = new Date(),
): Promise<boolean> {
  try {
    await master.collection<LeaseDoc>("leases").updateOne(
      { _id: name, $or: [{ expiresAt: { $lte: now } }, { holder }] },
      { $set: { holder, expiresAt: new Date(now.getTime() + ttlMs) } },
      { upsert: true },
    );
    return true;
  } catch (e) {
    if (isDuplicateKey(e)) return false; // held by someone else
    throw e;
  }
}

/** Give up `name` if this holder has it, so that another may take it at once. */
export async function releaseLease(master: Db, name: string, holder: string): Promise<void> {
  await master.collection<LeaseDoc>("leases").deleteOne({ _id: name, holder });
}
