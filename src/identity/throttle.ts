/**
 * Throttles in MongoDB (`login_throttle`), so they hold across instances: a fixed window per key
 * from its first counted attempt. Password checks: after `EMAIL_LIMIT` attempts for one email, or
 * `ADDRESS_LIMIT` from one client address, within `WINDOW_MS`, they answer 429 until the window
 * passes. Unauthenticated org creation: `limit` attempts per client address per hour.
 *
 * An attempt is counted before the work it guards (one atomic `$inc` per key, refused on the
 * count it returns), so a burst of concurrent attempts gets no more tries than a sequence would;
 * a successful sign-in undoes its count.
 */
import type { Db } from "mongodb";
import { ensureTtlIndex, isDuplicateKey } from "../platform/db.ts";
import { rateLimited } from "../platform/errors.ts";
import type { Logger } from "../platform/log.ts";

export const EMAIL_LIMIT = 5;
export const ADDRESS_LIMIT = 50;
export const WINDOW_MS = 15 * 60_000;
export const CREATE_WINDOW_MS = 60 * 60_000;

interface ThrottleDoc {
  _id: string;
  count: number;
  expiresAt: Date;
}

const throttle = (db: Db) => db.collection<ThrottleDoc>("login_throttle");
const keys = (email: string, ip: string) => ({ email: `email:${email}`, ip: `ip:${ip}` });

export async function ensureThrottleIndexes(db: Db, log?: Logger): Promise<void> {
  await ensureTtlIndex(throttle(db), "expiresAt", log);
}

/**
 * Count one attempt on `key` and return its window: one `findOneAndUpdate` that increments the
 * live window or, if there is none, starts one (upsert). A window that has expired but not yet
 * been swept holds the key: the upsert's insert then fails on the unique `_id`, and the expired
 * window is removed before counting again.
 */
async function hit(db: Db, key: string, windowMs: number, now: Date): Promise<ThrottleDoc> {
  for (let attempt = 0;; attempt++) {
    try {
      const doc = await throttle(db).findOneAndUpdate(
        { _id: key, expiresAt: { $gt: now } },
        { $inc: { count: 1 }, $setOnInsert: { expiresAt: new Date(now.getTime() + windowMs) } },
        { upsert: true, returnDocument: "after" },
      );
      if (doc) return doc;
    } catch (e) {
      if (!isDuplicateKey(e) || attempt >= 3) throw e;
      // An expired window, or a concurrent first attempt that inserted first: count again.
      await throttle(db).deleteOne({ _id: key, expiresAt: { $lte: now } });
    }
  }
}

function refuse(docs: ThrottleDoc[], now: Date, message: string): never {
  const until = Math.max(...docs.map((d) => d.expiresAt.getTime()));
  throw rateLimited((until - now.getTime()) / 1000, message);
}

/**
 * Count a password check for `email` from `ip` before it is made; throws 429 with Retry-After
 * when either is over its limit (the check is then not made).
 */
export async function countPasswordAttempt(db: Db, email: string, ip: string, now: Date) {
  const k = keys(email, ip);
  const [byEmail, byAddress] = await Promise.all([
    hit(db, k.email, WINDOW_MS, now),
    hit(db, k.ip, WINDOW_MS, now),
  ]);
  const over = [
    ...(byEmail.count > EMAIL_LIMIT ? [byEmail] : []),
    ...(byAddress.count > ADDRESS_LIMIT ? [byAddress] : []),
  ];
  if (over.length) refuse(over, now, "Too many failed sign-ins; try again later");
}

/**
 * Undo a counted attempt whose password was right: the email's count starts over; the address
 * gives back this one attempt (others from it may have failed).
 */
export async function undoPasswordAttempt(db: Db, email: string, ip: string): Promise<void> {
  const k = keys(email, ip);
  await Promise.all([
    throttle(db).deleteOne({ _id: k.email }),
    throttle(db).updateOne({ _id: k.ip, count: { $gt: 0 } }, { $inc: { count: -1 } }),
  ]);
}

/** Count an unauthenticated org creation from `ip`; 429 past `limit` per hour (0: no limit). */
export async function countCreationAttempt(db: Db, ip: string, limit: number, now: Date) {
  if (limit === 0) return;
  const doc = await hit(db, `create:${ip}`, CREATE_WINDOW_MS, now);
  if (doc.count > limit) {
    refuse([doc], now, "Too many organizations created from this address; try again later");
  }
}

export async function deleteExpiredThrottles(db: Db, now: Date): Promise<number> {
  return (await throttle(db).deleteMany({ expiresAt: { $lte: now } })).deletedCount;
}
