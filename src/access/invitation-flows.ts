/**
 * Invitations (docs/api.md, "Routes"): owners and admins invite by email, an
 * invitation works once and only while its inviter may still grant its role.
 */
import { recordEvent } from "../audit/audit.ts";
import { emitEvent } from "../events/catalogue.ts";
import { isDuplicateKey } from "../platform/db.ts";
import { tag } from "../platform/cache.ts";
import type { Deps } from "../platform/deps.ts";
import {
  alreadyMember,
  forbidden,
  invitationNotFound,
  signInRequired,
} from "../platform/errors.ts";
import type { Page, PageRequest } from "../platform/paging.ts";
import {
  createInvitation,
  findPendingByToken,
  type Invitation,
  markAccepted,
  pendingPage,
  revokeInvitation,
  revokeInvitationsBy,
  unmarkAccepted,
} from "../identity/invitations.ts";
import { addMembership, findMembership, type Role, ROLES } from "../identity/memberships.ts";
import { assertStrongPassword } from "../identity/passwords.ts";
import { countInvitation, countMail } from "../identity/throttle.ts";
import { mailEnabled, queueMail } from "../outbox/mail.ts";
import {
  findUserByEmail,
  findUserById,
  insertUser,
  normalizeEmail,
  type User,
} from "../identity/users.ts";
import { findOrgById, type Org } from "../tenants/orgs.ts";
import { isOperator } from "./operators.ts";
import type { CallerScope, Scope } from "./scope.ts";
import { assertMayHaveTokens, type OrgTokenPair, startSession } from "./sign-in.ts";
import { sendVerificationMail } from "./verification.ts";

/**
 * Mail an invitation's own token to the invitee, right after the invitation is stored, keyed by
 * it; at most 3 invitation mails per address per hour (the invitation is made either way, and
 * its other token is shown to the inviter). Nothing with `MAIL=off`.
 */
export async function mailInvitation(
  deps: Deps,
  invitation: Invitation,
  mailToken: string,
  orgName: string,
): Promise<void> {
  if (!mailEnabled(deps.config)) return;
  const db = deps.db.master;
  const now = deps.now();
  if (!(await countMail(db, "invitation", invitation.email, now)).allowed) return;
  await queueMail(db, {
    key: `invitation:${invitation.id}`,
    to: invitation.email,
    template: "invitation",
    vars: { token: mailToken, orgName, role: invitation.role },
  }, now);
}

/** The roles a member with `role` may invite people to (owners: any; admins: not owner). */
function grantable(role: Role): readonly Role[] {
  if (role === "owner") return ROLES;
  if (role === "admin") return ["admin", "member"];
  return [];
}

/**
 * An inviter who lost a role (or left) loses the invitations that role let them make: an admin
 * about to be removed cannot leave an invitation behind to come back with.
 */
export async function revokeUngrantable(
  deps: Deps,
  org: Org,
  inviterId: string,
  role: Role | null,
) {
  const allowed = role ? grantable(role) : [];
  const lost = ROLES.filter((r) => !allowed.includes(r));
  await revokeInvitationsBy(deps.db.master, org.id, inviterId, lost, deps.now());
}

/** Invite someone by email; the token is returned here only (just its hash is stored). */
export async function invite(
  deps: Deps,
  { org, actor, request }: Scope,
  input: { email: string; role: Role },
): Promise<{ invitation: Invitation; token: string }> {
  if (actor.role === "member") throw forbidden("Only owners and admins invite");
  if (actor.role === "admin" && input.role === "owner") {
    throw forbidden("Only owners invite owners");
  }
  // Counted before any work, like every creation (INVITATION_LIMIT per org per hour).
  await countInvitation(deps.db.master, org.id, deps.config.invitationLimit, deps.now());
  const email = normalizeEmail(input.email);
  const existing = await findUserByEmail(deps.db.master, email);
  if (existing && await findMembership(deps.db.master, existing.id, org.id)) {
    throw alreadyMember();
  }
  const now = deps.now();
  const { invitation, token, mailToken } = await createInvitation(
    deps.db.master,
    { orgId: org.id, email, role: input.role, invitedBy: actor.userId },
    now,
    deps.config.invitationTtlDays * 86_400_000,
  );
  await mailInvitation(deps, invitation, mailToken, org.name);
  await recordEvent(deps, org, "member.invited", request, {
    invitationId: invitation.id,
    email,
    role: input.role,
  });
  await emitEvent(deps, {
    org,
    type: "invitation.created",
    data: {
      id: invitation.id,
      email,
      role: input.role,
      expiresAt: invitation.expiresAt.toISOString(),
    },
    key: `invitation.created:${invitation.id}`,
  });
  return { invitation, token };
}

/** One page of the org's pending invitations, oldest first (tokens are never shown again). */
export async function listInvitations(
  deps: Deps,
  { org }: Pick<Scope, "org">,
  page: PageRequest,
): Promise<Page<Invitation>> {
  return await pendingPage(deps.db.master, org.id, deps.now(), page, deps.config.jwtSecret);
}

/** Revoke a pending invitation. */
export async function cancelInvitation(
  deps: Deps,
  { org, actor, request }: Scope,
  { id }: { id: string },
): Promise<void> {
  if (actor.role === "member") throw forbidden("Only owners and admins manage invitations");
  const inv = await revokeInvitation(deps.db.master, org.id, id, deps.now());
  if (!inv) throw invitationNotFound();
  await recordEvent(deps, org, "invitation.revoked", request, {
    invitationId: id,
    email: inv.email,
  });
  await emitEvent(deps, {
    org,
    type: "invitation.revoked",
    data: { id, email: inv.email, role: inv.role },
    key: `invitation.revoked:${id}`,
  });
}

