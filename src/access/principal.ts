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

export interface Principal {
  userId: string;
  orgId: string;
  orgSlug: string;
  role: Role;
  sessionId: string;
}

type Check = { role: Role; orgStatus: OrgStatus; orgSlug: string } | null;

export async function resolvePrincipal(
  cache: Cache,
  db: Db,
  claims: AccessClaims,
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
