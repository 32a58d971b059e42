/** The signed-in user's own account: `GET /v1/me` and changing the password. */
import { recordEvent } from "../audit/audit.ts";
import { tag } from "../platform/cache.ts";
import type { Deps } from "../platform/deps.ts";
import { invalidCredentials, tokenRevoked } from "../platform/errors.ts";
import { assertStrongPassword } from "../identity/passwords.ts";
import { revokeUserSessions } from "../identity/sessions.ts";
import { countPasswordAttempt, undoPasswordAttempt } from "../identity/throttle.ts";
import { findUserById, setPasswordHash } from "../identity/users.ts";
import { findOrgById } from "../tenants/orgs.ts";
import type { ActorScope } from "./scope.ts";
import { passwordLimits, usableOrgs } from "./sign-in.ts";

/**
 * `GET /v1/me`, from the short-TTL cache when warm (no database round trip). An operator signed
 * in outside any org has no current org: `org` and `role` are null.
 */
export async function me(deps: Deps, { actor: p }: Pick<ActorScope, "actor">) {
  const view = await deps.cache.get(`me:${p.userId}`, async () => {
    const [user, orgs] = await Promise.all([
      findUserById(deps.db.master, p.userId),
      usableOrgs(deps, p.userId),
    ]);
    return {
      value: user
        ? { user: { id: user.id, email: user.email, emailVerified: user.emailVerified }, orgs }
        : null,
      tags: [tag.user(p.userId), ...orgs.map(({ org }) => tag.org(org.id))],
    };
  });
  const current = view?.orgs.find(({ org }) => org.id === p.orgId);
  // An operator's token of no org has no current org; any other needs its org.
  if (!view || (!current && p.orgId !== null)) throw tokenRevoked();
  return {
    user: view.user,
    org: current?.org ?? null,
    role: current?.m.role ?? null,
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
  { actor: p, request: ctx }: ActorScope,
  input: { currentPassword: string; newPassword: string },
): Promise<void> {
  const user = await findUserById(deps.db.master, p.userId);
  if (!user) throw tokenRevoked();
  // Counted like a sign-in: a stolen access token gives no more guesses than the login form.
  await countPasswordAttempt(
    deps.db.master,
    user.email,
    ctx.ip,
    deps.now(),
    passwordLimits(deps),
  );
  if (!await deps.hasher.verify(input.currentPassword, user.passwordHash)) {
    throw invalidCredentials("The current password is wrong");
  }
  await undoPasswordAttempt(deps.db.master, user.email, ctx.ip);
  await assertStrongPassword(deps.hasher, input.newPassword, [user.email]);
  const hash = await deps.hasher.hash(input.newPassword);
  const now = deps.now();
  await setPasswordHash(deps.db.master, user.id, hash, now);
  await revokeUserSessions(deps.db.master, user.id, "password_changed", now, p.sessionId);
  deps.cache.forget(tag.user(user.id));
  const org = p.orgId === null ? null : await findOrgById(deps.db.master, p.orgId);
  if (org) await recordEvent(deps, org, "password.changed", ctx, { userId: user.id });
}
