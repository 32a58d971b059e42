/**
 * An org as its members and the public see it (docs/api.md, "Routes", and the compatibility
 * routes): creating one signed in or not, reading it, renaming and deleting one's own.
 */
import type { Deps } from "../platform/deps.ts";
import { forbidden, invalidField } from "../platform/errors.ts";
import { countMembers, type Role } from "../identity/memberships.ts";
import { deleteOrg } from "../tenants/deletion.ts";
import type { Created, Owner, OwnerInvitation } from "../tenants/new-owner.ts";
import { createOrg } from "../tenants/provisioning.ts";
import { renameOrg } from "../tenants/rename.ts";
import type { Org } from "../tenants/orgs.ts";
import { visibleOrg, visibleOrgByName } from "../tenants/visibility.ts";
import { findInvitationById } from "../identity/invitations.ts";
import { isOperator } from "./operators.ts";
import { mailInvitation } from "./invitation-flows.ts";
import { sendVerificationMail } from "./verification.ts";
import type { ActorScope, CallerScope, Scope } from "./scope.ts";

/** An org with what only its members see: the caller's role and the member count. */
export interface MemberView {
  org: Org;
  role: Role;
  memberCount: number;
}

/**
 * Create an org. Signed in, the caller owns it and names no `admin`, unless the caller is an
 * operator naming `admin: { email }` alone: then the org has no owner yet and `admin` gets an
 * invitation to own it. Not signed in, `admin` (with a password) is the new owner. Only an
 * operator names the `cluster` (else the deployment with the fewest orgs). Creation's policy
 * (ORG_CREATION, the per-address and per-user limits) is createOrg's.
 */
export async function createOrgAs(
  deps: Deps,
  { actor, request }: CallerScope,
  input: { name: string; admin?: { email: string; password?: string }; cluster?: string },
): Promise<
  | { org: Org; admin: { id: string; email: string }; invitation?: undefined }
  | { org: Org; invitation: OwnerInvitation; admin?: undefined }
> {
  const operator = actor ? await isOperator(deps, actor.userId) : false;
  if (input.cluster !== undefined && !operator) {
    throw forbidden("Only operators choose the deployment of a new organization");
  }
  const owner = newOwner(actor && { userId: actor.userId, operator }, input.admin);
  const created: Created = await createOrg(
    deps,
    { name: input.name, owner, cluster: input.cluster },
    request,
  );
  if (created.invitation) {
    // An operator's org: its first owner's invitation is mailed with a token of its own.
    const { mailToken, ...invitation } = created.invitation;
    const stored = await findInvitationById(deps.db.master, invitation.id);
    if (stored) await mailInvitation(deps, stored, mailToken, created.org.name);
    return { org: created.org, invitation };
  }
  // Sign-up: the new owner starts unverified and is sent a verification mail.
  if (owner.kind === "new-user") {
    await sendVerificationMail(deps, created.admin, { orgName: created.org.name, onLimit: "skip" });
  }
  return created;
}

/** Who will own the new org, from who asks (`creator`, when signed in) and the `admin` sent. */
function newOwner(
  creator: { userId: string; operator: boolean } | undefined,
  admin: { email: string; password?: string } | undefined,
): Owner {
  if (creator?.operator && admin) {
    if (admin.password !== undefined) {
      throw invalidField("admin.password", "An operator invites the owner: send { email } alone");
    }
    return { kind: "invitee", email: admin.email, invitedBy: creator.userId };
  }
  if (creator) {
    if (admin) {
      throw invalidField("admin", "Signed in, you own the new organization: send { name } alone");
    }
    return { kind: "signed-in", ...creator };
  }
  if (!admin) throw invalidField("admin", "Required without a bearer token (the new owner)");
  if (admin.password === undefined) {
    throw invalidField("admin.password", "Required: the new owner's password");
  }
  return { kind: "new-user", email: admin.email, password: admin.password };
}

/** An org by slug, from the cache; with the member fields when the caller is its member. */
export async function viewOrg(
  deps: Deps,
  { actor }: Pick<CallerScope, "actor">,
  { slug }: { slug: string },
): Promise<{ org: Org; member?: MemberView }> {
  const org = await visibleOrg(deps, { slug });
  if (actor?.orgId !== org.id) return { org };
  const memberCount = await countMembers(deps.db.master, org.id);
  return { org, member: { org, role: actor.role, memberCount } };
}

/** Rename the caller's org (the route admits owners and admins). */
export async function renameOwnOrg(
  deps: Deps,
  scope: Scope,
  { name }: { name: string },
): Promise<MemberView> {
  const renamed = await renameOrg(deps, scope.org, name, scope.request);
  const memberCount = await countMembers(deps.db.master, renamed.id);
  return { org: renamed, role: scope.actor.role, memberCount };
}

/** Delete the caller's org (the route admits owners). */
export async function deleteOwnOrg(deps: Deps, { org }: Pick<Scope, "org">): Promise<void> {
  await deleteOrg(deps, org);
}

/** An org named by any spelling that gives its slug, from the cache (the compatibility routes). */
export async function orgByName(deps: Deps, { name }: { name: string }): Promise<Org> {
  return await visibleOrgByName(deps, name);
}

/**
 * The compatibility routes' check: the caller must be an owner (or, `admin`, an admin) of the
 * org they name; another org is 403 there, not 404.
 */
async function namedOwnOrg(deps: Deps, { actor }: ActorScope, name: string, roles: Role[]) {
  const org = await visibleOrgByName(deps, name);
  if (org.id !== actor.orgId) throw forbidden("Not an admin of this organization");
  if (!roles.includes(actor.role)) throw forbidden("Not allowed for your role");
  return org;
}

/** Rename the org the caller names (owner or admin of it). */
export async function renameNamedOrg(
  deps: Deps,
  scope: ActorScope,
  input: { name: string; newName: string },
): Promise<Org> {
  const org = await namedOwnOrg(deps, scope, input.name, ["owner", "admin"]);
  return await renameOrg(deps, org, input.newName, scope.request);
}

/** Delete the org the caller names (owner of it). */
export async function deleteNamedOrg(
  deps: Deps,
  scope: ActorScope,
  { name }: { name: string },
): Promise<void> {
  await deleteOrg(deps, await namedOwnOrg(deps, scope, name, ["owner"]));
}
