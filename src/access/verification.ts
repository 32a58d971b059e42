/**
 * Email verification (docs/api.md, "Accounts by mail"): a
 * mail with a link (24 hours, once) proves that the address is the user's. New users start
 * unverified; users from before count as unverified.
 */
import type { Deps } from "../platform/deps.ts";
import {
  alreadyVerified,
  invalidToken,
  mailDisabled,
  rateLimited,
  tokenRevoked,
} from "../platform/errors.ts";
import { tag } from "../platform/cache.ts";
import { mailEnabled, queueMail } from "../outbox/mail.ts";
import {
  findLiveAccountToken,
  issueAccountToken,
  spendAccountToken,
} from "../identity/account-tokens.ts";
import { countMail } from "../identity/throttle.ts";
import { findUserById, markEmailVerified } from "../identity/users.ts";
import type { ActorScope, CallerScope } from "./scope.ts";
import { recordUserEvent } from "./user-events.ts";

export const VERIFICATION_TTL_MINUTES = 24 * 60;

/**
 * Mail `user` a new verification link (earlier ones stop working), within the limit of 3 such
 * mails per address per hour: past it, `onLimit: "refuse"` answers 429, `"skip"` sends nothing.
 * Nothing is sent with `MAIL=off`. The token is stored, then the mail queued under a key
 * derived from it.
 */
export async function sendVerificationMail(
  deps: Deps,
  user: { id: string; email: string },
  opts: { orgName?: string; onLimit: "refuse" | "skip" },
): Promise<boolean> {
  if (!mailEnabled(deps.config)) return false;
  const db = deps.db.master;
  const now = deps.now();
  const limit = await countMail(db, "email_verification", user.email, now);
  if (!limit.allowed) {
    if (opts.onLimit === "refuse") {
      throw rateLimited(limit.retryAfterSeconds, "At most 3 confirmation mails an hour");
    }
    return false;
  }
  const { token, secret } = await issueAccountToken(
    db,
    { purpose: "email_verification", userId: user.id, email: user.email },
    now,
    VERIFICATION_TTL_MINUTES * 60_000,
    { spendEarlier: true },
  );
  await queueMail(db, {
    key: `verify:${token.id}`,
    to: user.email,
    template: "email_verification",
    vars: {
      token: secret,
      ...(opts.orgName ? { orgName: opts.orgName } : {}),
      validForMinutes: VERIFICATION_TTL_MINUTES,
    },
  }, now);
  return true;
}

/** `POST /v1/me/email/verification`: a new verification mail for the signed-in user. */
export async function requestVerification(
  deps: Deps,
  { actor }: Pick<ActorScope, "actor">,
): Promise<void> {
  if (!mailEnabled(deps.config)) throw mailDisabled();
  const user = await findUserById(deps.db.master, actor.userId);
  if (!user) throw tokenRevoked();
  if (user.emailVerified) throw alreadyVerified();
  await sendVerificationMail(deps, user, { onLimit: "refuse" });
}

/**
 * `POST /v1/auth/email/verify`: the link's token verifies the address it was mailed to (if it
 * is still the user's). Unknown, spent, expired or altered: 400 `invalid_token`, nothing changed.
 */
export async function verifyEmail(
  deps: Deps,
  { request }: Pick<CallerScope, "request">,
  input: { token: string },
): Promise<void> {
  const db = deps.db.master;
  const found = await findLiveAccountToken(db, "email_verification", input.token, deps.now());
  if (!found) throw invalidToken();
  const user = await findUserById(db, found.userId);
  if (!user || user.email !== found.email) throw invalidToken();
  if (!await spendAccountToken(db, found.id, deps.now())) throw invalidToken();
  if (await markEmailVerified(db, user.id, user.email, deps.now())) {
    deps.cache.forget(tag.user(user.id));
    await recordUserEvent(deps, user, "user.email_verified", request);
  }
}
