/**
 * The typed RPC client. Imports only types from the server, so browsers and scripts can use it
 * without pulling in server code.
 *
 * @example
 * const api = createClient("http://localhost:8000", { token });
 * const res = await api.v1.orgs[":slug"].$get({ param: { slug: "acme-corp" } });
 */
import { hc } from "hono/client";
import type { AppType } from "./app.ts";

export interface ClientOptions {
  /** Access token sent as `Authorization: Bearer ...`. */
  token?: string;
  /** A fetch to use instead of the global one (tests pass `app.request`). */
  fetch?: typeof fetch;
  headers?: Record<string, string>;
}

export function createClient(baseUrl: string, opts: ClientOptions = {}) {
  const headers = {
    ...opts.headers,
    ...(opts.token ? { Authorization: `Bearer ${opts.token}` } : {}),
  };
  return hc<AppType>(baseUrl, { headers, fetch: opts.fetch });
}

export type Client = ReturnType<typeof createClient>;
export { collection, CollectionError, type Stored } from "./collection-client.ts";
