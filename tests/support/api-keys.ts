/** Test support for API keys: create one through the API. */
import type { TestApp } from "./app.ts";

export type Scope =
  | "data:read"
  | "data:write"
  | "collections:manage"
  | "members:read"
  | "audit:read";

/** Create a key in `slug` as `token` (an owner's or admin's); throws unless 201. */
export async function createKey(
  t: TestApp,
  token: string,
  slug: string,
  scopes: Scope[],
  opts: { name?: string; expiresInDays?: number } = {},
) {
  const res = await t.client(token).v1.orgs[":slug"]["api-keys"].$post({
    param: { slug },
    json: { name: opts.name ?? `key ${scopes.join(" ")}`, scopes, ...opts },
  });
  if (res.status !== 201) throw new Error(`create key: ${res.status} ${await res.text()}`);
  return await res.json();
}
