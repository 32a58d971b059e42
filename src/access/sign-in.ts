/**
 * Signing in with email and password, and the token pairs every sign-in, switch, refresh and
 * accepted invitation hands out.
 */
import { recordEvent, type RequestContext } from "../audit/audit.ts";
import type { Deps } from "../platform/deps.ts";
import {
  emailUnverified,
  invalidCredentials,
  noMembership,
  orgNotFound,
  orgRequired,
} from "../platform/errors.ts";
import { describeError } from "../platform/log.ts";
import { type Membership, membershipsOfUser, type Role } from "../identity/memberships.ts";
import { createSession, type Session } from "../identity/sessions.ts";
import { countPasswordAttempt, undoPasswordAttempt } from "../identity/throttle.ts";
import { signAccessToken } from "../identity/tokens.ts";
import { findUserByEmail, normalizeEmail, type User } from "../identity/users.ts";
import { assertNotSuspended, isVisible } from "../tenants/org-status.ts";
import { findOrgsByIds, type Org } from "../tenants/orgs.ts";
import type { CallerScope } from "./scope.ts";
import { sendVerificationMail } from "./verification.ts";

/** 404 detail for an org the user names but is not a member of. */
export const NOT_YOURS = "You are not a member of that organization";

export interface TokenPair {
  accessToken: string;
  tokenType: "Bearer";
  expiresIn: number;
  refreshToken: string;
  /** Null (and `role` too) for an operator signed in outside any org. */
  org: { id: string; slug: string } | null;
  role: Role | null;
}

/** A token pair scoped to an org (every sign-in but an operator's outside any org). */
export type OrgTokenPair = TokenPair & { org: { id: string; slug: string }; role: Role };

/** What a session's tokens grant: an org and the role in it, or (an operator's) neither. */
export type Grant = { org: Org; role: Role } | { org: null; role: null };

/** The password throttle's limits (LOGIN_EMAIL_LIMIT, LOGIN_ADDRESS_LIMIT). */
export const passwordLimits = ({ config }: Pick<Deps, "config">) => ({
  email: config.loginEmailLimit,
  address: config.loginAddressLimit,
});

/** A new access token for `session` beside its refresh token. */
export async function tokenPair(
  deps: Deps,
  session: Session,
  refreshToken: string,
  { org, role }: Grant,
): Promise<TokenPair> {
  const ttl = deps.config.accessTokenTtlSeconds;
  const accessToken = await signAccessToken(
    deps.config.jwtSecret,
    { sub: session.userId, sid: session.id, ...(org ? { org: org.id, role } : {}) },
    ttl,
    deps.now(),
  );
  return {
    accessToken,
    tokenType: "Bearer",
    expiresIn: ttl,
    refreshToken,
    org: org ? { id: org.id, slug: org.slug } : null,
    role,
  };
}

/** Start a session for `user` in `org` and issue its first token pair. */
export async function startSession(
  deps: Deps,
  user: User,
  org: Org,
  role: Role,
): Promise<OrgTokenPair> {
  return await startGrantedSession(deps, user, { org, role }) as OrgTokenPair;
}

/**
 * REQUIRE_VERIFIED_EMAIL: no tokens for an unverified address, whichever way a client asks
 * (sign-in, accepting an invitation, switching orgs, refresh): 403 `email_unverified`, and a new
 * verification mail (at most 3 an hour; `mailed` when one went already).
 */
export async function assertMayHaveTokens(
  deps: Deps,
  user: User,
  opts: { mailed?: boolean } = {},
): Promise<void> {
  if (!deps.config.requireVerifiedEmail || user.emailVerified) return;
  if (!opts.mailed) await sendVerificationMail(deps, user, { onLimit: "skip" });
  throw emailUnverified();
}

