/**
 * Webhook deliveries: the `webhook` kind of the outbox sender, and the delivery log.
 *
 * Each attempt reads the endpoint again: deleted or disabled meanwhile, nothing is sent and the
 * delivery fails (an `org.deleted` delivery uses the URL and secret it carries, since the org's
 * endpoints are deleted with it). The URL's host is checked and resolved at every attempt
 * (src/platform/public-address.ts) and the connection goes to one of the addresses that passed
 * the check (src/platform/webhook-http.ts), so DNS that changes between the check and the
 * connection cannot redirect it. The body `{ type, timestamp, data }` is signed per Standard
 * Webhooks; a 2xx within 10 s is success, a `410 Gone` disables the endpoint at once, anything
 * else is retried on the schedule of docs/webhooks.md (5 s … 10 h, then failed), and an endpoint whose
 * deliveries have all failed for 5 days is disabled.
 */
import type { Deps } from "../platform/deps.ts";
import { decodeBase64, encodeBase64 } from "../platform/encoding.ts";
import type { Page, PageRequest } from "../platform/paging.ts";
import { AddressRefused, checkedAddresses, type Resolver } from "../platform/public-address.ts";
import { postPinned } from "../platform/webhook-http.ts";
import { getOutboxItem, type OutboxItem, outboxPageBy, requeueNow } from "../outbox/outbox.ts";
import { type Schedule, WEBHOOK_SCHEDULE } from "../outbox/schedule.ts";
import type { OutboxKind, Outcome } from "../outbox/sender.ts";
import { type DeliveryPayload, type EventType, WEBHOOK_KIND } from "./catalogue.ts";
import {
  clearFailing,
  disableEndpoint,
  type Endpoint,
  markFailing,
  type SigningEndpoint,
  signingEndpoint,
} from "./endpoints.ts";

/** A delivery's answer must come within this. */
export const DELIVERY_TIMEOUT_MS = 10_000;
/**
 * Deliveries sent at the same time by one process: each mostly waits for a receiver (up to
 * `DELIVERY_TIMEOUT_MS`), so more than mail's four SMTP connections.
 */
export const DELIVERY_CONCURRENCY = 16;
/** An endpoint whose deliveries have all failed this long is disabled. */
export const FAILING_DISABLE_MS = 5 * 86_400_000;

export type DisableReason = "gone" | "failing";

export interface WebhookKindOptions {
  /** Called once an attempt disabled the endpoint (410, or 5 days of failures): the audit. */
  onDisabled?: (endpoint: Endpoint, reason: DisableReason) => Promise<void>;
  /** The system resolver by default. */
  resolve?: Resolver;
  /** The documented schedule (docs/webhooks.md) scaled by `WEBHOOK_RETRY_SCALE` by default. */
  schedule?: Schedule;
  timeoutMs?: number;
}

/** The schedule of docs/webhooks.md, every wait multiplied by `scale` (the test-only WEBHOOK_RETRY_SCALE). */
export function webhookSchedule(scale: number): Schedule {
  return { delaysMs: WEBHOOK_SCHEDULE.delaysMs.map((d) => Math.max(1, Math.round(d * scale))) };
}

/** `v1,<base64 HMAC-SHA256(secret bytes, "{id}.{timestamp}.{body}")>` (Standard Webhooks). */
export async function signature(
  secret: string,
  id: string,
  timestamp: number,
  body: string,
): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    decodeBase64(secret.replace(/^whsec_/, "")),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = await crypto.subtle.sign(
    "HMAC",
    key,
    new TextEncoder().encode(`${id}.${timestamp}.${body}`),
  );
  return `v1,${encodeBase64(new Uint8Array(mac))}`;
}

