import {
  createWebhook,
  deleteWebhook,
  type Delivery,
  type Endpoint,
  listDeliveries,
  listWebhooks,
  retryDelivery,
  testWebhook,
  updateWebhook,
} from "../../access/webhook-flows.ts";
import { scopeOf } from "../../http/context.ts";
import type { AppRouteHandler } from "../../http/router.ts";
import type {
  CreateRoute,
  DeliveriesRoute,
  ListRoute,
  PatchRoute,
  RemoveRoute,
  RetryRoute,
  TestRoute,
} from "./webhooks.routes.ts";

const webhookView = (e: Endpoint) => ({
  id: e.id,
  url: e.url,
  events: e.events,
  description: e.description,
  enabled: e.enabled,
  disabledReason: e.disabledReason ?? null,
  createdAt: e.createdAt.toISOString(),
});

const deliveryView = (d: Delivery) => ({
  ...d,
  nextAttemptAt: d.nextAttemptAt?.toISOString() ?? null,
  createdAt: d.createdAt.toISOString(),
});

export const create: AppRouteHandler<CreateRoute> = async (c) => {
  const { endpoint, secret } = await createWebhook(
    c.get("deps"),
    scopeOf(c),
    c.req.valid("json"),
  );
  return c.json({ ...webhookView(endpoint), secret }, 201);
};

export const list: AppRouteHandler<ListRoute> = async (c) => {
  const page = await listWebhooks(c.get("deps"), { org: c.get("org") }, c.req.valid("query"));
  return c.json({ items: page.items.map(webhookView), nextCursor: page.nextCursor }, 200);
};

export const patch: AppRouteHandler<PatchRoute> = async (c) => {
  const { id } = c.req.valid("param");
  const endpoint = await updateWebhook(c.get("deps"), scopeOf(c), { id, ...c.req.valid("json") });
  return c.json(webhookView(endpoint), 200);
};

export const remove: AppRouteHandler<RemoveRoute> = async (c) => {
  await deleteWebhook(c.get("deps"), scopeOf(c), c.req.valid("param"));
  return c.body(null, 204);
};

export const test: AppRouteHandler<TestRoute> = async (c) => {
  return c.json(await testWebhook(c.get("deps"), { org: c.get("org") }, c.req.valid("param")), 202);
};

export const deliveries: AppRouteHandler<DeliveriesRoute> = async (c) => {
  const page = await listDeliveries(
    c.get("deps"),
    { org: c.get("org") },
    c.req.valid("param"),
    c.req.valid("query"),
  );
  return c.json({ items: page.items.map(deliveryView), nextCursor: page.nextCursor }, 200);
};

export const retry: AppRouteHandler<RetryRoute> = async (c) => {
  await retryDelivery(c.get("deps"), { org: c.get("org") }, c.req.valid("param"));
  return c.body(null, 202);
};
