/**
 * Password reset by mail (docs/api.md, "Accounts by mail"):
 * whoever reads the mailbox chooses a new password; every session of the user ends.
 */
import type { Deps } from "../platform/deps.ts";
import { invalidToken, mailDisabled } from "../platform/errors.ts";
import { tag } from "../platform/cache.ts";
import { describeError } from "../platform/log.ts";
import { mailEnabled, queueMail } from "../outbox/mail.ts";
import {
  findLiveAccountToken,
  issueAccountToken,
  spendAccountToken,
  spendUserAccountTokens,
} from "../identity/account-tokens.ts";
import { assertStrongPassword } from "../identity/passwords.ts";
import { revokeUserSessions } from "../identity/sessions.ts";
import { countAddressAttempt, countMail, undoAddressAttempt } from "../identity/throttle.ts";
import {
  findUserByEmail,
  findUserById,
  normalizeEmail,
  resetPasswordHash,
  type User,
} from "../identity/users.ts";
import type { CallerScope } from "./scope.ts";
import { recordUserEvent } from "./user-events.ts";

/**
 * `POST /v1/auth/password/forgot`. Up to the answer, a known and an unknown email do the same
 * database work (one user lookup, one count of the address's reset mails); for a known one
 * within the limit (3 an hour), the token is stored and its mail queued after the answer, so the
 * answer's timing does not tell either. Past the limit, nothing is sent; the answer is the same.
 */
export async function forgotPassword(deps: Deps, input: { email: string }): Promise<void> {
  if (!mailEnabled(deps.config)) throw mailDisabled();
  const db = deps.db.master;
  const email = normalizeEmail(input.email);
  const now = deps.now();
  const [user, limit] = await Promise.all([
    findUserByEmail(db, email),
    countMail(db, "password_reset", email, now),
  ]);
  if (!user || !limit.allowed) return;
  deps.later.run(
    () => mailResetLink(deps, user),
    (e) => deps.log.warn("password reset mail not queued", describeError(e)),
  );
}

/** Store a reset token for `user`, then queue its mail under a key derived from it. */
async function mailResetLink(deps: Deps, user: User): Promise<void> {
  const db = deps.db.master;
  const now = deps.now();
  const minutes = deps.config.passwordResetTtlMinutes;
  const { token, secret } = await issueAccountToken(
    db,
    { purpose: "password_reset", userId: user.id, email: user.email },
    now,
    minutes * 60_000,
  );
  await queueMail(db, {
    key: `reset:${token.id}`,
    to: user.email,
    template: "password_reset",
    vars: { token: secret, validForMinutes: minutes },
  }, now);
}

/**
 * `POST /v1/auth/password/reset`. Counted by the address throttle before the token is looked up
 * (a valid token gives the count back). Unknown, spent, expired or altered: 400
 * `invalid_token`, nothing changed; a weak password is 400 `weak_password` and leaves the token
 * as it was. Then: the token spent, the password replaced, the email verified, every session
 * revoked, every other reset token spent.
 */
export async function resetPassword(
  deps: Deps,
  { request }: Pick<CallerScope, "request">,
  input: { token: string; newPassword: string },
): Promise<void> {
  const db = deps.db.master;
  await countAddressAttempt(db, request.ip, deps.now(), deps.config.loginAddressLimit);
  const found = await findLiveAccountToken(db, "password_reset", input.token, deps.now());
  if (!found) throw invalidToken();
  const user = await findUserById(db, found.userId);
  // A token mailed to an address the user no longer has acts on nothing.
  if (!user || user.email !== found.email) throw invalidToken();
  await undoAddressAttempt(db, request.ip);
  await assertStrongPassword(deps.hasher, input.newPassword, [user.email]);
  const hash = await deps.hasher.hash(input.newPassword);
  if (!await spendAccountToken(db, found.id, deps.now())) throw invalidToken();
  const now = deps.now();
  if (!await resetPasswordHash(db, user.id, user.email, hash, now)) throw invalidToken();
  await revokeUserSessions(db, user.id, "password_reset", now);
  await spendUserAccountTokens(db, user.id, "password_reset", now);
  deps.cache.forget(tag.user(user.id));
  await recordUserEvent(deps, user, "user.password_reset", request);
}
