/** Session tokens of a signed-in user: refresh, sign-out, switching to another org. */
import { recordEvent } from "../audit/audit.ts";
import { tag } from "../platform/cache.ts";
import type { Deps } from "../platform/deps.ts";
import { orgNotFound, refreshReused, unauthorized } from "../platform/errors.ts";
import { findMembership } from "../identity/memberships.ts";
import { revokeSession, rotateRefreshToken, type Session } from "../identity/sessions.ts";
import { findUserById } from "../identity/users.ts";
import { assertNotSuspended } from "../tenants/org-status.ts";
import { findOrgById } from "../tenants/orgs.ts";
import type { ActorScope, CallerScope } from "./scope.ts";
import { isOperator } from "./operators.ts";
import {
  assertMayHaveTokens,
  type Grant,
  NOT_YOURS,
  type OrgTokenPair,
  startSession,
  type TokenPair,
  tokenPair,
  usableOrgs,
} from "./sign-in.ts";

/**
 * Rotate a refresh token (`POST /v1/auth/refresh`, docs/api.md). The org and membership are checked
 * before the token is spent, so a database error part-way answers 503 and leaves the session
 * and its current token as they were: the client retries.
 */
export async function refresh(
  deps: Deps,
  { request: ctx }: Pick<CallerScope, "request">,
  { refreshToken }: { refreshToken: string },
): Promise<TokenPair> {
  const r = await rotateRefreshToken(deps.db.master, refreshToken, deps.now(), {
    check: (session) => grantOf(deps, session),
    // One write's longest wait (the socket timeout) and a margin.
    claimTtlMs: deps.config.dbTimeoutMs * 3,
    afterClaim: () => deps.hooks.afterRefreshStep?.("claimed", refreshToken.slice(0, 24)),
  });
  if (r.kind === "reused") {
    deps.cache.forget(tag.session(r.session.id));
    const org = r.session.orgId === null
      ? null
      : await findOrgById(deps.db.master, r.session.orgId);
    if (org) {
      await recordEvent(deps, org, "session.revoked", ctx, {
        sessionId: r.session.id,
        userId: r.session.userId,
        reason: "refresh_reused",
      });
    }
    throw refreshReused();
  }
  if (r.kind === "invalid") {
    throw unauthorized("Invalid or expired refresh token");
  }
  return await tokenPair(deps, r.session, r.refreshToken, r.grant);
}

/**
 * What a session's next token pair grants: its org (active) and the member's current role; for
 * an operator's session outside any org, nothing, while the user is still an operator. With
 * REQUIRE_VERIFIED_EMAIL, no pair at all for an unverified user (the refresh's check, so the
 * token is not spent).
 */
async function grantOf(deps: Deps, session: Session): Promise<Grant> {
  if (deps.config.requireVerifiedEmail) {
    const user = await findUserById(deps.db.master, session.userId);
    if (user) await assertMayHaveTokens(deps, user);
  }
  if (session.orgId === null) {
    if (!await isOperator(deps, session.userId)) {
      throw unauthorized("The session's user is no longer an operator");
    }
    return { org: null, role: null };
  }
  const [org, m] = await Promise.all([
    findOrgById(deps.db.master, session.orgId),
    findMembership(deps.db.master, session.userId, session.orgId),
  ]);
  if (!org || !m || org.status !== "active") {
    if (org) assertNotSuspended(org);
    throw unauthorized("The session's organization is no longer available");
  }
  return { org, role: m.role };
}

/** Revoke the caller's session. */
export async function logout(deps: Deps, { actor: p, request: ctx }: ActorScope): Promise<void> {
  await revokeSession(deps.db.master, p.sessionId, "logout", deps.now());
  deps.cache.forget(tag.session(p.sessionId));
  const org = p.orgId === null ? null : await findOrgById(deps.db.master, p.orgId);
  if (org) {
    await recordEvent(deps, org, "session.revoked", ctx, {
      sessionId: p.sessionId,
      reason: "logout",
    });
  }
}

/**
 * Sign into another org of the user: a new session and token pair for it. The current
 * session stays as it is, so a client may keep both.
 */
export async function switchOrg(
  deps: Deps,
  { actor: p }: Pick<ActorScope, "actor">,
  { org }: { org: string },
): Promise<OrgTokenPair> {
  const [user, orgs] = await Promise.all([
    findUserById(deps.db.master, p.userId),
    usableOrgs(deps, p.userId),
  ]);
  const target = orgs.find((o) => o.org.slug === org || o.org.id === org);
  if (!user || !target) throw orgNotFound(NOT_YOURS);
  assertNotSuspended(target.org);
  await assertMayHaveTokens(deps, user);
  return await startSession(deps, user, target.org, target.m.role);
}