/** Start a session for `user` with `grant` (an org and role, or none: an operator's). */
async function startGrantedSession(deps: Deps, user: User, grant: Grant): Promise<TokenPair> {
  const { session, refreshToken } = await createSession(
    deps.db.master,
    { userId: user.id, orgId: grant.org?.id ?? null },
    deps.now(),
    deps.config.refreshTokenTtlDays * 86_400_000,
  );
  return await tokenPair(deps, session, refreshToken, grant);
}

/** The user's orgs that can be signed into (active), with the membership, oldest first. */
export async function usableOrgs(deps: Deps, userId: string) {
  const ms = await membershipsOfUser(deps.db.master, userId);
  const orgs = new Map(
    (await findOrgsByIds(deps.db.master, ms.map((m) => m.orgId))).map((o) => [o.id, o]),
  );
  return ms.flatMap((m) => {
    const org = orgs.get(m.orgId);
    return org && isVisible(org) ? [{ org, m }] : [];
  });
}

/**
 * Sign in. With `org` (slug or id) the token is for that org; without, the user's only org,
 * or 400 `org_required` listing their orgs; with `pickOldest`, their oldest membership
 * (the compatibility route, whose clients cannot name an org); an operator who belongs to no
 * org gets a token of no org. Every attempt is counted per
 * email and per client address before the password is checked, and undone when it was right.
 * Up to the answer, an unknown email and a wrong password do the same work: the same throttle
 * writes, one user lookup, one hash comparison; a known user's failure is written to the audit
 * logs of their orgs after the answer.
 */
export async function login(
  deps: Deps,
  { request: ctx }: Pick<CallerScope, "request">,
  input: { email: string; password: string; org?: string },
  opts: { pickOldest?: boolean } = {},
): Promise<TokenPair> {
  const db = deps.db.master;
  const email = normalizeEmail(input.email);
  await countPasswordAttempt(db, email, ctx.ip, deps.now(), passwordLimits(deps));
  const user = await findUserByEmail(db, email);
  const ok = user
    ? await deps.hasher.verify(input.password, user.passwordHash)
    : await deps.hasher.verifyDummy(input.password);
  if (!user || !ok) {
    if (user) auditFailedLogin(deps, user, ctx);
    throw invalidCredentials();
  }
  await undoPasswordAttempt(db, email, ctx.ip);
  // REQUIRE_VERIFIED_EMAIL: only after the throttle and the right password, so no oracle.
  await assertMayHaveTokens(deps, user);
  const orgs = await usableOrgs(deps, user.id);

  let chosen: { org: Org; m: Membership } | undefined;
  if (input.org) {
    chosen = orgs.find(({ org }) => org.slug === input.org || org.id === input.org);
    if (!chosen) throw orgNotFound(NOT_YOURS);
  } else if (orgs.length === 1 || (opts.pickOldest && orgs.length > 0)) {
    chosen = orgs[0];
  } else if (orgs.length === 0) {
    // An operator of no org signs in outside any: the token is for the operator routes only.
    if (user.platformRole === "operator") {
      return await startGrantedSession(deps, user, { org: null, role: null });
    }
    throw noMembership();
  } else {
    throw orgRequired(undefined, {
      orgs: orgs.map(({ org }) => org.slug),
      errors: [{ path: "org", message: "Required when the user belongs to several organizations" }],
    });
  }
  assertNotSuspended(chosen.org);
  const pair = await startSession(deps, user, chosen.org, chosen.m.role);
  await recordEvent(deps, chosen.org, "login.succeeded", {
    ...ctx,
    actor: { userId: user.id, email },
  });
  return pair;
}

/**
 * Record a known user's failed sign-in in each of their orgs once the answer has gone: before
 * it, a wrong password and an unknown email do the same database work.
 */
function auditFailedLogin(deps: Deps, user: User, ctx: RequestContext): void {
  const actor = { ...ctx, actor: { userId: user.id, email: user.email } };
  deps.later.run(async () => {
    for (const { org } of await usableOrgs(deps, user.id)) {
      await recordEvent(deps, org, "login.failed", actor, { email: user.email });
    }
  }, (e) => deps.log.warn("failed sign-in not audited", describeError(e)));
}
