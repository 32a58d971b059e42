/**
 * The outbox (`outbox` collection of the master database): what must reach the outside world
 * (a mail, later a webhook delivery), written in the same step as the change that causes it and
 * sent by any instance's sender loop (src/outbox/sender.ts). This module is the only one that
 * names the collection.
 *
 * - **Queued once per key**: `key` is unique, so a step that is retried (after a crash, by a
 *   client) queues nothing twice. Keys name their cause, e.g. `mail:reset:<token id>`.
 * - **Leased**: a claim is a conditional update of a `pending` item that is due and has been
 *   claimed exactly as often as when it was read (`attempts`, which every claim increments): two
 *   claimers never both win. It moves `dueAt` to the end of the lease and stamps a fresh `claim`.
 *   An instance that dies holding it simply lets the lease run out: the item is due again and
 *   the next claim takes it. Claims come in batches (`claimDueBatch`): one read of a few due
 *   items, one write claiming them, one read of those won.
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
import { findPage, type Page, type PageRequest } from "../platform/paging.ts";

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
  /** The last attempt's status code, where the kind has one (a webhook's HTTP status). */
  lastStatus?: number;
  createdAt: Date;
  updatedAt: Date;
  sentAt?: Date;
}

/** An item as the module's callers see it: its `_id` as the string `id`. */
export type OutboxItem = Omit<OutboxDoc, "_id"> & { id: string };

const outbox = (db: Db) => db.collection<OutboxDoc>("outbox");

function toItem(d: OutboxDoc): OutboxItem {
  const { _id, ...rest } = d;
  return { id: _id.toHexString(), ...rest };
}

export async function ensureOutboxIndexes(db: Db): Promise<void> {
  await outbox(db).createIndex({ key: 1 }, { name: "key", unique: true });
  await outbox(db).createIndex({ status: 1, dueAt: 1 }, { name: "status_due" });
  // A webhook endpoint's delivery log (src/events/deliveries.ts).
  await outbox(db).createIndex({ "payload.endpointId": 1 }, { name: "endpoint" });
}

/** Sender loops of this process, woken when something is queued here (others poll). */
const listeners = new Set<(kind?: string) => void>();

/**
 * Call `wake` whenever this process queues an item (with its kind; none when the kind is not
 * known); returns the unsubscribe function.
 */
export function onQueued(wake: (kind?: string) => void): () => void {
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
  for (const wake of listeners) wake(req.kind);
  return { id: doc._id.toHexString(), queued: true };
}

export interface ClaimRequest {
  kinds: string[];
  holder: string;
  leaseMs: number;
  now: Date;
}

/**
 * How many due items a batch claim reads per item it asks for: the due first among them are
 * claimed, and a few lost to another instance's claim meanwhile leave the batch still full.
 */
const CANDIDATES_PER_CLAIM = 2;

/**
 * Claim up to `limit` due items among `kinds` for `leaseMs`, due first among those read; an
 * empty array when nothing is due. Two round trips whatever `limit` is, three when another
 * claimer took some of the items meanwhile:
 *
 * 1. read up to `limit × 2` due items, without a sort: FerretDB on PostgreSQL filters `dueAt`
 *    and sorts in memory, after reading every pending item (only the equality on `status`, and
 *    on `kind` when there is one, is left to PostgreSQL), while an unsorted read with a limit
 *    stops after the first due ones — a claim that sorted cost time in proportion to the
 *    backlog. On MongoDB the `status_due` index hands them over in `dueAt` order anyway;
 * 2. claim the `limit` due first in one batch of conditional updates, each on `_id`, still
 *    `pending` and due, and `attempts` as read: an item claimed by anyone since it was read has
 *    more attempts and is left alone (two claimers never both win). When every update matched,
 *    the items are what was read with the claim applied (nothing but a claim changes an
 *    item's content, and a claim would have changed `attempts`);
 * 3. otherwise, read the items this batch won (by its `claim`, a fresh id).
 *
 * The items come in the order they were due.
 */
