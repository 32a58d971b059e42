/**
 * Sign-in flows: login, refresh, logout, org switch, password change. Each returns plain
 * objects; the routes shape them.
 */
import { recordEvent, type RequestContext } from "../audit/audit.ts";
import { tag } from "../platform/cache.ts";
import type { Deps } from "../platform/deps.ts";
import { AppError } from "../platform/errors.ts";
import { describeError } from "../platform/log.ts";
import { findOrgById, findOrgsByIds, type Org } from "../tenants/orgs.ts";
import {
  findMembership,
  type Membership,
  membershipsOfUser,
  type Role,
} from "../identity/memberships.ts";
import { assertStrongPassword } from "../identity/passwords.ts";
import type { Principal } from "./principal.ts";
import {
  createSession,
  revokeSession,
  revokeUserSessions,
  rotateRefreshToken,
  type Session,
} from "../identity/sessions.ts";
import { countPasswordAttempt, undoPasswordAttempt } from "../identity/throttle.ts";
import { signAccessToken } from "../identity/tokens.ts";
import {
  findUserByEmail,
  findUserById,
  normalizeEmail,
  setPasswordHash,
  type User,
} from "../identity/users.ts";

export interface TokenPair {
  accessToken: string;
  tokenType: "Bearer";
  expiresIn: number;
  refreshToken: string;
  org: { id: string; slug: string };
  role: Role;
}

const invalidCredentials = () =>
  new AppError(401, "invalid_credentials", "The email or password is wrong");

async function tokenPair(
  deps: Deps,
  session: Session,
  refreshToken: string,
  org: Org,
  role: Role,
): Promise<TokenPair> {
  const ttl = deps.config.accessTokenTtlSeconds;
  const accessToken = await signAccessToken(
    deps.config.jwtSecret,
    { sub: session.userId, org: org.id, role, sid: session.id },
    ttl,
    deps.now(),
  );
  return {
    accessToken,
    tokenType: "Bearer",
    expiresIn: ttl,
    refreshToken,
    org: { id: org.id, slug: org.slug },
    role,
  };
}

/** Start a session for `user` in `org` and issue its first token pair. */
export async function startSession(
  deps: Deps,
  user: User,
  org: Org,
  role: Role,
): Promise<TokenPair> {
  const { session, refreshToken } = await createSession(
    deps.db.master,
    { userId: user.id, orgId: org.id },
    deps.now(),
    deps.config.refreshTokenTtlDays * 86_400_000,
  );
  return await tokenPair(deps, session, refreshToken, org, role);
}

/** The user's orgs that can be signed into (active), with the membership, oldest first. */
async function usableOrgs(deps: Deps, userId: string) {
  const ms = await membershipsOfUser(deps.db.master, userId);
  const orgs = new Map(
    (await findOrgsByIds(deps.db.master, ms.map((m) => m.orgId))).map((o) => [o.id, o]),
  );
  return ms.flatMap((m) => {
    const org = orgs.get(m.orgId);
    return org && (org.status === "active" || org.status === "suspended") ? [{ org, m }] : [];
  });
}

/**
 * Sign in. With `org` (slug or id) the token is for that org; without, the user's only org,
 * or 400 `org_required` listing their orgs; with `pickOldest`, their oldest membership
 * (the compatibility route, whose clients cannot name an org). Every attempt is counted per
 * email and per client address before the password is checked, and undone when it was right.
 * Up to the answer, an unknown email and a wrong password do the same work: the same throttle
 * writes, one user lookup, one hash comparison; a known user's failure is written to the audit
 * logs of their orgs after the answer.
 */
export async function login(
  deps: Deps,
  input: { email: string; password: string; org?: string },
  ctx: RequestContext,
  opts: { pickOldest?: boolean } = {},
): Promise<TokenPair> {
  const db = deps.db.master;
  const email = normalizeEmail(input.email);
  await countPasswordAttempt(db, email, ctx.ip, deps.now());
  const user = await findUserByEmail(db, email);
  const ok = user
    ? await deps.hasher.verify(input.password, user.passwordHash)
    : await deps.hasher.verifyDummy(input.password);
  if (!user || !ok) {
    if (user) auditFailedLogin(deps, user, ctx);
    throw invalidCredentials();
  }
  await undoPasswordAttempt(db, email, ctx.ip);
  const orgs = await usableOrgs(deps, user.id);

  let chosen: { org: Org; m: Membership } | undefined;
  if (input.org) {
    chosen = orgs.find(({ org }) => org.slug === input.org || org.id === input.org);
    if (!chosen) {
      throw new AppError(404, "org_not_found", "You are not a member of that organization");
    }
  } else if (orgs.length === 1 || (opts.pickOldest && orgs.length > 0)) {
    chosen = orgs[0];
  } else if (orgs.length === 0) {
    throw new AppError(403, "no_membership", "This user belongs to no organization");
  } else {
    throw new AppError(400, "org_required", "You belong to several organizations; name one", {
      orgs: orgs.map(({ org }) => org.slug),
      errors: [{ path: "org", message: "Required when the user belongs to several organizations" }],
    });
  }
  if (chosen.org.status === "suspended") {
    throw new AppError(403, "org_suspended", "The organization is suspended");
  }
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
  setTimeout(() => {
    (async () => {
      for (const { org } of await usableOrgs(deps, user.id)) {
        await recordEvent(deps, org, "login.failed", actor, { email: user.email });
      }
    })().catch((e) => deps.log.warn("failed sign-in not audited", describeError(e)));
  }, 0);
}

