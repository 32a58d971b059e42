/**
 * The `api_keys` collection: an org's keys for machines (docs/api-keys.md). A key is
 * `osk_<id>_<secret>`: `<id>` is the document's id (24 hex), `<secret>` 256 random bits in
 * base64url without padding (43 characters). Only sha256(secret) is stored; the key itself is
 * shown once, when it is made. Revoking a key deletes its document.
 */
import { Buffer } from "node:buffer";
import { createHash, timingSafeEqual } from "node:crypto";
import { type Db, ObjectId, ReadPreference } from "mongodb";
import { encodeBase64Url } from "../platform/encoding.ts";
import { ID_SOURCE, toObjectId } from "../platform/ids.ts";
import { findPage, type Page, type PageRequest } from "../platform/paging.ts";

export const API_KEY_SCOPES = [
  "data:read",
  "data:write",
  "collections:manage",
  "members:read",
  "audit:read",
] as const;
export type ApiKeyScope = typeof API_KEY_SCOPES[number];

/** What a scope includes besides itself: writing data includes reading it. */
const INCLUDES: Partial<Record<ApiKeyScope, ApiKeyScope[]>> = { "data:write": ["data:read"] };

/** Does a key holding `held` have one of the `accepted` scopes (directly or included)? */
export function coversScope(held: readonly ApiKeyScope[], accepted: readonly ApiKeyScope[]) {
  return held.some((s) =>
    accepted.includes(s) || (INCLUDES[s] ?? []).some((i) => accepted.includes(i))
  );
}

interface ApiKeyDoc {
  _id: ObjectId;
  orgId: ObjectId;
  name: string;
  scopes: ApiKeyScope[];
  /** sha256 of the secret, hex. */
  secretHash: string;
  /** The key's first 12 characters, for people to recognise it. */
  prefix: string;
  createdBy: ObjectId;
  createdAt: Date;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
}

export interface ApiKey {
  id: string;
  orgId: string;
  name: string;
  scopes: ApiKeyScope[];
  prefix: string;
  createdBy: string;
  createdAt: Date;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
}

/**
 * A key as its check needs it: the stored hash (decoded once, when read: a cached key is checked
 * on every request) beside what the key may do.
 */
export interface StoredApiKey extends ApiKey {
  secretHash: Uint8Array;
}

const apiKeys = (db: Db) => db.collection<ApiKeyDoc>("api_keys");

const toApiKey = ({ secretHash: _, ...d }: ApiKeyDoc): ApiKey => ({
  id: d._id.toHexString(),
  orgId: d.orgId.toHexString(),
  name: d.name,
  scopes: d.scopes,
  prefix: d.prefix,
  createdBy: d.createdBy.toHexString(),
  createdAt: d.createdAt,
  expiresAt: d.expiresAt,
  lastUsedAt: d.lastUsedAt,
});

export async function ensureApiKeyIndexes(db: Db): Promise<void> {
  await apiKeys(db).createIndex({ orgId: 1 }, { name: "org" });
}

/** The bearer token's shape; anything else is no key (and never reaches the database). */
const KEY_PATTERN = new RegExp(`^osk_(${ID_SOURCE})_([A-Za-z0-9_-]{43})$`);
export const API_KEY_PREFIX = "osk_";

/** Is this bearer token meant as an API key (whether or not it is a well-formed one)? */
export const looksLikeApiKey = (token: string) => token.startsWith(API_KEY_PREFIX);

/** The id and secret of a well-formed key, or null. */
export function parseApiKey(token: string): { id: string; secret: string } | null {
  const m = KEY_PATTERN.exec(token);
  return m ? { id: m[1], secret: m[2] } : null;
}

const hashSecret = (secret: string) => createHash("sha256").update(secret).digest();

/** Does `secret` hash to the stored hash? Compared in constant time. */
export function secretMatches(stored: StoredApiKey, secret: string): boolean {
  const given = hashSecret(secret);
  return stored.secretHash.length === given.length && timingSafeEqual(stored.secretHash, given);
}

/** Store a new key; returns it and the key text, which is never stored. */
export async function insertApiKey(
  db: Db,
  k: {
    orgId: string;
    name: string;
    scopes: ApiKeyScope[];
    createdBy: string;
    expiresAt: Date | null;
  },
  now: Date,
): Promise<{ apiKey: ApiKey; key: string }> {
  const _id = new ObjectId();
  const secret = encodeBase64Url(crypto.getRandomValues(new Uint8Array(32)));
  const key = `${API_KEY_PREFIX}${_id.toHexString()}_${secret}`;
  const doc: ApiKeyDoc = {
    _id,
    orgId: new ObjectId(k.orgId),
    name: k.name,
    scopes: k.scopes,
    secretHash: hashSecret(secret).toString("hex"),
    prefix: key.slice(0, 12),
    createdBy: new ObjectId(k.createdBy),
    createdAt: now,
    expiresAt: k.expiresAt,
    lastUsedAt: null,
  };
  await apiKeys(db).insertOne(doc);
  return { apiKey: toApiKey(doc), key };
}

/** The key with this id (a well-formed id: see `parseApiKey`), with its hash, or null. */
export async function findApiKey(db: Db, id: string): Promise<StoredApiKey | null> {
  const d = await apiKeys(db).findOne({ _id: new ObjectId(id) });
  return d ? { ...toApiKey(d), secretHash: Buffer.from(d.secretHash, "hex") } : null;
}

/** One page of an org's keys, oldest first (never their hashes). */
export async function apiKeysPage(
  db: Db,
  orgId: string,
  page: PageRequest,
  secret: string,
): Promise<Page<ApiKey>> {
  const opts = { sort: [], scope: `api-keys:${orgId}`, secret };
  return await findPage(apiKeys(db), opts, { orgId: new ObjectId(orgId) }, page, toApiKey);
}

/** Delete an org's key; returns it, or null if the org has no such key (or `id` is no id). */
export async function deleteApiKey(db: Db, orgId: string, id: string): Promise<ApiKey | null> {
  const _id = toObjectId(id);
  if (!_id) return null;
  const d = await apiKeys(db).findOneAndDelete({ _id, orgId: new ObjectId(orgId) });
  return d ? toApiKey(d) : null;
}

/**
 * Record a use: only if the last recorded one is at least `everyMs` old, so that instances
 * racing to record the same minute write once.
 */
export async function touchApiKey(db: Db, id: string, now: Date, everyMs: number): Promise<void> {
  await apiKeys(db).updateOne(
    {
      _id: new ObjectId(id),
      $or: [{ lastUsedAt: null }, { lastUsedAt: { $lte: new Date(now.getTime() - everyMs) } }],
    },
    { $set: { lastUsedAt: now } },
  );
}

export async function deleteOrgApiKeys(db: Db, orgId: string): Promise<void> {
  await apiKeys(db).deleteMany({ orgId: new ObjectId(orgId) });
}

/** The orgs that have keys (the reconciler's sweep of references to orgs that are gone). */
export async function orgIdsOfApiKeys(db: Db): Promise<string[]> {
  const ids = await apiKeys(db).distinct("orgId", {}, { readPreference: ReadPreference.PRIMARY });
  return ids.map((id) => id.toHexString());
}