const notFound = () => invitationNotFound("The invitation is unknown, used, revoked or expired");

/**
 * The invitation a token names while it can be accepted, with its org: pending, its org active,
 * its inviter still allowed to grant its role. Else 404 `invitation_not_found`, the same for
 * every reason. An unknown token costs one hash and one indexed read.
 */
async function usableInvitation(
  deps: Deps,
  token: string,
): Promise<{ inv: Invitation & { mailed: boolean }; org: Org }> {
  const db = deps.db.master;
  const inv = await findPendingByToken(db, token, deps.now());
  if (!inv) throw notFound();
  const [org, inviter] = await Promise.all([
    findOrgById(db, inv.orgId),
    findMembership(db, inv.invitedBy, inv.orgId),
  ]);
  if (!org || org.status !== "active") throw notFound();
  // An operator's invitation (the first owner of an org an operator created) needs no membership.
  const mayGrant = inviter
    ? grantable(inviter.role).includes(inv.role)
    : await isOperator(deps, inv.invitedBy);
  if (!mayGrant) throw notFound();
  return { inv, org };
}

export interface InvitationPreview {
  org: { name: string; slug: string };
  role: Role;
  email: string;
  invitedBy: { email: string };
  expiresAt: Date;
}

/**
 * What an invitation is, for the page that opens its link: the org, the role, the invited email
 * and who invited. Only to the token's holder, and only while it can be accepted (404
 * `invitation_not_found` otherwise, whatever the reason); nothing about whether the invited
 * email has an account.
 */
export async function previewInvitation(
  deps: Deps,
  input: { token: string },
): Promise<InvitationPreview> {
  const { inv, org } = await usableInvitation(deps, input.token);
  const inviter = await findUserById(deps.db.master, inv.invitedBy);
  if (!inviter) throw notFound();
  return {
    org: { name: org.name, slug: org.slug },
    role: inv.role,
    email: inv.email,
    invitedBy: { email: inviter.email },
    expiresAt: inv.expiresAt,
  };
}

/**
 * Accept an invitation. A new email: `password` creates the user. An email that belongs to a
 * user: the request must carry that user's own token (401 `sign_in_required` without one, 403
 * with another user's); no password is checked here, so an invitation cannot be used to guess
 * one. With neither a token nor a password the answer is 401 `sign_in_required` whether the
 * email has an account or not, and another user's token is 403 either way.
 * The invitation works once, and only while its inviter may still grant its role. Returns a token
 * pair for the org.
 */
export async function acceptInvitation(
  deps: Deps,
  { actor: principal, request: ctx }: CallerScope,
  input: { token: string; password?: string },
): Promise<OrgTokenPair> {
  const db = deps.db.master;
  const { inv, org } = await usableInvitation(deps, input.token);

  // The inviter holds the token: no answer here may tell whether the email has an account.
  // Without a token or a password, and with another user's token, the answer is the same
  // whichever it is.
  if (!principal && input.password === undefined) {
    throw signInRequired("Sign in, or choose a password");
  }
  let user: User | null = await findUserByEmail(db, inv.email);
  if (principal && principal.userId !== user?.id) {
    throw forbidden("This invitation is for another email");
  }
  let newHash: string | undefined;
  if (user) {
    if (!principal) throw signInRequired();
  } else {
    await assertStrongPassword(deps.hasher, input.password!, [inv.email, org.name]);
    newHash = await deps.hasher.hash(input.password!);
  }
  const mark = await markAccepted(db, inv.id, deps.now());
  if (!mark) throw notFound();
  // Set when the invitation turns out to be used by a concurrent acceptance of it (FerretDB's
  // non-atomic conditional update lets several mark it): it must then stay used.
  let used = false;
  let createdUser = false;
  try {
    if (!user) {
      try {
        // The new user's id is the invitation's: a concurrent acceptance of the same
        // invitation is then told apart from an unrelated sign-up of the same email.
        // Through the mailed token, the mail proved the address; through the inviter's, not.
        user = await insertUser(db, {
          id: inv.id,
          email: inv.email,
          passwordHash: newHash!,
          emailVerified: inv.mailed,
        }, deps.now());
        createdUser = true;
      } catch (e) {
        if (!isDuplicateKey(e)) throw e;
        used = (await findUserByEmail(db, inv.email))?.id === inv.id;
        if (used) throw notFound();
        // The email signed up meanwhile: it is an existing user now, who must sign in.
        throw signInRequired();
      }
    }
    try {
      await addMembership(db, { userId: user.id, orgId: org.id, role: inv.role }, deps.now());
    } catch (e) {
      if (!isDuplicateKey(e)) throw e;
      used = true; // the invited email is a member (perhaps by a concurrent acceptance)
      throw alreadyMember("Already a member");
    }
  } catch (e) {
    if (!used) await unmarkAccepted(db, inv.id, mark);
    throw e;
  }
  deps.cache.forget(tag.user(user.id));
  const mailed = createdUser && !user.emailVerified;
  if (mailed) await sendVerificationMail(deps, user, { orgName: org.name, onLimit: "skip" });
  await recordEvent(deps, org, "member.joined", {
    ...ctx,
    actor: { userId: user.id, email: user.email },
  }, {
    userId: user.id,
    role: inv.role,
    invitationId: inv.id,
  });
  await emitEvent(deps, {
    org,
    type: "member.joined",
    data: { userId: user.id, email: user.email, role: inv.role },
    key: `member.joined:${inv.id}`,
  });
  // The member has joined either way; tokens only for a verified address when that is required.
  await assertMayHaveTokens(deps, user, { mailed });
  return await startSession(deps, user, org, inv.role);
}
