/**
 * The org's events (docs/webhooks.md): the catalogue, and the one call that emits one.
 *
 * ```ts
 * await emitEvent(deps, {
 *   org,                                  // { id, slug } of the org it happened in
 *   type: "member.removed",
 *   data: { userId, email, role },        // the subject (typed per event, below)
 *   key: `member.removed:${membershipId}`, // optional: a retried step emits nothing twice
 * });
 * ```
 *
 * Call it from the domain function that made the change, right after the change is stored.
 * Once it resolves, each of the org's enabled endpoints that takes the event has a delivery in
 * the durable outbox (src/outbox/), sent at least once even if this process is killed at once.
 *
 * **Fan-out at emit time**: one outbox item per (event, endpoint), keyed
 * `webhook:<event id>:<endpoint id>`. Each delivery then has its own attempts, status, retry
 * schedule and log entry — what the delivery log and its retry button show — and one slow or
 * failing endpoint never holds back another's. The recipients are the endpoints that took the
 * event when it happened (one created later does not receive older events). The sender reads
 * the endpoint again at every attempt, so a retry never reaches an endpoint deleted or disabled
 * meanwhile. The event's id (the `webhook-id` header) is derived from `key` when one is given,
 * so a step run again (a deletion resumed by the reconciler, a move finished twice) queues the
 * same items, which the outbox keeps once.
 */
import type { Deps } from "../platform/deps.ts";
import { sha256Hex } from "../platform/encoding.ts";
import { enqueue } from "../outbox/outbox.ts";
import { type SigningEndpoint, signingEndpoint, subscribedEndpoints } from "./endpoints.ts";

export const EVENT_TYPES = [
  "org.updated",
  "org.deleted",
  "org.suspended",
  "org.resumed",
  "org.moved",
  "member.joined",
  "member.role_changed",
  "member.removed",
  "invitation.created",
  "invitation.revoked",
  "collection.created",
  "collection.dropped",
  "api_key.created",
  "api_key.revoked",
  "webhook.test",
] as const;
export type EventType = typeof EVENT_TYPES[number];

export const isEventType = (s: string): s is EventType =>
  (EVENT_TYPES as readonly string[]).includes(s);

/** `data.org` of every event. */
export interface OrgRef {
  id: string;
  slug: string;
}

type Role = "owner" | "admin" | "member";

/** The subject of each event: `data` is `{ org, ...subject }`. */
export interface EventSubjects {
  /** Renamed: the new name (`org.slug` is the new slug) and the previous ones. */
  "org.updated": { name: string; previous: { name: string; slug: string } };
  "org.deleted": Record<never, never>;
  "org.suspended": Record<never, never>;
  "org.resumed": Record<never, never>;
  /** Its database moved to another deployment (nothing changes for clients). */
  "org.moved": Record<never, never>;
  "member.joined": { userId: string; email: string; role: Role };
  "member.role_changed": { userId: string; email: string; role: Role; previousRole: Role };
  "member.removed": { userId: string; email: string; role: Role };
  "invitation.created": { id: string; email: string; role: Role; expiresAt: string };
  "invitation.revoked": { id: string; email: string; role: Role };
  "collection.created": { name: string };
  "collection.dropped": { name: string };
  "api_key.created": { id: string; name: string; scopes: string[]; expiresAt: string | null };
  "api_key.revoked": { id: string; name: string };
  /** Sent by POST .../webhooks/{id}/test to that endpoint alone. */
  "webhook.test": { endpointId: string };
}

/** The outbox kind of webhook deliveries. */
export const WEBHOOK_KIND = "webhook";

/** What a delivery's outbox item carries (no secret: the endpoint's is read at send time). */
export interface DeliveryPayload {
  orgId: string;
  endpointId: string;
  /** The `webhook-id` header: the same for every endpoint and every attempt. */
  eventId: string;
  type: EventType;
  /** When the event happened (ISO 8601): the body's `timestamp`. */
  timestamp: string;
  data: { org: OrgRef } & Record<string, unknown>;
}

export type EmitRequest = {
  [T in EventType]: {
    org: OrgRef;
    type: T;
    data: EventSubjects[T];
    /**
     * Names the change (unique per event); emitting the same key again queues nothing. Give one
     * where the emitting step may run again; otherwise a random one is used.
     */
    key?: string;
    /** To this endpoint alone (the test event), if it is enabled. */
    only?: string;
  };
}[EventType];

/**
 * Emit an event (see the module's header): one delivery per subscribed enabled endpoint of the
 * org, queued in the outbox. Returns the event's id and how many deliveries were queued now.
 */
export async function emitEvent(
  deps: Pick<Deps, "db" | "now">,
  req: EmitRequest,
): Promise<{ eventId: string; queued: number }> {
  const master = deps.db.master;
  const eventId = "msg_" +
    (req.key
      ? (await sha256Hex(`${req.org.id}:${req.key}`)).slice(0, 32)
      : crypto.randomUUID().replaceAll("-", ""));
  let targets: SigningEndpoint[];
  if (req.only !== undefined) {
    const one = await signingEndpoint(master, req.org.id, req.only);
    targets = one?.enabled ? [one] : [];
  } else {
    targets = await subscribedEndpoints(master, req.org.id, req.type);
  }
  if (!targets.length) return { eventId, queued: 0 };
  const now = deps.now();
  const base = {
    orgId: req.org.id,
    eventId,
    type: req.type,
    timestamp: now.toISOString(),
    data: { org: { id: req.org.id, slug: req.org.slug }, ...req.data },
  };
  let queued = 0;
  for (const endpoint of targets) {
    const payload: DeliveryPayload = { ...base, endpointId: endpoint.id };
    const r = await enqueue(master, {
      key: `webhook:${eventId}:${endpoint.id}`,
      kind: WEBHOOK_KIND,
      payload,
      // An org's endpoints are deleted with it: its `org.deleted` deliveries carry where to send
      // and how to sign (kept only until sent or failed, like every outbox secret).
      ...(req.type === "org.deleted"
        ? { secret: { url: endpoint.url, secret: endpoint.secret } }
        : {}),
    }, now);
    if (r.queued) queued++;
  }
  return { eventId, queued };
}
