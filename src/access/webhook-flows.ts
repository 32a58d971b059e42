/**
 * An org's webhook endpoints as owners and admins manage them (docs/webhooks.md): create
 * (the secret shown once), list, change, delete, a test event, the delivery log and its retry.
 * The URL rule is checked here on every save; the sender checks it again at every attempt.
 */
import { recordEvent } from "../audit/audit.ts";
import { emitEvent, isEventType } from "../events/catalogue.ts";
import {
  deliveriesPage,
  type Delivery,
  type DisableReason,
  findDelivery,
  redeliver,
  webhookKind,
  type WebhookKindOptions,
} from "../events/deliveries.ts";
import {
  countEndpoints,
  createEndpoint,
  deleteEndpoint,
  type Endpoint,
  endpointsPage,
  findEndpoint,
  MAX_ENDPOINTS,
  updateEndpoint,
} from "../events/endpoints.ts";
import type { OutboxKind } from "../outbox/sender.ts";
import type { WebhookConfig } from "../platform/config.ts";
import type { Deps } from "../platform/deps.ts";
import {
  conflict,
  deliveryNotFound,
  invalidField,
  invalidUrl,
  quotaExceeded,
  webhookNotFound,
} from "../platform/errors.ts";
import type { Page, PageRequest } from "../platform/paging.ts";
import { AddressRefused, checkedAddresses, type Resolver } from "../platform/public-address.ts";
import { findOrgById } from "../tenants/orgs.ts";
import type { Scope } from "./scope.ts";

export type { Delivery, Endpoint };

/**
 * 400 `invalid_url` unless `raw` is an absolute `https://` URL (also `http://` outside
 * production) without credentials whose host is, and resolves only to, public addresses (unless
 * WEBHOOK_ALLOW_PRIVATE=1). Nothing is sent to it.
 */
export async function checkWebhookUrl(
  config: WebhookConfig,
  raw: string,
  resolve?: Resolver,
): Promise<string> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalidUrl("Not an absolute URL");
  }
  if (url.protocol !== "https:" && !(url.protocol === "http:" && config.allowHttp)) {
    throw invalidUrl(config.allowHttp ? "Must be an http:// or https:// URL" : "Must be https://");
  }
  if (url.username || url.password) throw invalidUrl("Must not carry credentials");
  try {
    await checkedAddresses(url.hostname, { allowPrivate: config.allowPrivate, resolve });
  } catch (e) {
    if (e instanceof AddressRefused) throw invalidUrl(e.message);
    throw e;
  }
  return url.href;
}

function checkEvents(events: string[]): string[] {
  const unique = [...new Set(events)];
  if (!unique.length) throw invalidField("events", 'Name at least one event, or "*"');
  if (unique.includes("*") && unique.length > 1) {
    throw invalidField("events", '"*" takes every event: name it alone');
  }
  const unknown = unique.filter((e) => e !== "*" && !isEventType(e));
  if (unknown.length) throw invalidField("events", `Unknown event ${unknown[0]}`);
  return unique;
}

async function ownEndpoint(deps: Deps, org: { id: string }, id: string): Promise<Endpoint> {
  const endpoint = await findEndpoint(deps.db.master, org.id, id);
  if (!endpoint) throw webhookNotFound();
  return endpoint;
}

/** Create an endpoint; the answer's `secret` is the only time it is shown. */
export async function createWebhook(
  deps: Deps,
  { org, request }: Scope,
  input: { url: string; events: string[]; description?: string },
): Promise<{ endpoint: Endpoint; secret: string }> {
  const events = checkEvents(input.events);
  const url = await checkWebhookUrl(deps.config.webhooks, input.url);
  const master = deps.db.master;
  if (await countEndpoints(master, org.id) >= MAX_ENDPOINTS) {
    throw quotaExceeded("webhook endpoints", MAX_ENDPOINTS);
  }
  const created = await createEndpoint(master, {
    orgId: org.id,
    url,
    events,
    description: input.description ?? "",
  }, deps.now());
  // Two creations at once could both pass the count: the one past the limit is undone.
  if (await countEndpoints(master, org.id) > MAX_ENDPOINTS) {
    await deleteEndpoint(master, org.id, created.endpoint.id);
    throw quotaExceeded("webhook endpoints", MAX_ENDPOINTS);
  }
  await recordEvent(deps, org, "webhook.created", request, {
    webhookId: created.endpoint.id,
    url,
  });
  return created;
}

