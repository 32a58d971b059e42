/**
 * Members, roles and invitations (API.md, "Members and invitations"). Roles: owner > admin >
 * member. An owner may make any change; an admin moves people between member and admin only;
 * an org always keeps at least one owner (409 `last_owner`).
 */
import { recordEvent, type RequestContext } from "../audit/audit.ts";
import { isDuplicateKey } from "../platform/db.ts";
import { tag } from "../platform/cache.ts";
import type { Deps } from "../platform/deps.ts";
import { AppError } from "../platform/errors.ts";
import type { Org } from "../tenants/orgs.ts";
import { startSession, type TokenPair } from "./sign-in.ts";
import {
  createInvitation,
  findPendingByToken,
  markAccepted,
  revokeInvitation,
  revokeInvitationsBy,
  unmarkAccepted,
} from "../identity/invitations.ts";
import {
  addMembership,
  countMembers,
  findMembership,
  type Membership,
  membersPage,
  removeMembership,
  type Role,
  ROLES,
  setRole,
} from "../identity/memberships.ts";
import { assertStrongPassword } from "../identity/passwords.ts";
import type { Principal } from "./principal.ts";
import { revokeMemberSessions } from "../identity/sessions.ts";
import {
  findUserByEmail,
  findUserById,
  findUsersByIds,
  insertUser,
  normalizeEmail,
  type User,
} from "../identity/users.ts";

const forbidden = (why: string) => new AppError(403, "forbidden", why);
const lastOwner = () =>
  new AppError(409, "last_owner", "An organization must keep at least one owner");

