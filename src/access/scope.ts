/**
 * What a domain function is told about the request it serves, built once per request by the
 * routes (src/http/context.ts): the org (the caller's own, from the verified token), the actor
 * and the request's audit context. Domain functions take `(deps, scope, input)`.
 */
import type { RequestContext } from "../audit/audit.ts";
import type { Org } from "../tenants/orgs.ts";
import type { Principal, SignedIn } from "./principal.ts";

/**
 * A signed-in caller, outside any org route (sign-out, switch, me); an operator's token may have
 * no org.
 */
export interface ActorScope {
  actor: SignedIn;
  request: RequestContext;
}

/** A signed-in caller acting in their own org. */
export interface Scope extends ActorScope {
  actor: Principal;
  org: Org;
}

/** A caller who may or may not be signed in (accepting an invitation, creating an org). */
export interface CallerScope {
  actor: SignedIn | undefined;
  request: RequestContext;
}