export async function claimDueBatch(
  db: Db,
  req: ClaimRequest & { limit: number },
): Promise<OutboxItem[]> {
  if (req.limit < 1 || !req.kinds.length) return [];
  const due = { status: "pending" as const, dueAt: { $lte: req.now } };
  const kind = req.kinds.length === 1 ? req.kinds[0] : { $in: req.kinds };
  const candidates = (await outbox(db).find(
    { ...due, kind },
    { limit: req.limit * CANDIDATES_PER_CLAIM },
  ).toArray())
    .sort((a, b) =>
      a.dueAt.getTime() - b.dueAt.getTime() ||
      a._id.toHexString().localeCompare(b._id.toHexString())
    )
    .slice(0, req.limit);
  if (!candidates.length) return [];
  const claimed = {
    dueAt: new Date(req.now.getTime() + req.leaseMs),
    claim: crypto.randomUUID(),
    holder: req.holder,
    updatedAt: req.now,
  };
  const r = await outbox(db).bulkWrite(
    candidates.map((c) => ({
      updateOne: {
        filter: { _id: c._id, ...due, attempts: c.attempts },
        update: { $set: claimed, $inc: { attempts: 1 } },
      },
    })),
    { ordered: false },
  );
  if (r.modifiedCount === candidates.length) {
    return candidates.map((c) => toItem({ ...c, ...claimed, attempts: c.attempts + 1 }));
  }
  if (r.modifiedCount === 0) return [];
  const order = new Map(candidates.map((c, i) => [c._id.toHexString(), i]));
  const won = await outbox(db).find({ status: "pending", claim: claimed.claim }).toArray();
  return won.map(toItem).sort((a, b) => order.get(a.id)! - order.get(b.id)!);
}

/** Claim one due item among `kinds` for `leaseMs` (see `claimDueBatch`); null when none is due. */
export async function claimDue(db: Db, req: ClaimRequest): Promise<OutboxItem | null> {
  return (await claimDueBatch(db, { ...req, limit: 1 }))[0] ?? null;
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
  lastStatus?: number,
): Promise<boolean> {
  const r = await outbox(db).updateOne(underClaim(item), {
    $set: {
      status: "sent",
      sentAt: now,
      updatedAt: now,
      response: response.slice(0, 500),
      ...(lastStatus !== undefined ? { lastStatus } : {}),
    },
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
  lastStatus?: number,
): Promise<boolean> {
  const r = await outbox(db).updateOne(underClaim(item), {
    $set: { dueAt, lastError: error.slice(0, 500), updatedAt: now, ...statusField(lastStatus) },
    $unset: { claim: "", holder: "", ...noStatusField(lastStatus) },
  });
  return r.matchedCount === 1;
}

const statusField = (lastStatus?: number) => lastStatus !== undefined ? { lastStatus } : {};
const noStatusField = (lastStatus?: number): Record<string, ""> =>
  lastStatus === undefined ? { lastStatus: "" } : {};

/** Record that it will never be sent: refused for good, or retried for too long. */
export async function recordFailed(
  db: Db,
  item: OutboxItem,
  error: string,
  now: Date,
  lastStatus?: number,
): Promise<boolean> {
  const r = await outbox(db).updateOne(underClaim(item), {
    $set: {
      status: "failed",
      lastError: error.slice(0, 500),
      updatedAt: now,
      ...statusField(lastStatus),
    },
    $unset: { secret: "", claim: "", holder: "", ...noStatusField(lastStatus) },
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

/**
 * Make an item due now, to be sent (again) by the next claim: a sent or failed one becomes
 * pending again (one more attempt; its `secret`, removed at the end, stays gone), a pending one
 * waiting for its next attempt is due at once. An item being sent right now (claimed, its lease
 * running) is left alone. False when there is no such item or it is being sent.
 */
export async function requeueNow(db: Db, id: string, now: Date): Promise<boolean> {
  if (!isId(id)) return false;
  const r = await outbox(db).updateOne(
    {
      _id: new ObjectId(id),
      $or: [{ status: { $in: ["sent", "failed"] } }, {
        status: "pending",
        claim: { $exists: false },
      }],
    },
    { $set: { status: "pending", dueAt: now, updatedAt: now }, $unset: { sentAt: "" } },
  );
  if (r.matchedCount === 1) { for (const wake of listeners) wake(); }
  return r.matchedCount === 1;
}

/**
 * One page of the items of `kind` whose `payload[field]` is `value`, newest first (a webhook
 * endpoint's deliveries). `secret` signs the cursor.
 */
export async function outboxPageBy(
  db: Db,
  query: { kind: string; field: string; value: string },
  page: PageRequest,
  secret: string,
): Promise<Page<OutboxItem>> {
  if (!/^[A-Za-z][A-Za-z0-9]*$/.test(query.field)) throw new Error("outboxPageBy: bad field");
  return await findPage(
    outbox(db),
    { sort: [], idDirection: -1, scope: `outbox:${query.kind}:${query.value}`, secret },
    { kind: query.kind, [`payload.${query.field}`]: query.value },
    page,
    toItem,
  );
}

/** Delete items sent or failed before `before` (the maintenance pass); returns how many. */
export async function deleteFinishedBefore(db: Db, before: Date): Promise<number> {
  const r = await outbox(db).deleteMany({
    status: { $in: ["sent", "failed"] },
    updatedAt: { $lt: before },
  });
  return r.deletedCount;
}
