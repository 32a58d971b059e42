/**
 * The outbox (`outbox` collection of the master database): what must reach the outside world
 * (a mail, later a webhook delivery), written in the same step as the change that causes it and
 * sent by any instance's sender loop (src/outbox/sender.ts). This module is the only one that
 * names the collection.
 *
 * - **Queued once per key**: `key` is unique, so a step that is retried (after a crash, by a
 *   client) queues nothing twice. Keys name their cause, e.g. `mail:reset:<token id>`.
 * - **Leased**: a claim is one conditional update of a `pending` item that is due; it moves
 *   `dueAt` to the end of the lease and stamps a fresh `claim`. An instance that dies holding it
 *   simply lets the lease run out: the item is due again and the next claim takes it.
 * - **Outcome recorded by the claim's holder only**: `sent` (never claimed again), `failed`, or
 *   due again later (the kind's schedule). Every write is conditional on `claim`, so a holder
 *   whose lease was taken over writes nothing.
 * - **Secrets kept only until the end**: `secret` (a mail's token) is removed by the same update
 *   that records `sent` or `failed`.
 *
 * The guarantee is at-least-once: `sent` is written right after the other side accepted; a
 * crash (or a lost lease) between the acceptance and that write sends the item again.
 */
import { type Db, type Document, ObjectId } from "mongodb";
import { isDuplicateKey } from "../platform/db.ts";
import { isId } from "../platform/ids.ts";

export const OUTBOX_STATUSES = ["pending", "sent", "failed"] as const;
export type OutboxStatus = typeof OUTBOX_STATUSES[number];

interface OutboxDoc {
  _id: ObjectId;
  key: string;
  kind: string;
  status: OutboxStatus;
  /** What to send, kept after it is sent (no secrets). */
  payload: Document;
  /** What must not outlive the sending (a token); removed once `sent` or `failed`. */
  secret?: Document;
  /** Claims so far (each one an attempt, whether it ended or its holder died). */
  attempts: number;
  /** Pending: when it may be claimed next; a claim moves it to the end of its lease. */
  dueAt: Date;
  /** The current claim's id: outcomes are written only under it. */
  claim?: string;
  holder?: string;
  lastError?: string;
  /** The other side's answer when it accepted (e.g. `250 OK`). */
  response?: string;
  createdAt: Date;
  updatedAt: Date;
  sentAt?: Date;
}

export interface OutboxItem {
  id: string;
  key: string;
  kind: string;
  status: OutboxStatus;
  payload: Document;
  secret?: Document;
  attempts: number;
  dueAt: Date;
  claim?: string;
  holder?: string;
  lastError?: string;
  response?: string;
  createdAt: Date;
  updatedAt: Date;
  sentAt?: Date;
}

const outbox = (db: Db) => db.collection<OutboxDoc>("outbox");

function toItem(d: OutboxDoc): OutboxItem {
  const { _id, ...rest } = d;
  return { id: _id.toHexString(), ...rest };
}

export async function ensureOutboxIndexes(db: Db): Promise<void> {
  await outbox(db).createIndex({ key: 1 }, { name: "key", unique: true });
  await outbox(db).createIndex({ status: 1, dueAt: 1 }, { name: "status_due" });
}

/** Sender loops of this process, woken when something is queued here (others poll). */
const listeners = new Set<() => void>();

/** Call `wake` whenever this process queues an item; returns the unsubscribe function. */
export function onQueued(wake: () => void): () => void {
  listeners.add(wake);
  return () => listeners.delete(wake);
}

export interface EnqueueRequest {
  /** Unique across the outbox; queuing a key that is there already queues nothing. */
  key: string;
  kind: string;
  payload: Document;
  secret?: Document;
  /** Not before (default: now). */
  dueAt?: Date;
}

/**
 * Queue an item once per key. `queued` is false when the key was queued before (then `id` is
 * that item's). Once this resolves, the item is stored: it will be sent even if every instance
 * is killed right after.
 */
