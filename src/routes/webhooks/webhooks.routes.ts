/** Webhook endpoints of an org and their deliveries (docs/webhooks.md). */
import { createRoute, z } from "@hono/zod-openapi";
import { auth, noKeys, orgScope, role } from "../../http/access.ts";
import { noStore } from "../../http/middleware.ts";
import {
  bearer,
  DateTime,
  errors,
  Id,
  json,
  jsonBody,
  pageOf,
  PageQuery,
  pathParam,
  Slug,
  SlugParams,
} from "../../http/schemas.ts";
import { EVENT_TYPES } from "../../events/catalogue.ts";

const WebhookParams = z.object({
  slug: Slug,
  id: pathParam("id", 64, "6745f1c2a9e4b1d2c3f4a5b6"),
});
const DeliveryParams = WebhookParams.extend({
  deliveryId: pathParam("deliveryId", 64, "6745f1c2a9e4b1d2c3f4a5b7"),
});

const EventName = z.enum(["*", ...EVENT_TYPES]);
const Url = z.string().min(1).max(2048).openapi({ example: "https://hooks.example.com/orgs" });
const Events = z.array(EventName).min(1).max(EVENT_TYPES.length + 1).openapi({
  description: 'The events this endpoint takes, or `["*"]` for all',
});
const Description = z.string().max(500);

export const WebhookSchema = z.object({
  id: Id,
  url: z.string(),
  events: z.array(z.string()),
  description: z.string(),
  enabled: z.boolean(),
  disabledReason: z.string().nullable().openapi({
    description: "Why it is disabled: `manual`, `gone` (a 410), `failing` (5 days of failures)",
  }),
  createdAt: DateTime,
}).openapi("Webhook");

export const DeliverySchema = z.object({
  id: Id,
  eventId: z.string().openapi({ description: "The `webhook-id` header of every attempt" }),
  type: z.string(),
  status: z.enum(["pending", "succeeded", "failed"]),
  attempts: z.number().int(),
  lastStatus: z.number().int().nullable(),
  lastError: z.string().nullable(),
  nextAttemptAt: DateTime.nullable(),
  createdAt: DateTime,
}).openapi("WebhookDelivery");

const URL_RULE = "The URL must be `https://` (also `http://` outside production), without " +
  "credentials, and its host must be and resolve only to public addresses: loopback " +
  "(`localhost`, `*.localhost`), private, link-local, CGNAT, multicast and other non-public " +
  "addresses are 400 `invalid_url` (checked again on the resolved address at every delivery). " +
  "Nothing is sent to a refused URL.";

export const create = createRoute({
  method: "post",
  path: "/v1/orgs/{slug}/webhooks",
  operationId: "createWebhook",
  tags: ["webhooks"],
  summary: "Add a webhook endpoint (owner or admin); its signing secret is shown once",
  description: `${URL_RULE} At most 10 endpoints per org (403 \`quota_exceeded\`). The ` +
    "`secret` (`whsec_` + base64 of 32 random bytes) is in this answer only; deliveries are " +
    "signed with it per Standard Webhooks.",
  security: bearer,
  middleware: [auth, orgScope, noKeys, role("owner", "admin"), noStore] as const,
  request: {
    params: SlugParams,
    ...jsonBody(z.strictObject({ url: Url, events: Events, description: Description.optional() })),
  },
  responses: {
    201: json(WebhookSchema.extend({ secret: z.string() }), "Created; `secret` shown once"),
    ...errors(400, 401, 403, 404, 413, 415),
  },
});

export const list = createRoute({
  method: "get",
  path: "/v1/orgs/{slug}/webhooks",
  operationId: "listWebhooks",
  tags: ["webhooks"],
  summary: "List the org's webhook endpoints (owner or admin); secrets are never shown again",
  security: bearer,
  middleware: [auth, orgScope, noKeys, role("owner", "admin")] as const,
  request: { params: SlugParams, query: PageQuery },
  responses: { 200: json(pageOf(WebhookSchema), "A page"), ...errors(400, 401, 403, 404) },
});

export const patch = createRoute({
  method: "patch",
  path: "/v1/orgs/{slug}/webhooks/{id}",
  operationId: "updateWebhook",
  tags: ["webhooks"],
  summary: "Change a webhook endpoint, or enable or disable it (owner or admin)",
  description: `${URL_RULE} Enabling clears the failure streak; deliveries failed while it was ` +
    "disabled stay failed (retry them from the delivery log).",
  security: bearer,
  middleware: [auth, orgScope, noKeys, role("owner", "admin")] as const,
  request: {
    params: WebhookParams,
    ...jsonBody(z.strictObject({
      url: Url.optional(),
      events: Events.optional(),
      description: Description.optional(),
      enabled: z.boolean().optional(),
    })),
  },
  responses: { 200: json(WebhookSchema, "The endpoint"), ...errors(400, 401, 403, 404, 413, 415) },
});

export const remove = createRoute({
  method: "delete",
  path: "/v1/orgs/{slug}/webhooks/{id}",
  operationId: "deleteWebhook",
  tags: ["webhooks"],
  summary: "Delete a webhook endpoint (owner or admin); its pending deliveries are not sent",
  security: bearer,
  middleware: [auth, orgScope, noKeys, role("owner", "admin")] as const,
  request: { params: WebhookParams },
  responses: { 204: { description: "Deleted" }, ...errors(400, 401, 403, 404) },
});

export const test = createRoute({
  method: "post",
  path: "/v1/orgs/{slug}/webhooks/{id}/test",
  operationId: "testWebhook",
  tags: ["webhooks"],
  summary: "Send a `webhook.test` event to this endpoint (owner or admin)",
  description: "Queued at once; its delivery shows in the log. A disabled endpoint is 409.",
  security: bearer,
  middleware: [auth, orgScope, noKeys, role("owner", "admin")] as const,
  request: { params: WebhookParams },
  responses: {
    202: json(z.object({ eventId: z.string() }), "Queued"),
    ...errors(400, 401, 403, 404, 409),
  },
});

export const deliveries = createRoute({
  method: "get",
  path: "/v1/orgs/{slug}/webhooks/{id}/deliveries",
  operationId: "listWebhookDeliveries",
  tags: ["webhooks"],
  summary: "An endpoint's deliveries, newest first (owner or admin)",
  security: bearer,
  middleware: [auth, orgScope, noKeys, role("owner", "admin")] as const,
  request: { params: WebhookParams, query: PageQuery },
  responses: { 200: json(pageOf(DeliverySchema), "A page"), ...errors(400, 401, 403, 404) },
});

export const retry = createRoute({
  method: "post",
  path: "/v1/orgs/{slug}/webhooks/{id}/deliveries/{deliveryId}/retry",
  operationId: "retryWebhookDelivery",
  tags: ["webhooks"],
  summary: "Send a delivery again now (owner or admin)",
  description: "A pending delivery is due at once; a succeeded or failed one is attempted once " +
    "more, with the same `webhook-id`.",
  security: bearer,
  middleware: [auth, orgScope, noKeys, role("owner", "admin")] as const,
  request: { params: DeliveryParams },
  responses: { 202: { description: "Queued" }, ...errors(400, 401, 403, 404) },
});

export type CreateRoute = typeof create;
export type ListRoute = typeof list;
export type PatchRoute = typeof patch;
export type RemoveRoute = typeof remove;
export type TestRoute = typeof test;
export type DeliveriesRoute = typeof deliveries;
export type RetryRoute = typeof retry;