/** The `webhook` kind of the sender loop. */
export function webhookKind(deps: Deps, options: WebhookKindOptions = {}): OutboxKind {
  const config = deps.config.webhooks;
  const schedule = options.schedule ?? webhookSchedule(config.retryScale);
  const timeoutMs = options.timeoutMs ?? DELIVERY_TIMEOUT_MS;
  const master = deps.db.master;

  const disable = async (endpoint: Endpoint, reason: DisableReason) => {
    if (await disableEndpoint(master, endpoint.id, reason, deps.now())) {
      deps.log.warn("webhook endpoint disabled", { endpointId: endpoint.id, reason });
      await options.onDisabled?.(endpoint, reason);
    }
  };
  /** A failed attempt: start the streak, or end the endpoint after 5 days of it. */
  const failed = async (endpoint: SigningEndpoint | null) => {
    if (!endpoint) return;
    const now = deps.now();
    if (!endpoint.failingSince) await markFailing(master, endpoint.id, now);
    else if (now.getTime() - endpoint.failingSince.getTime() >= FAILING_DISABLE_MS) {
      await disable(endpoint, "failing");
    }
  };

  /**
   * The endpoint's reads under way: an attempt that starts while one is under way shares its
   * answer (as fresh as a read of its own, which would have run at the same time), so a burst
   * of deliveries to one endpoint reads it once, not once per delivery.
   */
  const reading = new Map<string, Promise<SigningEndpoint | null>>();
  const readEndpoint = (orgId: string, id: string) => {
    const key = `${orgId}/${id}`;
    let read = reading.get(key);
    if (!read) {
      read = signingEndpoint(master, orgId, id).finally(() => reading.delete(key));
      reading.set(key, read);
    }
    return read;
  };

  return {
    schedule,
    concurrency: DELIVERY_CONCURRENCY,
    async send(item: OutboxItem): Promise<Outcome> {
      const p = item.payload as DeliveryPayload;
      const endpoint = await readEndpoint(p.orgId, p.endpointId);
      let target: { url: string; secret: string };
      if (endpoint) {
        if (!endpoint.enabled) {
          return { ok: false, temporary: false, error: "The endpoint is disabled" };
        }
        target = endpoint;
      } else if (
        typeof item.secret?.url === "string" && typeof item.secret?.secret === "string"
      ) {
        target = { url: item.secret.url, secret: item.secret.secret };
      } else {
        return { ok: false, temporary: false, error: "The endpoint was deleted" };
      }
      let url: URL;
      try {
        url = new URL(target.url);
      } catch {
        return { ok: false, temporary: false, error: "The endpoint's URL is not a URL" };
      }
      if (!(url.protocol === "https:" || (url.protocol === "http:" && config.allowHttp))) {
        return { ok: false, temporary: false, error: `${url.protocol} URLs are not allowed` };
      }
      let addresses;
      try {
        addresses = await checkedAddresses(url.hostname, {
          allowPrivate: config.allowPrivate,
          resolve: options.resolve,
        });
      } catch (e) {
        if (!(e instanceof AddressRefused)) throw e;
        // DNS may change back: retried on the schedule, and counted as the endpoint failing.
        await failed(endpoint);
        return { ok: false, temporary: true, error: `Not sent: ${e.message}` };
      }
      const body = JSON.stringify({ type: p.type, timestamp: p.timestamp, data: p.data });
      const timestamp = Math.floor(Date.now() / 1000);
      const headers = {
        "webhook-id": p.eventId,
        "webhook-timestamp": String(timestamp),
        "webhook-signature": await signature(target.secret, p.eventId, timestamp, body),
      };
      let status: number;
      try {
        ({ status } = await postPinned(url, headers, body, { addresses, timeoutMs }));
      } catch (e) {
        await failed(endpoint);
        return { ok: false, temporary: true, error: e instanceof Error ? e.message : String(e) };
      }
      if (status >= 200 && status < 300) {
        if (endpoint?.failingSince) await clearFailing(master, endpoint.id);
        return { ok: true, response: `HTTP ${status}`, lastStatus: status };
      }
      if (status === 410) {
        if (endpoint) await disable(endpoint, "gone");
        return {
          ok: false,
          temporary: false,
          error: "HTTP 410 Gone: the endpoint is disabled",
          lastStatus: status,
        };
      }
      await failed(endpoint);
      const error = status >= 300 && status < 400
        ? `HTTP ${status} (redirects are not followed)`
        : `HTTP ${status}`;
      return { ok: false, temporary: true, error, lastStatus: status };
    },
  };
}

/** A delivery as the log shows it. */
export interface Delivery {
  id: string;
  eventId: string;
  type: EventType;
  status: "pending" | "succeeded" | "failed";
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
  /** When the next attempt is due (pending only). */
  nextAttemptAt: Date | null;
  createdAt: Date;
}

function toDelivery(item: OutboxItem): Delivery {
  const p = item.payload as DeliveryPayload;
  return {
    id: item.id,
    eventId: p.eventId,
    type: p.type,
    status: item.status === "sent" ? "succeeded" : item.status,
    attempts: item.attempts,
    lastStatus: item.lastStatus ?? null,
    lastError: item.lastError ?? null,
    nextAttemptAt: item.status === "pending" ? item.dueAt : null,
    createdAt: item.createdAt,
  };
}

/** One page of an endpoint's deliveries, newest first. */
export async function deliveriesPage(
  deps: Pick<Deps, "db" | "config">,
  endpointId: string,
  page: PageRequest,
): Promise<Page<Delivery>> {
  const r = await outboxPageBy(
    deps.db.master,
    { kind: WEBHOOK_KIND, field: "endpointId", value: endpointId },
    page,
    deps.config.jwtSecret,
  );
  return { items: r.items.map(toDelivery), nextCursor: r.nextCursor };
}

/** One delivery of the endpoint, or null. */
export async function findDelivery(
  deps: Pick<Deps, "db">,
  endpointId: string,
  deliveryId: string,
): Promise<Delivery | null> {
  const item = await getOutboxItem(deps.db.master, deliveryId);
  if (!item || item.kind !== WEBHOOK_KIND) return null;
  if ((item.payload as DeliveryPayload).endpointId !== endpointId) return null;
  return toDelivery(item);
}

/** Send a delivery again now (see `requeueNow`); false when it is being sent right now. */
export async function redeliver(
  deps: Pick<Deps, "db" | "now">,
  deliveryId: string,
): Promise<boolean> {
  return await requeueNow(deps.db.master, deliveryId, deps.now());
}
