/** The `users` collection of the master database. Only this module queries it. */
import { type Db, ObjectId } from "mongodb";
import { isId } from "../platform/ids.ts";

interface UserDoc {
  _id: ObjectId;
  email: string;
  passwordHash: string;
  /** Platform staff (docs/operating.md, "Operators"); granted only by `deno task operator`. */
  platformRole?: PlatformRole;
  /** Set when a mail sent to `email` proved the address; absent (users from before): false. */
  emailVerifiedAt?: Date;
  createdAt: Date;
  updatedAt: Date;
}

export type PlatformRole = "operator";

export interface User {
  id: string;
  email: string;
  passwordHash: string;
  platformRole?: PlatformRole;
  emailVerified: boolean;
  createdAt: Date;
}

const users = (db: Db) => db.collection<UserDoc>("users");
const toUser = (d: UserDoc): User => ({
  id: d._id.toHexString(),
  email: d.email,
  passwordHash: d.passwordHash,
  ...(d.platformRole ? { platformRole: d.platformRole } : {}),
  emailVerified: d.emailVerifiedAt instanceof Date,
  createdAt: d.createdAt,
});

export async function ensureUserIndexes(db: Db): Promise<void> {
  await users(db).createIndex({ email: 1 }, { unique: true, name: "email_unique" });
}

/** Emails are stored trimmed and lower-cased; the unique index then makes them unique. */
export const normalizeEmail = (email: string) => email.trim().toLowerCase();

export async function findUserByEmail(db: Db, email: string): Promise<User | null> {
  const d = await users(db).findOne({ email: normalizeEmail(email) });
  return d ? toUser(d) : null;
}

export async function findUserById(db: Db, id: string): Promise<User | null> {
  if (!isId(id)) return null;
  const d = await users(db).findOne({ _id: new ObjectId(id) });
  return d ? toUser(d) : null;
}

export async function findUsersByIds(db: Db, ids: string[]): Promise<User[]> {
  const docs = await users(db).find({ _id: { $in: ids.map((i) => new ObjectId(i)) } }).toArray();
  return docs.map(toUser);
}

/**
 * Insert a user with a chosen id; throws the driver's duplicate-key error when the email exists.
 * `emailVerified`: a mail to the address proved it already (an invitation's mailed link).
 */
export async function insertUser(
  db: Db,
  user: { id: string; email: string; passwordHash: string; emailVerified?: boolean },
  now: Date,
): Promise<User> {
  const doc: UserDoc = {
    _id: new ObjectId(user.id),
    email: normalizeEmail(user.email),
    passwordHash: user.passwordHash,
    ...(user.emailVerified ? { emailVerifiedAt: now } : {}),
    createdAt: now,
    updatedAt: now,
  };
  await users(db).insertOne(doc);
  return toUser(doc);
}

export async function setPasswordHash(db: Db, id: string, hash: string, now: Date) {
  await users(db).updateOne({ _id: new ObjectId(id) }, {
    $set: { passwordHash: hash, updatedAt: now },
  });
}

/**
 * A password reset: the new hash, and the email verified (the reset mail proved the address).
 * Conditional on `email`, so that a changed address is not marked by a mail to the old one.
 */
export async function resetPasswordHash(
  db: Db,
  id: string,
  email: string,
  hash: string,
  now: Date,
): Promise<boolean> {
  const r = await users(db).updateOne({ _id: new ObjectId(id), email }, {
    $set: { passwordHash: hash, updatedAt: now },
    $min: { emailVerifiedAt: now },
  });
  return r.matchedCount === 1;
}

/**
 * Mark the email verified, when it is still `email` (the address the mail went to); false when
 * it was verified before or the user or address is gone.
 */
export async function markEmailVerified(
  db: Db,
  id: string,
  email: string,
  now: Date,
): Promise<boolean> {
  if (!isId(id)) return false;
  const r = await users(db).updateOne(
    { _id: new ObjectId(id), email, emailVerifiedAt: { $exists: false } },
    { $set: { emailVerifiedAt: now, updatedAt: now } },
  );
  return r.modifiedCount === 1;
}

/** Grant (`role`) or revoke (`null`) a platform role; null when no user has this email. */
export async function setPlatformRole(
  db: Db,
  email: string,
  role: PlatformRole | null,
  now = new Date(),
): Promise<User | null> {
  const d = await users(db).findOneAndUpdate(
    { email: normalizeEmail(email) },
    role
      ? { $set: { platformRole: role, updatedAt: now } }
      : { $unset: { platformRole: "" }, $set: { updatedAt: now } },
    { returnDocument: "after" },
  );
  return d ? toUser(d) : null;
}

export async function deleteUser(db: Db, id: string): Promise<void> {
  await users(db).deleteOne({ _id: new ObjectId(id) });
}
