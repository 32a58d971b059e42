/**
 * The `provisioning_outcomes` collection of the master database: how each provisioning ended,
 * decided once. The creator (about to make the org `active`) and a rollback (the reconciler, or
 * the creator undoing its own failure) each insert their outcome; `_id` is the org's id, so the
 * first insert wins and the other reads it. An insert is atomic on every server, and costs the
 * same however many orgs there are.
 */
import { type Db, ObjectId, ReadPreference } from "mongodb";
import { isDuplicateKey } from "../platform/db.ts";

export type Outcome = "active" | "rolled_back";

interface OutcomeDoc {
  _id: ObjectId;
  outcome: Outcome;
  at: Date;
}

const outcomes = (db: Db) => db.collection<OutcomeDoc>("provisioning_outcomes");

/** Record `outcome` for org `orgId` unless one is recorded already; returns the one that holds. */
export async function decideOutcome(
  db: Db,
  orgId: string,
  outcome: Outcome,
  now: Date,
): Promise<Outcome> {
  const _id = new ObjectId(orgId);
  try {
    await outcomes(db).insertOne({ _id, outcome, at: now });
    return outcome;
  } catch (e) {
    if (!isDuplicateKey(e)) throw e;
    const decided = await outcomes(db).findOne({ _id });
    // Gone meanwhile: a provisioning org's outcome is removed only once a rollback finished.
    return decided?.outcome ?? "rolled_back";
  }
}

/**
 * Part of the deletion's tail, once the org's document is gone: while it exists, a rolled-back
 * provisioning's outcome must stand, or its creator could still decide `active`.
 */
export async function forgetOutcome(db: Db, orgId: string): Promise<void> {
  await outcomes(db).deleteOne({ _id: new ObjectId(orgId) });
}

/** Ids of the orgs with a recorded outcome (to find those of orgs that are gone); from the primary. */
export async function orgIdsOfOutcomes(db: Db): Promise<string[]> {
  const docs = await outcomes(db).find({}, {
    projection: { _id: 1 },
    readPreference: ReadPreference.PRIMARY,
  }).toArray();
  return docs.map((d) => d._id.toHexString());
}
