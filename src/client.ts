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
export type { FieldError, Problem, ProblemCode, ResponseLike } from "./client-problem.ts";

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
  return encodingPaths(hc<AppType>(baseUrl, { headers, fetch: opts.fetch }));
}

/**
 * One path parameter as one path segment. `hc` puts `param` values into the URL as they are, so
 * `x/../../<slug>` would climb to another route; encoded, no value can change the path. The
 * values no URL can carry as one segment are refused before anything is sent: the empty one
 * (`hc` would drop the segment) and `.` and `..` (every URL parser, `fetch`'s too, resolves them,
 * even as `%2E`).
 */
function encodePathParameter(name: string, value: unknown): string {
  const text = value === undefined || value === null ? "" : String(value);
  if (text === "" || text === "." || text === "..") {
    throw new TypeError(`The path parameter ${name} cannot be ${JSON.stringify(text)}`);
  }
  return encodeURIComponent(text);
}

/**
 * `client` with every `param` value encoded exactly once, on every call (`$get`, `$post`, ...,
 * `$url`, `$path`); the types stay `hc`'s. `hc`'s client is a proxy of path keys whose calls
 * read their first argument's `param`: this proxy follows the same keys and encodes it.
 */
function encodingPaths<T extends object>(client: T): T {
  return new Proxy(client, {
    get(target, key) {
      const next = Reflect.get(target, key);
      return typeof key === "string" && typeof next === "function" ? encodingPaths(next) : next;
    },
    apply(target, self, args: unknown[]) {
      const [first, ...rest] = args;
      if (typeof first !== "object" || first === null || !("param" in first)) {
        return Reflect.apply(target as (...a: unknown[]) => unknown, self, args);
      }
      const { param } = first as { param?: Record<string, unknown> };
      const encoded = param && Object.fromEntries(
        Object.entries(param).map(([name, value]) => [name, encodePathParameter(name, value)]),
      );
      return Reflect.apply(target as (...a: unknown[]) => unknown, self, [
        { ...first, param: encoded },
        ...rest,
      ]);
    },
  });
}

export type Client = ReturnType<typeof createClient>;
export { collection, CollectionError, type Stored } from "./client-collection.ts";
