/**
 * Turning a bearer token into a principal. A person's verified access token: the session must be
 * live, the user still there, the membership present (its current role wins over the token's)
 * and the org active. An org's API key (`osk_...`): the key must exist, be unexpired and its
 * secret match, and the org be active. Both are cached per session (or key) in the short-TTL
 * cache (src/platform/cache.ts); every revoking change forgets its tags.
 */
import type { Db } from "mongodb";
import { type Cache, tag } from "../platform/cache.ts";
import { orgSuspended, tokenRevoked, unauthorized } from "../platform/errors.ts";
import { isVisible, type OrgStatus } from "../tenants/org-status.ts";
import { findOrgById } from "../tenants/orgs.ts";
import { findMembership, type Role } from "../identity/memberships.ts";
import { findSession, isLive } from "../identity/sessions.ts";
import { findUserById } from "../identity/users.ts";
import type { AccessClaims } from "../identity/tokens.ts";
import {
  type ApiKeyScope,
  findApiKey,
  parseApiKey,
  secretMatches,
  type StoredApiKey,
  touchApiKey,
} from "../identity/api-keys.ts";

/** A signed-in member acting in one org (the token's). */
export interface Principal {
  kind: "person";
  userId: string;
  orgId: string;
  orgSlug: string;
  role: Role;
  sessionId: string;
}

/**
 * An operator signed in outside any org (a member of none): good for the operator routes and
 * the caller's own account only; every org's routes answer 404 as for any org not theirs.
 */
export interface OrglessPrincipal {
  kind: "person";
  userId: string;
  orgId: null;
  orgSlug: null;
  role: null;
  sessionId: string;
}

/** Whoever a valid access token names: a person. */
export type SignedIn = Principal | OrglessPrincipal;

/** An org's API key acting in its org, with its scopes (it holds no role and no session). */
export interface KeyPrincipal {
  kind: "api_key";
  keyId: string;
  keyName: string;
  scopes: readonly ApiKeyScope[];
  orgId: string;
  orgSlug: string;
}

/**
 * The one principal type the `auth` middleware resolves a bearer token to: a person (a JWT) or
 * an org's API key.
 */
export type Caller = SignedIn | KeyPrincipal;
/** A caller acting in its own org: a member or the org's key. */
export type OrgCaller = Principal | KeyPrincipal;

/** How often a key's `lastUsedAt` is written at most. */
export const KEY_USE_RECORDED_EVERY_MS = 60_000;

type Check = { role: Role; orgStatus: OrgStatus; orgSlug: string } | null;

export async function resolvePrincipal(
  cache: Cache,
  db: Db,
  claims: AccessClaims,
  now: () => Date,
): Promise<SignedIn> {
  if (claims.org === undefined) return await resolveOrgless(cache, db, claims, now);
  return await resolveMember(cache, db, { ...claims, org: claims.org }, now);
}

/**
 * An org-less token stands while its session is live, its session has no org and its user is
 * still an operator (the role is revoked only from the command line, which forgets the user).
 */
async function resolveOrgless(
  cache: Cache,
  db: Db,
  claims: AccessClaims,
  now: () => Date,
): Promise<OrglessPrincipal> {
  const ok = await cache.get<boolean>(`principal:${claims.sid}:`, async () => {
    const [session, user] = await Promise.all([
      findSession(db, claims.sid),
      findUserById(db, claims.sub),
    ]);
    return {
      value: !!session && isLive(session, now()) && session.userId === claims.sub &&
        session.orgId === null && user?.platformRole === "operator",
      tags: [tag.session(claims.sid), tag.user(claims.sub)],
    };
  });
  if (!ok) throw tokenRevoked();
  return {
    kind: "person",
    userId: claims.sub,
    orgId: null,
    orgSlug: null,
    role: null,
    sessionId: claims.sid,
  };
}

async function resolveMember(
  cache: Cache,
  db: Db,
  claims: AccessClaims & { org: string },
  now: () => Date,
): Promise<Principal> {
  const check = await cache.get<Check>(`principal:${claims.sid}:${claims.org}`, async () => {
    const [session, membership, org, user] = await Promise.all([
      findSession(db, claims.sid),
      findMembership(db, claims.sub, claims.org),
      findOrgById(db, claims.org),
      findUserById(db, claims.sub),
    ]);
    const ok = session && isLive(session, now()) && session.userId === claims.sub &&
      membership && user && org && isVisible(org);
    return {
      value: ok ? { role: membership.role, orgStatus: org.status, orgSlug: org.slug } : null,
      tags: [tag.session(claims.sid), tag.user(claims.sub), tag.org(claims.org)],
    };
  });
  if (!check) throw tokenRevoked();
  if (check.orgStatus === "suspended") throw orgSuspended();
  return {
    kind: "person",
    userId: claims.sub,
    orgId: claims.org,
    orgSlug: check.orgSlug,
    role: check.role,
    sessionId: claims.sid,
  };
}

type KeyCheck = { key: StoredApiKey; orgStatus: OrgStatus; orgSlug: string } | null;

/**
 * An API key (`osk_<id>_<secret>`) to its principal: 401 unless it is well formed, exists, has
 * not expired and its secret matches (in constant time); 403 `org_suspended` for a suspended
 * org's key. Cached per key (revoking forgets `apikey:<id>`); its last use is written at most
 * once a minute.
 */
export async function resolveApiKey(
  cache: Cache,
  db: Db,
  token: string,
  now: () => Date,
): Promise<KeyPrincipal> {
  const parsed = parseApiKey(token);
  if (!parsed) throw unauthorized("Not a valid API key");
  const check = await cache.get<KeyCheck>(`apikey:${parsed.id}`, async () => {
    const key = await findApiKey(db, parsed.id);
    const org = key && await findOrgById(db, key.orgId);
    return {
      value: key && org && isVisible(org)
        ? { key, orgStatus: org.status, orgSlug: org.slug }
        : null,
      tags: [tag.apiKey(parsed.id), ...(key ? [tag.org(key.orgId)] : [])],
    };
  });
  const at = now();
  if (!check || !secretMatches(check.key, parsed.secret)) throw unauthorized("Not a valid API key");
  if (check.key.expiresAt !== null && check.key.expiresAt <= at) {
    throw unauthorized("The API key has expired");
  }
  if (check.orgStatus === "suspended") throw orgSuspended();
  const { key } = check;
  const last = key.lastUsedAt?.getTime() ?? -Infinity;
  if (at.getTime() - last >= KEY_USE_RECORDED_EVERY_MS) {
    // Recorded on the cached check too, so the next requests of the minute write nothing.
    key.lastUsedAt = at;
    await touchApiKey(db, key.id, at, KEY_USE_RECORDED_EVERY_MS);
  }
  return {
    kind: "api_key",
    keyId: key.id,
    keyName: key.name,
    scopes: key.scopes,
    orgId: key.orgId,
    orgSlug: check.orgSlug,
  };
}
