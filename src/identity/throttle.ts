/**
 * Login throttling in MongoDB (`login_throttle`), so it holds across instances: a fixed window
 * per key from its first failure. After `EMAIL_LIMIT` failures for one email, or `ADDRESS_LIMIT`
 * from one client address, within `WINDOW_MS`, logins answer 429 until the window passes.
 */
import type { Db } from "mongodb";
import { ensureTtlIndex, isDuplicateKey } from "../platform/db.ts";
import { AppError } from "../platform/errors.ts";
import type { Logger } from "../platform/log.ts";

export const EMAIL_LIMIT = 5;
export const ADDRESS_LIMIT = 50;
export const WINDOW_MS = 15 * 60_000;

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

/** Throw 429 with Retry-After when the email or the address is over its limit. */
export async function assertNotThrottled(db: Db, email: string, ip: string, now: Date) {
  const k = keys(email, ip);
  const docs = await throttle(db).find({ _id: { $in: [k.email, k.ip] }, expiresAt: { $gt: now } })
    .toArray();
  const over = docs.filter((d) => d.count >= (d._id === k.email ? EMAIL_LIMIT : ADDRESS_LIMIT));
  if (!over.length) return;
  const until = Math.max(...over.map((d) => d.expiresAt.getTime()));
  const retryAfter = Math.max(1, Math.ceil((until - now.getTime()) / 1000));
  throw new AppError(429, "rate_limited", "Too many failed logins; try again later", {
    headers: { "Retry-After": String(retryAfter) },
  });
}

async function bump(db: Db, key: string, now: Date): Promise<void> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const live = await throttle(db).updateOne({ _id: key, expiresAt: { $gt: now } }, {
      $inc: { count: 1 },
    });
    if (live.matchedCount) return;
    // No live window: restart an expired one, or start the first.
    const expiresAt = new Date(now.getTime() + WINDOW_MS);
    const restarted = await throttle(db).updateOne({ _id: key, expiresAt: { $lte: now } }, {
      $set: { count: 1, expiresAt },
    });
    if (restarted.matchedCount) return;
    try {
      await throttle(db).insertOne({ _id: key, count: 1, expiresAt });
      return;
    } catch (e) {
      if (!isDuplicateKey(e)) throw e; // another instance started it: count again
    }
  }
}

export async function recordFailedLogin(db: Db, email: string, ip: string, now: Date) {
  const k = keys(email, ip);
  await Promise.all([bump(db, k.email, now), bump(db, k.ip, now)]);
}

/** A successful login clears the email's counter (not the address's). */
export async function clearEmailThrottle(db: Db, email: string): Promise<void> {
  await throttle(db).deleteOne({ _id: keys(email, "").email });
}

export async function deleteExpiredThrottles(db: Db, now: Date): Promise<number> {
  return (await throttle(db).deleteMany({ expiresAt: { $lte: now } })).deletedCount;
}