export async function listWebhooks(
  deps: Deps,
  { org }: Pick<Scope, "org">,
  page: PageRequest,
): Promise<Page<Endpoint>> {
  return await endpointsPage(deps.db.master, org.id, page, deps.config.jwtSecret);
}

/** Change an endpoint; a new URL is checked like a new endpoint's; disabling is audited. */
export async function updateWebhook(
  deps: Deps,
  { org, request }: Scope,
  input: { id: string; url?: string; events?: string[]; description?: string; enabled?: boolean },
): Promise<Endpoint> {
  const before = await ownEndpoint(deps, org, input.id);
  const change = {
    url: input.url !== undefined
      ? await checkWebhookUrl(deps.config.webhooks, input.url)
      : undefined,
    events: input.events !== undefined ? checkEvents(input.events) : undefined,
    description: input.description,
    enabled: input.enabled,
  };
  const after = await updateEndpoint(deps.db.master, org.id, before.id, change, deps.now());
  if (!after) throw webhookNotFound();
  if (before.enabled && !after.enabled) {
    await recordEvent(deps, org, "webhook.disabled", request, {
      webhookId: after.id,
      reason: "manual",
    });
  }
  return after;
}

export async function deleteWebhook(
  deps: Deps,
  { org, request }: Scope,
  { id }: { id: string },
): Promise<void> {
  if (!await deleteEndpoint(deps.db.master, org.id, id)) throw webhookNotFound();
  await recordEvent(deps, org, "webhook.deleted", request, { webhookId: id });
}

/** Queue a `webhook.test` event to this endpoint alone; 409 when it is disabled. */
export async function testWebhook(
  deps: Deps,
  { org }: Pick<Scope, "org">,
  { id }: { id: string },
): Promise<{ eventId: string }> {
  const endpoint = await ownEndpoint(deps, org, id);
  if (!endpoint.enabled) throw conflict("The endpoint is disabled: enable it first");
  const { eventId } = await emitEvent(deps, {
    org,
    type: "webhook.test",
    data: { endpointId: id },
    only: id,
  });
  return { eventId };
}

export async function listDeliveries(
  deps: Deps,
  { org }: Pick<Scope, "org">,
  { id }: { id: string },
  page: PageRequest,
): Promise<Page<Delivery>> {
  await ownEndpoint(deps, org, id);
  return await deliveriesPage(deps, id, page);
}

/** Send a delivery again now (a pending one at once, a finished one once more). */
export async function retryDelivery(
  deps: Deps,
  { org }: Pick<Scope, "org">,
  { id, deliveryId }: { id: string; deliveryId: string },
): Promise<void> {
  await ownEndpoint(deps, org, id);
  if (!await findDelivery(deps, id, deliveryId)) throw deliveryNotFound();
  // False only while it is being sent right now: then it is under way already.
  await redeliver(deps, deliveryId);
}

/** The `webhook` kind of the sender loop, recording `webhook.disabled` in the org's audit log. */
export function webhookSender(
  deps: Deps,
  options: Omit<WebhookKindOptions, "onDisabled"> = {},
): OutboxKind {
  return webhookKind(deps, {
    ...options,
    async onDisabled(endpoint: Endpoint, reason: DisableReason) {
      const org = await findOrgById(deps.db.master, endpoint.orgId);
      if (!org) return;
      await recordEvent(deps, org, "webhook.disabled", { ip: "internal" }, {
        webhookId: endpoint.id,
        reason,
      });
    },
  });
}
