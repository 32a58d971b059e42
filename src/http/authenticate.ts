/** Bearer-token authentication: the header to a principal (a person's JWT or an org's API key). */
import type { Deps } from "../platform/deps.ts";
import { unauthorized } from "../platform/errors.ts";
import { type Caller, resolveApiKey, resolvePrincipal } from "../access/principal.ts";
import { looksLikeApiKey } from "../identity/api-keys.ts";
import { verifyAccessToken } from "../identity/tokens.ts";

/** The bearer token of an `Authorization` header, or "" for none. */
export const bearerToken = (header: string | undefined) =>
  header?.startsWith("Bearer ") ? header.slice(7) : "";

/** Resolve the bearer token to a principal; throws 401/403 for a bad one. */
export async function authenticate(deps: Deps, header: string | undefined): Promise<Caller> {
  if (!header || header.length > 4096) throw unauthorized();
  const token = bearerToken(header);
  if (looksLikeApiKey(token)) {
    return await resolveApiKey(deps.cache, deps.db.master, token, deps.now);
  }
  const claims = await verifyAccessToken(deps.config.jwtSecret, token);
  if (!claims) throw unauthorized();
  return await resolvePrincipal(deps.cache, deps.db.master, claims, deps.now);
}