async function memberOf(deps: Deps, org: Org, userId: string): Promise<Membership> {
  const m = /^[0-9a-f]{24}$/.test(userId)
    ? await findMembership(deps.db.master, userId, org.id)
    : null;
  if (!m) throw new AppError(404, "member_not_found", "Member not found");
  return m;
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
async function revokeUngrantable(deps: Deps, org: Org, inviterId: string, role: Role | null) {
  const allowed = role ? grantable(role) : [];
  const lost = ROLES.filter((r) => !allowed.includes(r));
  await revokeInvitationsBy(deps.db.master, org.id, inviterId, lost, deps.now());
}

/** May `actor` move someone from role `from` to role `to`? */
function mayChangeRole(actor: Role, from: Role, to: Role): boolean {
  if (actor === "owner") return true;
  if (actor === "admin") return from !== "owner" && to !== "owner";
  return false;
}

export async function changeRole(
  deps: Deps,
  org: Org,
  actor: Principal,
  userId: string,
  to: Role,
  ctx: RequestContext,
): Promise<Membership & { email: string }> {
  const m = await memberOf(deps, org, userId);
  if (!mayChangeRole(actor.role, m.role, to)) {
    throw forbidden("Admins move people between member and admin only; owners make owners");
  }
  const email = (await findUserById(deps.db.master, userId))?.email ?? "";
  if (m.role === to) return { ...m, email };
  const db = deps.db.master;
  if (m.role === "owner" && await countMembers(db, org.id, "owner") <= 1) throw lastOwner();
  const updated = await setRole(db, userId, org.id, m.role, to);
  if (!updated) throw new AppError(409, "conflict", "The member changed meanwhile; try again");
  // Two owners demoting each other at once could both pass the count above: undo ours if so.
  if (m.role === "owner" && await countMembers(db, org.id, "owner") === 0) {
    await setRole(db, userId, org.id, to, "owner");
    throw lastOwner();
  }
  await revokeUngrantable(deps, org, userId, to);
  deps.cache.forget(tag.user(userId));
  await recordEvent(deps, org, "member.role_changed", ctx, { userId, from: m.role, to });
  return { ...updated, email };
}

export async function removeMember(
  deps: Deps,
  org: Org,
  actor: Principal,
  userId: string,
  ctx: RequestContext,
): Promise<void> {
  const m = await memberOf(deps, org, userId);
  const self = actor.userId === userId;
  if (!self) {
    if (actor.role === "member") throw forbidden("Members may only remove themselves");
    if (actor.role === "admin" && m.role === "owner") {
      throw forbidden("Admins cannot remove owners");
    }
  }
  const db = deps.db.master;
  if (m.role === "owner" && await countMembers(db, org.id, "owner") <= 1) throw lastOwner();
  if (!await removeMembership(db, userId, org.id)) return; // removed concurrently: done
  if (m.role === "owner" && await countMembers(db, org.id, "owner") === 0) {
    await addMembership(db, { userId, orgId: org.id, role: "owner" }, m.joinedAt);
    throw lastOwner();
  }
  await revokeUngrantable(deps, org, userId, null);
  await revokeMemberSessions(db, userId, org.id, "member_removed", deps.now());
  deps.cache.forget(tag.user(userId));
  await recordEvent(deps, org, "member.removed", ctx, { userId, role: m.role });
}

export async function invite(
  deps: Deps,
  org: Org,
  actor: Principal,
  input: { email: string; role: Role },
  ctx: RequestContext,
) {
  if (actor.role === "member") throw forbidden("Only owners and admins invite");
  if (actor.role === "admin" && input.role === "owner") {
    throw forbidden("Only owners invite owners");
  }
  const email = normalizeEmail(input.email);
  const existing = await findUserByEmail(deps.db.master, email);
  if (existing && await findMembership(deps.db.master, existing.id, org.id)) {
    throw new AppError(409, "already_member", "This user is already a member");
  }
  const now = deps.now();
  const { invitation, token } = await createInvitation(
    deps.db.master,
    { orgId: org.id, email, role: input.role, invitedBy: actor.userId },
    now,
    deps.config.invitationTtlDays * 86_400_000,
  );
  await recordEvent(deps, org, "member.invited", ctx, {
    invitationId: invitation.id,
    email,
    role: input.role,
  });
  return { invitation, token };
}

export async function cancelInvitation(
  deps: Deps,
  org: Org,
  actor: Principal,
  id: string,
  ctx: RequestContext,
): Promise<void> {
  if (actor.role === "member") throw forbidden("Only owners and admins manage invitations");
  const inv = await revokeInvitation(deps.db.master, org.id, id, deps.now());
  if (!inv) throw new AppError(404, "invitation_not_found", "Invitation not found");
  await recordEvent(deps, org, "invitation.revoked", ctx, { invitationId: id, email: inv.email });
}

/**
 * Accept an invitation. A new email: `password` creates the user. An email that belongs to a
 * user: the request must carry that user's own token (401 `sign_in_required` without one, 403
 * with another user's); no password is checked here, so an invitation cannot be used to guess
 * one. The invitation works once, and only while its inviter may still grant its role. Returns a
 * token pair for the org.
 */
export async function acceptInvitation(
  deps: Deps,
  input: { token: string; password?: string },
  principal: Principal | null,
  ctx: RequestContext,
  findOrg: (id: string) => Promise<Org | null>,
): Promise<TokenPair> {
  const db = deps.db.master;
  const notFound = () =>
    new AppError(
      404,
      "invitation_not_found",
      "The invitation is unknown, used, revoked or expired",
    );
  const signInRequired = () =>
    new AppError(
      401,
      "sign_in_required",
      "This email belongs to a user: sign in as that user, then accept with your token",
    );
  const inv = await findPendingByToken(db, input.token, deps.now());
  if (!inv) throw notFound();
  const [org, inviter] = await Promise.all([
    findOrg(inv.orgId),
    findMembership(db, inv.invitedBy, inv.orgId),
  ]);
  if (!org || org.status !== "active") throw notFound();
  if (!inviter || !grantable(inviter.role).includes(inv.role)) throw notFound();

  let user: User | null = await findUserByEmail(db, inv.email);
  let newHash: string | undefined;
  if (user) {
    if (!principal) throw signInRequired();
    if (principal.userId !== user.id) throw forbidden("This invitation is for another user");
  } else {
    if (principal) throw forbidden("This invitation is for another email");
    if (input.password === undefined) {
      const message = "Required to create the invited user";
      throw new AppError(400, "validation_failed", message, {
        errors: [{ path: "password", message }],
      });
    }
    await assertStrongPassword(deps.hasher, input.password, [inv.email, org.name]);
    newHash = await deps.hasher.hash(input.password);
  }
  const mark = await markAccepted(db, inv.id, deps.now());
  if (!mark) throw notFound();
  // Set when the invitation turns out to be used by a concurrent acceptance of it (FerretDB's
  // non-atomic conditional update lets several mark it): it must then stay used.
  let used = false;
  try {
    if (!user) {
      try {
        // The new user's id is the invitation's: a concurrent acceptance of the same
        // invitation is then told apart from an unrelated sign-up of the same email.
        user = await insertUser(db, {
          id: inv.id,
          email: inv.email,
          passwordHash: newHash!,
        }, deps.now());
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
      throw new AppError(409, "already_member", "Already a member");
    }
  } catch (e) {
    if (!used) await unmarkAccepted(db, inv.id, mark);
    throw e;
  }
  deps.cache.forget(tag.user(user.id));
  await recordEvent(deps, org, "member.joined", {
    ...ctx,
    actor: { userId: user.id, email: user.email },
  }, {
    userId: user.id,
    role: inv.role,
    invitationId: inv.id,
  });
  return await startSession(deps, user, org, inv.role);
}

/** One page of members with their emails, in join order. */
export async function listMembers(deps: Deps, org: Org, limit: number, after?: string) {
  const page = await membersPage(deps.db.master, org.id, limit, after);
  const users = await findUsersByIds(deps.db.master, page.map((m) => m.userId));
  const emails = new Map(users.map((u) => [u.id, u.email]));
  return page.map((m) => ({ ...m, email: emails.get(m.userId) ?? "" }));
}
