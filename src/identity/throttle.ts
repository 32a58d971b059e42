/**
 * Throttles in MongoDB (`login_throttle`), so they hold across instances: a fixed window per key
 * from its first counted attempt.
 *
 * Password checks: within `WINDOW_MS`, at most `limits.email` wrong passwords for one email and
 * `limits.address` from one client address; past either, 429 until the window passes. An
 * attempt is counted before the password is checked (one atomic `$inc` per key, refused on the
 * count it returns), so a burst of concurrent guesses gets no more checks than a sequence would.
 * An attempt refused by the throttle checks no password and gives its counts back, and a right
 * password gives back its own, so only wrong passwords fill a window: many people signing in
 * correctly from one address are never locked out by their own successes.
 *
 * Creations: org creations per client address (unauthenticated) or per user (signed in), and
 * invitations per org, per hour.
 *
 * Every per-address key goes through `addressKey` (IPv6 per /64, IPv4 per address).
 */
import type { Db } from "mongodb";
import { addressKey } from "../platform/addresses.ts";
import { ensureTtlIndex, isDuplicateKey } from "../platform/db.ts";
import { rateLimited } from "../platform/errors.ts";
import type { Logger } from "../platform/log.ts";

export const WINDOW_MS = 15 * 60_000;
export const CREATE_WINDOW_MS = 60 * 60_000;

/** Wrong passwords allowed per window (LOGIN_EMAIL_LIMIT, LOGIN_ADDRESS_LIMIT). */
export interface PasswordLimits {
  email: number;
  address: number;
}

interface ThrottleDoc {
  _id: string;
  count: number;
  expiresAt: Date;
}

const throttle = (db: Db) => db.collection<ThrottleDoc>("login_throttle");
const passwordKeys = (email: string, ip: string) => ({
  email: `email:${email}`,
  ip: `ip:${addressKey(ip)}`,
});

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

/** Give back one counted attempt on `key` (never below zero). */
async function giveBack(db: Db, key: string): Promise<void> {
  await throttle(db).updateOne({ _id: key, count: { $gt: 0 } }, { $inc: { count: -1 } });
}

function refuse(docs: ThrottleDoc[], now: Date, message: string): never {
  const until = Math.max(...docs.map((d) => d.expiresAt.getTime()));
  throw rateLimited((until - now.getTime()) / 1000, message);
}

/**
 * Count a password check for `email` from `ip` before it is made; throws 429 with Retry-After
 * when either is over its limit, after giving both counts back (the check is then not made).
 */
export async function countPasswordAttempt(
  db: Db,
  email: string,
  ip: string,
  now: Date,
  limits: PasswordLimits,
) {
  const k = passwordKeys(email, ip);
  const [byEmail, byAddress] = await Promise.all([
    hit(db, k.email, WINDOW_MS, now),
    hit(db, k.ip, WINDOW_MS, now),
  ]);
  const over = [
    ...(byEmail.count > limits.email ? [byEmail] : []),
    ...(byAddress.count > limits.address ? [byAddress] : []),
  ];
  if (over.length) {
    await Promise.all([giveBack(db, k.email), giveBack(db, k.ip)]);
    refuse(over, now, "Too many failed sign-ins; try again later");
  }
}

/**
 * Undo a counted attempt whose password was right: the email's count starts over (whoever
 * knows the password has nothing left to guess); the address gives back this one attempt
 * (others from it may have failed).
 */
export async function undoPasswordAttempt(db: Db, email: string, ip: string): Promise<void> {
  const k = passwordKeys(email, ip);
  await Promise.all([throttle(db).deleteOne({ _id: k.email }), giveBack(db, k.ip)]);
}

/**
 * Count a token check (a password reset) from `ip` on the address throttle before it is made:
 * 429 past `limit` within the window, the count given back. A valid token gives it back too
 * (`undoAddressAttempt`), so only wrong tokens fill a window.
 */
export async function countAddressAttempt(db: Db, ip: string, now: Date, limit: number) {
  const key = passwordKeys("", ip).ip;
  const doc = await hit(db, key, WINDOW_MS, now);
  if (doc.count > limit) {
    await giveBack(db, key);
    refuse([doc], now, "Too many failed attempts from this address; try again later");
  }
}

/** Give back an address's counted attempt (its token was valid). */
export async function undoAddressAttempt(db: Db, ip: string): Promise<void> {
  await giveBack(db, passwordKeys("", ip).ip);
}

/** Mails of one kind to one address per hour (docs/api.md: at most 3, against mail bombing). */
export const MAIL_LIMIT = 3;

/**
 * Count one mail of `kind` to `email`; false past `MAIL_LIMIT` within the hour (then send none).
 * One write whatever the answer, so a caller's work does not tell whether the address is known.
 */
export async function countMail(db: Db, kind: string, email: string, now: Date) {
  const doc = await hit(db, `mail:${kind}:${email}`, CREATE_WINDOW_MS, now);
  return {
    allowed: doc.count <= MAIL_LIMIT,
    retryAfterSeconds: (doc.expiresAt.getTime() - now.getTime()) / 1000,
  };
}

/** Count one creation on `key`; 429 past `limit` per hour (0: no limit). */
async function countCreation(db: Db, key: string, limit: number, now: Date, message: string) {
  if (limit === 0) return;
  const doc = await hit(db, key, CREATE_WINDOW_MS, now);
  if (doc.count > limit) refuse([doc], now, message);
}

/** Count an unauthenticated org creation from `ip`; 429 past `limit` per hour (0: no limit). */
export async function countCreationAttempt(db: Db, ip: string, limit: number, now: Date) {
  const message = "Too many organizations created from this address; try again later";
  await countCreation(db, `create:${addressKey(ip)}`, limit, now, message);
}

/** Count a signed-in user's org creation; 429 past `limit` per hour (0: no limit). */
export async function countUserCreation(db: Db, userId: string, limit: number, now: Date) {
  const message = "Too many organizations created by this account; try again later";
  await countCreation(db, `create-user:${userId}`, limit, now, message);
}

/** Count an invitation created in `orgId`; 429 past `limit` per hour (0: no limit). */
export async function countInvitation(db: Db, orgId: string, limit: number, now: Date) {
  const message = "Too many invitations from this organization; try again later";
  await countCreation(db, `invite:${orgId}`, limit, now, message);
}

export async function deleteExpiredThrottles(db: Db, now: Date): Promise<number> {
  return (await throttle(db).deleteMany({ expiresAt: { $lte: now } })).deletedCount;
}
