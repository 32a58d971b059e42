/**
 * The typed RPC client. Imports only types from the server (and the browser-safe
 * `src/client-problem.ts`), so browsers and scripts can use it without pulling in server code.
 *
 * @example
 * const api = createClient("http://localhost:8000", { token });
 * const res = await api.v1.orgs[":slug"].$get({ param: { slug: "acme-corp" } });
 * const problem = await problemOf(res); // null when res.ok
 */
import { hc } from "hono/client";
import type { AppType } from "./app.ts";

export { parseProblem, problemOf } from "./client-problem.ts";
export type { FieldError, Problem, ResponseLike } from "./client-problem.ts";

export interface ClientOptions {
  /**
   * Access token sent as `Authorization: Bearer ...`: a fixed one, or a getter read before
   * every request (for a caller that refreshes its token, such as the console).
   */
  token?: string | (() => string | undefined);
  /** A fetch to use instead of the global one (tests pass `app.request`). */
  fetch?: typeof fetch;
  headers?: Record<string, string>;
}

export function createClient(baseUrl: string, opts: ClientOptions = {}) {
  const { token } = opts;
  const withToken = (t: string | undefined) => ({
    ...opts.headers,
    ...(t ? { Authorization: `Bearer ${t}` } : {}),
  });
  // A fixed token builds its headers once; a getter is asked on every request.
  const headers = typeof token === "function" ? () => withToken(token()) : withToken(token);
  return hc<AppType>(baseUrl, { headers, fetch: opts.fetch });
}

export type Client = ReturnType<typeof createClient>;
export { collection, CollectionError, type Stored } from "./client-collection.ts";
