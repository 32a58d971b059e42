/**
 * Turning a verified access token into a principal: the session must be live, the membership
 * present (its current role wins over the token's) and the org active. The answer is cached
 * per session for at most `ttlMs` (≤ 5 s), and dropped at once on this instance by the
 * `forget*` calls that every revoking change makes.
 */
import type { Db } from "mongodb";
import { AppError } from "../errors.ts";
import { findOrgById, type OrgStatus } from "../tenants/orgs.ts";
import { findMembership, type Role } from "./memberships.ts";
import { findSession, isLive } from "./sessions.ts";
import type { AccessClaims } from "./tokens.ts";

export interface Principal {
  userId: string;
  orgId: string;
  orgSlug: string;
  role: Role;
  sessionId: string;
}

interface Entry {
  /** null: the session, membership or org is gone. */
  value: { role: Role; orgStatus: OrgStatus; orgSlug: string } | null;
  sessionId: string;
  userId: string;
  orgId: string;
  until: number;
}

export interface AuthCache {
  resolve(db: Db, claims: AccessClaims): Promise<Principal>;
  forgetSession(sessionId: string): void;
  forgetUser(userId: string): void;
  forgetOrg(orgId: string): void;
  forgetMember(userId: string, orgId: string): void;
}

export function createAuthCache(ttlMs: number, clock: () => number = Date.now): AuthCache {
  const entries = new Map<string, Entry>();
  // Bumped by every forget: a load that started before a revocation is not cached after it.
  let epoch = 0;
  const forgetWhere = (pred: (e: Entry) => boolean) => {
    epoch++;
    for (const [k, e] of entries) if (pred(e)) entries.delete(k);
  };

  async function load(db: Db, claims: AccessClaims): Promise<Entry> {
    const [session, membership, org] = await Promise.all([
      findSession(db, claims.sid),
      findMembership(db, claims.sub, claims.org),
      findOrgById(db, claims.org),
    ]);
    const ok = session && isLive(session, new Date(clock())) && session.userId === claims.sub &&
      membership && org && (org.status === "active" || org.status === "suspended");
    return {
      value: ok ? { role: membership.role, orgStatus: org.status, orgSlug: org.slug } : null,
      sessionId: claims.sid,
      userId: claims.sub,
      orgId: claims.org,
      until: clock() + ttlMs,
    };
  }

  return {
    async resolve(db, claims) {
      const key = `${claims.sid}:${claims.org}`;
      let e = entries.get(key);
      if (!e || e.until <= clock()) {
        const started = epoch;
        e = await load(db, claims);
        if (ttlMs > 0 && started === epoch) {
          if (entries.size >= 100_000) entries.clear(); // a bound, not an LRU: simple and safe
          entries.set(key, e);
        }
      }
      if (!e.value) throw new AppError(401, "unauthorized", "The token is no longer valid");
      if (e.value.orgStatus === "suspended") {
        throw new AppError(403, "org_suspended", "The organization is suspended");
      }
      return {
        userId: claims.sub,
        orgId: claims.org,
        orgSlug: e.value.orgSlug,
        role: e.value.role,
        sessionId: claims.sid,
      };
    },
    forgetSession: (sid) => forgetWhere((e) => e.sessionId === sid),
    forgetUser: (userId) => forgetWhere((e) => e.userId === userId),
    forgetOrg: (orgId) => forgetWhere((e) => e.orgId === orgId),
    forgetMember: (userId, orgId) => forgetWhere((e) => e.userId === userId && e.orgId === orgId),
  };
}
