/** The scope handed to domain functions, built once per request: org, actor, request. */
import type { RequestContext } from "../audit/audit.ts";
import type { ActorScope, CallerScope, Scope } from "../access/scope.ts";
import type { Caller, OrgCaller, Principal, SignedIn } from "../access/principal.ts";
import type { DataScope } from "../data/scope.ts";
import type { Deps } from "../platform/deps.ts";
import type { Org } from "../tenants/orgs.ts";
import { formatIp, parseIp, type TrustedProxies, trustedProxies } from "../platform/addresses.ts";
import type { AppEnv } from "./env.ts";

const compiled = new WeakMap<string[], TrustedProxies>();

/** The configuration's list, compiled once (the array is the configuration's own). */
function proxiesOf(list: string[]): TrustedProxies {
  let p = compiled.get(list);
  if (!p) compiled.set(list, p = trustedProxies(list));
  return p;
}

/** An address in canonical form (a mapped IPv4 as IPv4), or the text itself if it is none. */
const canonical = (text: string) => {
  const b = parseIp(text);
  return b ? formatIp(b) : text.slice(0, 64);
};

/**
 * The client address (docs/architecture.md, "Identity and access"): the connection's peer, or, when
 * the peer is a trusted proxy, the right-most X-Forwarded-For hop that is not itself one. Only
 * hops appended by trusted proxies are believed: walking from the right stops at the first
 * other address, so whatever the client wrote to the left of it is never read. `*` trusts any
 * peer as one proxy, so the hop it appended (the right-most) is the client.
 */
export function clientAddress(
  remote: string | undefined,
  forwardedFor: string | undefined,
  trusted: string[],
): string {
  if (!remote) return "unknown";
  const peer = parseIp(remote);
  const proxies = proxiesOf(trusted);
  if (!forwardedFor || !peer || !(proxies.any || proxies.trusts(peer))) {
    return peer ? formatIp(peer) : remote;
  }
  const hops = forwardedFor.split(",").map((s) => s.trim()).filter(Boolean);
  if (!hops.length) return formatIp(peer);
  if (proxies.any) return canonical(hops[hops.length - 1]);
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = parseIp(hops[i]);
    if (!hop || !proxies.trusts(hop)) return canonical(hops[i]);
  }
  // Every hop is a trusted proxy: the request started inside; the left-most one is its origin.
  return canonical(hops[0]);
}

/**
 * What the scope builders read of a handler's context: its variables through `get` (Hono's
 * `c.var` builds a new object on every read, which the hot paths feel).
 */
interface Ctx<V> {
  get<K extends keyof (V & { requestId: string; deps: Deps })>(
    key: K,
  ): (V & { requestId: string; deps: Deps })[K];
  env: AppEnv["Bindings"] | undefined;
  req: { header(name: string): string | undefined };
}

/**
 * Who asks and from where, for the audit log: request id, client address, the actor if any (a
 * person, or an org's API key).
 */
export function requestOf(c: Ctx<{ principal?: Caller }>): RequestContext {
  const p = c.get("principal");
  return {
    requestId: c.get("requestId"),
    ip: clientAddress(
      c.env?.remoteAddr?.hostname,
      c.req.header("X-Forwarded-For"),
      c.get("deps").config.trustedProxies,
    ),
    actor: p === undefined
      ? undefined
      : p.kind === "api_key"
      ? { type: "api_key", id: p.keyId, name: p.keyName }
      : { userId: p.userId },
  };
}

/** A caller who may be signed in (routes behind `optionalAuth`) or not (`publicAccess`). */
export function callerOf(c: Ctx<{ principal?: SignedIn }>): CallerScope {
  return { actor: c.get("principal"), request: requestOf(c) };
}

/** The signed-in caller's scope (routes behind `auth`). */
export function actorOf(c: Ctx<{ principal: SignedIn }>): ActorScope {
  return { actor: c.get("principal"), request: requestOf(c) };
}

/** The caller's scope in their own org (routes behind `auth` and `orgScope`). */
export function scopeOf(c: Ctx<{ principal: Principal; org: Org }>): Scope {
  return { org: c.get("org"), actor: c.get("principal"), request: requestOf(c) };
}

/**
 * A document request's scope. Only the audited writes read `request`, so the client address is
 * worked out when they do. A class rather than an object literal with a getter: a literal's own
 * accessor gives every object a hidden class of its own, which keeps the whole request reachable
 * from the heap's old generation until a full collection.
 */
class RequestDataScope implements DataScope {
  readonly deps: Deps;
  readonly org: Org;
  readonly #c: Ctx<{ principal: OrgCaller; org: Org }>;
  #request?: RequestContext;

  constructor(c: Ctx<{ principal: OrgCaller; org: Org }>) {
    this.deps = c.get("deps");
    this.org = c.get("org");
    this.#c = c;
  }

  get request(): RequestContext {
    return this.#request ??= requestOf(this.#c);
  }
}

/**
 * The document API's scope: the org scope with the dependencies its functions take. Members and
 * the org's API keys alike.
 */
export function dataScope(c: Ctx<{ principal: OrgCaller; org: Org }>): DataScope {
  return new RequestDataScope(c);
}
