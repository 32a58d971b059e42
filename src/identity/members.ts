/**
 * Members, roles and invitations (API.md, "Members and invitations"). Roles: owner > admin >
 * member. An owner may make any change; an admin moves people between member and admin only;
 * an org always keeps at least one owner (409 `last_owner`).
 */
import { ObjectId } from "mongodb";
import { recordEvent, type RequestContext } from "../audit/audit.ts";
import { isDuplicateKey } from "../db.ts";
import { tag } from "../cache.ts";
import type { Deps } from "../deps.ts";
import { AppError } from "../errors.ts";
import type { Org } from "../tenants/orgs.ts";
import { startSession, type TokenPair } from "./auth.ts";
import {
  createInvitation,
  findPendingByToken,
  markAccepted,
  revokeInvitation,
  unmarkAccepted,
} from "./invitations.ts";
import {
  addMembership,
  countMembers,
  findMembership,
  type Membership,
  membersPage,
  removeMembership,
  type Role,
  setRole,
} from "./memberships.ts";
import { assertStrongPassword } from "./passwords.ts";
import type { Principal } from "./principal.ts";
import { revokeMemberSessions } from "./sessions.ts";
import {
  findUserByEmail,
  findUserById,
  findUsersByIds,
  insertUser,
  normalizeEmail,
  type User,
} from "./users.ts";

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
 * Accept an invitation: a new user is created with `password`; an existing user must give
 * theirs. The invitation works once. Returns a token pair for the org.
 */
export async function acceptInvitation(
  deps: Deps,
  input: { token: string; password: string },
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
  const inv = await findPendingByToken(db, input.token, deps.now());
  if (!inv) throw notFound();
  const org = await findOrg(inv.orgId);
  if (!org || org.status !== "active") throw notFound();

  let user: User | null = await findUserByEmail(db, inv.email);
  let newHash: string | undefined;
  if (user) {
    if (!await deps.hasher.verify(input.password, user.passwordHash)) {
      throw new AppError(401, "invalid_credentials", "The password is wrong for this email");
    }
  } else {
    await assertStrongPassword(deps.hasher, input.password, [inv.email, org.name]);
    newHash = await deps.hasher.hash(input.password);
  }
  if (!await markAccepted(db, inv.id, deps.now())) throw notFound();
  try {
    if (!user) {
      try {
        user = await insertUser(db, {
          id: new ObjectId().toHexString(),
          email: inv.email,
          passwordHash: newHash!,
        }, deps.now());
      } catch (e) {
        if (!isDuplicateKey(e)) throw e;
        user = await findUserByEmail(db, inv.email);
        if (!user || !await deps.hasher.verify(input.password, user.passwordHash)) {
          throw new AppError(401, "invalid_credentials", "The password is wrong for this email");
        }
      }
    }
    try {
      await addMembership(db, { userId: user.id, orgId: org.id, role: inv.role }, deps.now());
    } catch (e) {
      if (isDuplicateKey(e)) throw new AppError(409, "already_member", "Already a member");
      throw e;
    }
  } catch (e) {
    // The invited email is a member already: the invitation stays used.
    if (!(e instanceof AppError && e.code === "already_member")) await unmarkAccepted(db, inv.id);
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