export async function enqueue(
  db: Db,
  req: EnqueueRequest,
  now = new Date(),
): Promise<{ id: string; queued: boolean }> {
  const doc: OutboxDoc = {
    _id: new ObjectId(),
    key: req.key,
    kind: req.kind,
    status: "pending",
    payload: req.payload,
    ...(req.secret ? { secret: req.secret } : {}),
    attempts: 0,
    dueAt: req.dueAt ?? now,
    createdAt: now,
    updatedAt: now,
  };
  try {
    await outbox(db).insertOne(doc);
  } catch (e) {
    if (!isDuplicateKey(e)) throw e;
    const there = await outbox(db).findOne({ key: req.key }, { projection: { _id: 1 } });
    if (!there) throw e;
    return { id: there._id.toHexString(), queued: false };
  }
  for (const wake of listeners) wake();
  return { id: doc._id.toHexString(), queued: true };
}

export interface ClaimRequest {
  kinds: string[];
  holder: string;
  leaseMs: number;
  now: Date;
}

/**
 * Claim the item due first among `kinds`, in ONE conditional update (two claimers never both
 * win), for `leaseMs`. Null when nothing is due.
 */
export async function claimDue(db: Db, req: ClaimRequest): Promise<OutboxItem | null> {
  const d = await outbox(db).findOneAndUpdate(
    { status: "pending", kind: { $in: req.kinds }, dueAt: { $lte: req.now } },
    {
      $set: {
        dueAt: new Date(req.now.getTime() + req.leaseMs),
        claim: crypto.randomUUID(),
        holder: req.holder,
        updatedAt: req.now,
      },
      $inc: { attempts: 1 },
    },
    { sort: { dueAt: 1 }, returnDocument: "after" },
  );
  return d ? toItem(d) : null;
}

const underClaim = (item: OutboxItem) => ({
  _id: new ObjectId(item.id),
  status: "pending" as const,
  claim: item.claim,
});

/** Record that the other side accepted it: never claimed again; its secret is removed. */
export async function recordSent(
  db: Db,
  item: OutboxItem,
  response: string,
  now: Date,
): Promise<boolean> {
  const r = await outbox(db).updateOne(underClaim(item), {
    $set: { status: "sent", sentAt: now, updatedAt: now, response: response.slice(0, 500) },
    $unset: { secret: "", claim: "", holder: "", lastError: "" },
  });
  return r.matchedCount === 1;
}

/** Record a failure that may pass: due again at `dueAt`. */
export async function recordRetry(
  db: Db,
  item: OutboxItem,
  error: string,
  dueAt: Date,
  now: Date,
): Promise<boolean> {
  const r = await outbox(db).updateOne(underClaim(item), {
    $set: { dueAt, lastError: error.slice(0, 500), updatedAt: now },
    $unset: { claim: "", holder: "" },
  });
  return r.matchedCount === 1;
}

/** Record that it will never be sent: refused for good, or retried for too long. */
export async function recordFailed(
  db: Db,
  item: OutboxItem,
  error: string,
  now: Date,
): Promise<boolean> {
  const r = await outbox(db).updateOne(underClaim(item), {
    $set: { status: "failed", lastError: error.slice(0, 500), updatedAt: now },
    $unset: { secret: "", claim: "", holder: "" },
  });
  return r.matchedCount === 1;
}

export async function getOutboxItem(db: Db, id: string): Promise<OutboxItem | null> {
  if (!isId(id)) return null;
  const d = await outbox(db).findOne({ _id: new ObjectId(id) });
  return d ? toItem(d) : null;
}

export async function findOutboxItemByKey(db: Db, key: string): Promise<OutboxItem | null> {
  const d = await outbox(db).findOne({ key });
  return d ? toItem(d) : null;
}

/** Items of `kind` (all of them; for tests and checks), oldest first. */
export async function listOutboxItems(
  db: Db,
  filter: { kind?: string; status?: OutboxStatus } = {},
): Promise<OutboxItem[]> {
  const docs = await outbox(db).find({
    ...(filter.kind !== undefined ? { kind: filter.kind } : {}),
    ...(filter.status !== undefined ? { status: filter.status } : {}),
  }).sort({ _id: 1 }).toArray();
  return docs.map(toItem);
}

/** Delete items sent or failed before `before` (the maintenance pass); returns how many. */
export async function deleteFinishedBefore(db: Db, before: Date): Promise<number> {
  const r = await outbox(db).deleteMany({
    status: { $in: ["sent", "failed"] },
    updatedAt: { $lt: before },
  });
  return r.deletedCount;
}
