import { createApiKey, listApiKeys, revokeApiKey } from "../../access/api-keys.ts";
import type { ApiKey } from "../../identity/api-keys.ts";
import { scopeOf } from "../../http/context.ts";
import type { AppRouteHandler } from "../../http/router.ts";
import type { CreateRoute, ListRoute, RemoveRoute } from "./api-keys.routes.ts";

const apiKeyView = (k: ApiKey) => ({
  id: k.id,
  name: k.name,
  scopes: k.scopes,
  prefix: k.prefix,
  createdBy: k.createdBy,
  createdAt: k.createdAt.toISOString(),
  expiresAt: k.expiresAt?.toISOString() ?? null,
  lastUsedAt: k.lastUsedAt?.toISOString() ?? null,
});

export const create: AppRouteHandler<CreateRoute> = async (c) => {
  const { apiKey, key } = await createApiKey(c.get("deps"), scopeOf(c), c.req.valid("json"));
  return c.json({ ...apiKeyView(apiKey), key }, 201);
};

export const list: AppRouteHandler<ListRoute> = async (c) => {
  const page = await listApiKeys(c.get("deps"), { org: c.get("org") }, c.req.valid("query"));
  return c.json({ items: page.items.map(apiKeyView), nextCursor: page.nextCursor }, 200);
};

export const remove: AppRouteHandler<RemoveRoute> = async (c) => {
  await revokeApiKey(c.get("deps"), scopeOf(c), c.req.valid("param"));
  return c.body(null, 204);
};
