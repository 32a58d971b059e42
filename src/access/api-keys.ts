/**
 * An org's API keys (docs/api-keys.md): owners and admins create, list and revoke them (the
 * routes declare who; keys themselves may not). A key is shown once, when it is created.
 */
import { recordEvent } from "../audit/audit.ts";
import { emitEvent } from "../events/catalogue.ts";
import { tag } from "../platform/cache.ts";
import type { Deps } from "../platform/deps.ts";
import { apiKeyNotFound } from "../platform/errors.ts";
import type { Page, PageRequest } from "../platform/paging.ts";
import {
  type ApiKey,
  type ApiKeyScope,
  apiKeysPage,
  deleteApiKey,
  insertApiKey,
} from "../identity/api-keys.ts";
import type { Scope } from "./scope.ts";

const DAY_MS = 86_400_000;

/**
 * Create a key for the org; `key` is in this answer only (just its secret's hash is stored).
 * Records and emits `api_key.created` (audit log and webhooks), once the key is stored.
 */
export async function createApiKey(
  deps: Deps,
  { org, actor, request }: Scope,
  input: { name: string; scopes: ApiKeyScope[]; expiresInDays?: number },
): Promise<{ apiKey: ApiKey; key: string }> {
  const now = deps.now();
  const created = await insertApiKey(deps.db.master, {
    orgId: org.id,
    name: input.name,
    scopes: [...new Set(input.scopes)],
    createdBy: actor.userId,
    expiresAt: input.expiresInDays === undefined
      ? null
      : new Date(now.getTime() + input.expiresInDays * DAY_MS),
  }, now);
  const target = { apiKeyId: created.apiKey.id, name: created.apiKey.name };
  await recordEvent(deps, org, "api_key.created", request, target);
  const { id, name, scopes, expiresAt } = created.apiKey;
  await emitEvent(deps, {
    org,
    type: "api_key.created",
    data: { id, name, scopes, expiresAt: expiresAt?.toISOString() ?? null },
    key: `api_key.created:${id}`,
  });
  return created;
}

/** One page of the org's keys (never a secret). */
export async function listApiKeys(
  deps: Deps,
  { org }: Pick<Scope, "org">,
  page: PageRequest,
): Promise<Page<ApiKey>> {
  return await apiKeysPage(deps.db.master, org.id, page, deps.config.jwtSecret);
}

/**
 * Revoke (delete) one of the org's keys: it stops working at once on this instance (its cached
 * check is forgotten) and within the cache's TTL (≤ 5 s) on every other. 404 `api_key_not_found`
 * for a key the org does not have. Records and emits `api_key.revoked` (audit log and webhooks).
 */
export async function revokeApiKey(
  deps: Deps,
  { org, request }: Scope,
  { id }: { id: string },
): Promise<void> {
  const gone = await deleteApiKey(deps.db.master, org.id, id);
  deps.cache.forget(tag.apiKey(id));
  if (!gone) throw apiKeyNotFound();
  await recordEvent(deps, org, "api_key.revoked", request, { apiKeyId: gone.id, name: gone.name });
  await emitEvent(deps, {
    org,
    type: "api_key.revoked",
    data: { id: gone.id, name: gone.name },
    key: `api_key.revoked:${gone.id}`,
  });
}
