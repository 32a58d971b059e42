/** Bearer-token authentication: the header to a principal. */
import type { Deps } from "../platform/deps.ts";
import { unauthorized } from "../platform/errors.ts";
import { resolvePrincipal, type SignedIn } from "../access/principal.ts";
import { verifyAccessToken } from "../identity/tokens.ts";

/** Resolve the bearer token to a principal; throws 401/403 for a bad one. */
export async function authenticate(deps: Deps, header: string | undefined): Promise<SignedIn> {
  if (!header || header.length > 4096) throw unauthorized();
  const token = header.startsWith("Bearer ") ? header.slice(7) : "";
  const claims = await verifyAccessToken(deps.config.jwtSecret, token);
  if (!claims) throw unauthorized();
  return await resolvePrincipal(deps.cache, deps.db.master, claims, deps.now);
}
