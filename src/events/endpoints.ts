/**
 * Webhook endpoints (`webhooks` collection of the master database): an org's URLs with the
 * events they take. This module is the only one that names the collection.
 *
 * The signing secret (`whsec_` + base64 of 32 random bytes) is kept as it is, since the service
 * must sign every delivery with it; it is returned by `createEndpoint` alone (the creation's
 * answer shows it once) and by `signingEndpoint` to the sender; every other read leaves it out.
 */
import { type Db, ObjectId } from "mongodb";
import { encodeBase64 } from "../platform/encoding.ts";
import { isId } from "../platform/ids.ts";
import { findPage, type Page, type PageRequest } from "../platform/paging.ts";

/** At most this many endpoints per org. */
export const MAX_ENDPOINTS = 10;

interface EndpointDoc {
  _id: ObjectId;
  orgId: ObjectId;
  url: string;
  /** Event types, or `["*"]`: every event. */
  events: string[];
  description: string;
  enabled: boolean;
  secret: string;
  /** Why it was disabled (`gone`: a 410; `failing`: 5 days of failures; `manual`). */
  disabledReason?: string;
  /** The first failure since the last success; cleared by a success. */
  failingSince?: Date;
  createdAt: Date;
  updatedAt: Date;
}

export interface Endpoint {
  id: string;
  orgId: string;
  url: string;
  events: string[];
  description: string;
  enabled: boolean;
  disabledReason?: string;
  failingSince?: Date;
  createdAt: Date;
  updatedAt: Date;
}

/** An endpoint with its secret: for signing only. */
export type SigningEndpoint = Endpoint & { secret: string };

const endpoints = (db: Db) => db.collection<EndpointDoc>("webhooks");

function toEndpoint(d: EndpointDoc): Endpoint {
  const { _id, orgId, secret: _, ...rest } = d;
  return { id: _id.toHexString(), orgId: orgId.toHexString(), ...rest };
}

export async function ensureEndpointIndexes(db: Db): Promise<void> {
  await endpoints(db).createIndex({ orgId: 1 }, { name: "org" });
}

/** A new signing secret: `whsec_` + base64 of 32 random bytes (Standard Webhooks). */
export function newSecret(): string {
  return "whsec_" + encodeBase64(crypto.getRandomValues(new Uint8Array(32)));
}

export async function createEndpoint(
  db: Db,
  input: { orgId: string; url: string; events: string[]; description: string },
  now: Date,
): Promise<{ endpoint: Endpoint; secret: string }> {
  const doc: EndpointDoc = {
    _id: new ObjectId(),
    orgId: new ObjectId(input.orgId),
    url: input.url,
    events: input.events,
    description: input.description,
    enabled: true,
    secret: newSecret(),
    createdAt: now,
    updatedAt: now,
  };
  await endpoints(db).insertOne(doc);
  return { endpoint: toEndpoint(doc), secret: doc.secret };
}

export async function countEndpoints(db: Db, orgId: string): Promise<number> {
  return await endpoints(db).countDocuments({ orgId: new ObjectId(orgId) });
}

export async function findEndpoint(db: Db, orgId: string, id: string): Promise<Endpoint | null> {
  if (!isId(id) || !isId(orgId)) return null;
  const d = await endpoints(db).findOne({ _id: new ObjectId(id), orgId: new ObjectId(orgId) });
  return d ? toEndpoint(d) : null;
}

/** The endpoint with its secret, for the sender. */
export async function signingEndpoint(
  db: Db,
  orgId: string,
  id: string,
): Promise<SigningEndpoint | null> {
  if (!isId(id) || !isId(orgId)) return null;
  const d = await endpoints(db).findOne({ _id: new ObjectId(id), orgId: new ObjectId(orgId) });
  return d ? { ...toEndpoint(d), secret: d.secret } : null;
}

/** The org's enabled endpoints that take `type` (theirs or `*`), with their secrets. */
export async function subscribedEndpoints(
  db: Db,
  orgId: string,
  type: string,
): Promise<SigningEndpoint[]> {
  const docs = await endpoints(db).find({ orgId: new ObjectId(orgId), enabled: true }).toArray();
  return docs.filter((d) => d.events.includes("*") || d.events.includes(type))
    .map((d) => ({ ...toEndpoint(d), secret: d.secret }));
}

/** One page of the org's endpoints, oldest first. */
export async function endpointsPage(
  db: Db,
  orgId: string,
  page: PageRequest,
  secret: string,
): Promise<Page<Endpoint>> {
  return await findPage(
    endpoints(db),
    { sort: [], scope: `webhooks:${orgId}`, secret },
    { orgId: new ObjectId(orgId) },
    page,
    toEndpoint,
  );
}

/** Change what is given; enabling clears the failure streak and the reason it was disabled. */
export async function updateEndpoint(
  db: Db,
  orgId: string,
  id: string,
  change: { url?: string; events?: string[]; description?: string; enabled?: boolean },
  now: Date,
): Promise<Endpoint | null> {
  if (!isId(id)) return null;
  const set: Partial<EndpointDoc> = { updatedAt: now };
  if (change.url !== undefined) set.url = change.url;
  if (change.events !== undefined) set.events = change.events;
  if (change.description !== undefined) set.description = change.description;
  if (change.enabled !== undefined) {
    set.enabled = change.enabled;
    if (!change.enabled) set.disabledReason = "manual";
  }
  const d = await endpoints(db).findOneAndUpdate(
    { _id: new ObjectId(id), orgId: new ObjectId(orgId) },
    {
      $set: set,
      ...(change.enabled === true ? { $unset: { disabledReason: "", failingSince: "" } } : {}),
    },
    { returnDocument: "after" },
  );
  return d ? toEndpoint(d) : null;
}

/** Disable an enabled endpoint; true when this call disabled it (false: already, or gone). */
export async function disableEndpoint(
  db: Db,
  id: string,
  reason: string,
  now: Date,
): Promise<boolean> {
  const r = await endpoints(db).updateOne(
    { _id: new ObjectId(id), enabled: true },
    { $set: { enabled: false, disabledReason: reason, updatedAt: now } },
  );
  return r.modifiedCount === 1;
}

/** A failed delivery: start the failure streak if none is running. */
export async function markFailing(db: Db, id: string, now: Date): Promise<void> {
  await endpoints(db).updateOne(
    { _id: new ObjectId(id), failingSince: { $exists: false } },
    { $set: { failingSince: now } },
  );
}

/** A successful delivery ends the failure streak. */
export async function clearFailing(db: Db, id: string): Promise<void> {
  await endpoints(db).updateOne(
    { _id: new ObjectId(id), failingSince: { $exists: true } },
    { $unset: { failingSince: "" } },
  );
}

export async function deleteEndpoint(db: Db, orgId: string, id: string): Promise<boolean> {
  if (!isId(id)) return false;
  const r = await endpoints(db).deleteOne({ _id: new ObjectId(id), orgId: new ObjectId(orgId) });
  return r.deletedCount === 1;
}

/** Delete every endpoint of an org (its deletion). */
export async function deleteOrgEndpoints(db: Db, orgId: string): Promise<void> {
  await endpoints(db).deleteMany({ orgId: new ObjectId(orgId) });
}
