/**
 * Turning a verified access token into a principal: the session must be live, the user still
 * there, the membership present (its current role wins over the token's) and the org active.
 * Cached per session and org in the short-TTL cache (src/platform/cache.ts); every revoking change
 * forgets its tags.
 */
import type { Db } from "mongodb";
import { type Cache, tag } from "../platform/cache.ts";
import { orgSuspended, tokenRevoked } from "../platform/errors.ts";
import { isVisible, type OrgStatus } from "../tenants/org-status.ts";
import { findOrgById } from "../tenants/orgs.ts";
import { findMembership, type Role } from "../identity/memberships.ts";
import { findSession, isLive } from "../identity/sessions.ts";
import { findUserById } from "../identity/users.ts";
import type { AccessClaims } from "../identity/tokens.ts";

/** A signed-in member acting in one org (the token's). */
export interface Principal {
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
  userId: string;
  orgId: null;
  orgSlug: null;
  role: null;
  sessionId: string;
}

/** Whoever a valid access token names. */
export type SignedIn = Principal | OrglessPrincipal;

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
  return { userId: claims.sub, orgId: null, orgSlug: null, role: null, sessionId: claims.sid };
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
    userId: claims.sub,
    orgId: claims.org,
    orgSlug: check.orgSlug,
    role: check.role,
    sessionId: claims.sid,
  };
}