/**
 * Rotate a refresh token (API.md `POST /v1/auth/refresh`). The org and membership are checked
 * before the token is spent, so a database error part-way answers 503 and leaves the session
 * and its current token as they were: the client retries.
 */
export async function refresh(
  deps: Deps,
  refreshToken: string,
  ctx: RequestContext,
): Promise<TokenPair> {
  const r = await rotateRefreshToken(deps.db.master, refreshToken, deps.now(), {
    check: (session) => grantOf(deps, session),
    // One write's longest wait (the socket timeout) and a margin.
    claimTtlMs: deps.config.dbTimeoutMs * 3,
    afterClaim: () => deps.hooks.afterRefreshStep?.("claimed", refreshToken.slice(0, 24)),
  });
  if (r.kind === "reused") {
    deps.cache.forget(tag.session(r.session.id));
    const org = await findOrgById(deps.db.master, r.session.orgId);
    if (org) {
      await recordEvent(deps, org, "session.revoked", ctx, {
        sessionId: r.session.id,
        userId: r.session.userId,
        reason: "refresh_reused",
      });
    }
    throw new AppError(
      401,
      "refresh_reused",
      "This refresh token was already used; the session is revoked",
    );
  }
  if (r.kind === "invalid") {
    throw new AppError(401, "unauthorized", "Invalid or expired refresh token");
  }
  return await tokenPair(deps, r.session, r.refreshToken, r.grant.org, r.grant.role);
}

/** What a session's next token pair grants: its org (active) and the member's current role. */
async function grantOf(deps: Deps, session: Session): Promise<{ org: Org; role: Role }> {
  const [org, m] = await Promise.all([
    findOrgById(deps.db.master, session.orgId),
    findMembership(deps.db.master, session.userId, session.orgId),
  ]);
  if (!org || !m || org.status !== "active") {
    if (org?.status === "suspended") {
      throw new AppError(403, "org_suspended", "The organization is suspended");
    }
    throw new AppError(401, "unauthorized", "The session's organization is no longer available");
  }
  return { org, role: m.role };
}

export async function logout(deps: Deps, p: Principal, ctx: RequestContext): Promise<void> {
  await revokeSession(deps.db.master, p.sessionId, "logout", deps.now());
  deps.cache.forget(tag.session(p.sessionId));
  const org = await findOrgById(deps.db.master, p.orgId);
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
export async function switchOrg(deps: Deps, p: Principal, org: string): Promise<TokenPair> {
  const [user, orgs] = await Promise.all([
    findUserById(deps.db.master, p.userId),
    usableOrgs(deps, p.userId),
  ]);
  const target = orgs.find((o) => o.org.slug === org || o.org.id === org);
  if (!user || !target) {
    throw new AppError(404, "org_not_found", "You are not a member of that organization");
  }
  if (target.org.status === "suspended") {
    throw new AppError(403, "org_suspended", "The organization is suspended");
  }
  return await startSession(deps, user, target.org, target.m.role);
}

/** `GET /v1/me`, from the short-TTL cache when warm (no database round trip). */
export async function me(deps: Deps, p: Principal) {
  const view = await deps.cache.get(`me:${p.userId}`, async () => {
    const [user, orgs] = await Promise.all([
      findUserById(deps.db.master, p.userId),
      usableOrgs(deps, p.userId),
    ]);
    return {
      value: user ? { user: { id: user.id, email: user.email }, orgs } : null,
      tags: [tag.user(p.userId), ...orgs.map(({ org }) => tag.org(org.id))],
    };
  });
  const current = view?.orgs.find(({ org }) => org.id === p.orgId);
  if (!view || !current) throw new AppError(401, "unauthorized", "The token is no longer valid");
  return {
    user: view.user,
    org: current.org,
    role: current.m.role,
    orgs: view.orgs.map(({ org, m }) => ({
      id: org.id,
      slug: org.slug,
      name: org.name,
      role: m.role,
    })),
  };
}

/** Change the password; every other session of the user is revoked. */
export async function changePassword(
  deps: Deps,
  p: Principal,
  input: { currentPassword: string; newPassword: string },
  ctx: RequestContext,
): Promise<void> {
  const user = await findUserById(deps.db.master, p.userId);
  if (!user) throw new AppError(401, "unauthorized", "The token is no longer valid");
  // Counted like a sign-in: a stolen access token gives no more guesses than the login form.
  await countPasswordAttempt(deps.db.master, user.email, ctx.ip, deps.now());
  if (!await deps.hasher.verify(input.currentPassword, user.passwordHash)) {
    throw new AppError(401, "invalid_credentials", "The current password is wrong");
  }
  await undoPasswordAttempt(deps.db.master, user.email, ctx.ip);
  await assertStrongPassword(deps.hasher, input.newPassword, [user.email]);
  const hash = await deps.hasher.hash(input.newPassword);
  const now = deps.now();
  await setPasswordHash(deps.db.master, user.id, hash, now);
  await revokeUserSessions(deps.db.master, user.id, "password_changed", now, p.sessionId);
  deps.cache.forget(tag.user(user.id));
  const org = await findOrgById(deps.db.master, p.orgId);
  if (org) await recordEvent(deps, org, "password.changed", ctx, { userId: user.id });
}
