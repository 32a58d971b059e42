/**
 * Members and their roles (docs/api.md, "Routes"). Roles: owner > admin > member.
 * An owner may make any change; an admin moves people between member and admin only; an org
 * always keeps at least one owner (409 `last_owner`).
 */
import { recordEvent } from "../audit/audit.ts";
import { emitEvent } from "../events/catalogue.ts";
import { tag } from "../platform/cache.ts";
import type { Deps } from "../platform/deps.ts";
import { conflict, forbidden, lastOwner, memberNotFound } from "../platform/errors.ts";
import { isId } from "../platform/ids.ts";
import type { Page, PageRequest } from "../platform/paging.ts";
import {
  addMembership,
  countMembers,
  findMembership,
  type Membership,
  membersPage,
  removeMembership,
  type Role,
  setRole,
} from "../identity/memberships.ts";
import { revokeMemberSessions } from "../identity/sessions.ts";
import { findUserById, findUsersByIds } from "../identity/users.ts";
import type { Org } from "../tenants/orgs.ts";
import { revokeUngrantable } from "./invitation-flows.ts";
import type { Scope } from "./scope.ts";

export type Member = Membership & { email: string };

async function memberOf(deps: Deps, org: Org, userId: string): Promise<Membership> {
  const m = isId(userId) ? await findMembership(deps.db.master, userId, org.id) : null;
  if (!m) throw memberNotFound();
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
  { org, actor, request }: Scope,
  { userId, role: to }: { userId: string; role: Role },
): Promise<Member> {
  const m = await memberOf(deps, org, userId);
  if (!mayChangeRole(actor.role, m.role, to)) {
    throw forbidden("Admins move people between member and admin only; owners make owners");
  }
  const email = (await findUserById(deps.db.master, userId))?.email ?? "";
  if (m.role === to) return { ...m, email };
  const db = deps.db.master;
  if (m.role === "owner" && await countMembers(db, org.id, "owner") <= 1) throw lastOwner();
  const updated = await setRole(db, userId, org.id, m.role, to);
  if (!updated) throw conflict("The member changed meanwhile; try again");
  // Two owners demoting each other at once could both pass the count above: undo ours if so.
  if (m.role === "owner" && await countMembers(db, org.id, "owner") === 0) {
    await setRole(db, userId, org.id, to, "owner");
    throw lastOwner();
  }
  await revokeUngrantable(deps, org, userId, to);
  deps.cache.forget(tag.user(userId));
  await recordEvent(deps, org, "member.role_changed", request, { userId, from: m.role, to });
  await emitEvent(deps, {
    org,
    type: "member.role_changed",
    data: { userId, email, role: to, previousRole: m.role },
  });
  return { ...updated, email };
}

/** Remove a member (owners and admins), or leave (the member itself). */
export async function removeMember(
  deps: Deps,
  { org, actor, request }: Scope,
  { userId }: { userId: string },
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
  await recordEvent(deps, org, "member.removed", request, { userId, role: m.role });
  const email = (await findUserById(db, userId))?.email ?? "";
  await emitEvent(deps, { org, type: "member.removed", data: { userId, email, role: m.role } });
}

/** One page of members with their emails, in join order. */
export async function listMembers(
  deps: Deps,
  { org }: Pick<Scope, "org">,
  page: PageRequest,
): Promise<Page<Member>> {
  const found = await membersPage(deps.db.master, org.id, page, deps.config.jwtSecret);
  const users = await findUsersByIds(deps.db.master, found.items.map((m) => m.userId));
  const emails = new Map(users.map((u) => [u.id, u.email]));
  return {
    items: found.items.map((m) => ({ ...m, email: emails.get(m.userId) ?? "" })),
    nextCursor: found.nextCursor,
  };
}
