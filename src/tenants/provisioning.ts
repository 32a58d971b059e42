/**
 * Provisioning (docs/architecture.md, "Org lifecycle"): a resumable state machine recorded on the
 * org document, so that the reconciler can finish or roll back whatever a crash interrupts. No step
 * relies on a multi-document transaction.
 */
import { ObjectId } from "mongodb";
import { recordEvent, type RequestContext } from "../audit/audit.ts";
import { isDuplicateKey } from "../platform/db.ts";
import { tag } from "../platform/cache.ts";
import type { Deps } from "../platform/deps.ts";
import { emailTaken, forbidden, orgExists, tokenRevoked, unavailable } from "../platform/errors.ts";
import { describeError } from "../platform/log.ts";
import { createInvitation } from "../identity/invitations.ts";
import { addMembership, hasMemberships, removeMembership } from "../identity/memberships.ts";
import { assertStrongPassword } from "../identity/passwords.ts";
import { countCreationAttempt, countUserCreation } from "../identity/throttle.ts";
import {
  deleteUser,
  findUserByEmail,
  findUserById,
  insertUser,
  normalizeEmail,
  type User,
} from "../identity/users.ts";
import { finishDeletion } from "./deletion.ts";
import { ownerOf, writeMarker } from "./meta.ts";
import { LATEST_SCHEMA_VERSION, migrateTenant } from "./migrations/mod.ts";
import { checkName } from "./names.ts";
import { chooseCluster } from "./placement.ts";
import {
  activateOrg,
  findOrgById,
  insertOrg,
  type Org,
  type OrgDoc,
  setSchemaVersion,
  transitionOrg,
} from "./orgs.ts";
import { decideOutcome, forgetOutcome } from "./outcomes.ts";

/**
 * Who owns a new org: a new user (`admin`, from an unauthenticated request), or the signed-in
 * user (`ownerId`, from their verified token). An existing user's password is never checked
 * here, so creation cannot be used to guess one.
 */
export type CreateOrgInput =
  & {
    name: string;
    /** A cluster named by an operator; else the one with the fewest orgs. */
    cluster?: string;
  }
  & ({ admin: { email: string; password: string } } | { ownerId: string });

/**
 * An operator's org: no owner yet, an invitation to own it for `email`, sent by the operator
 * `invitedBy` (whose role the caller checked).
 */
export type InvitedOrgInput = {
  name: string;
  cluster?: string;
  invite: { email: string; invitedBy: string };
};

/** The first owner's invitation of an org an operator created (its token is shown once). */
export interface OwnerInvitation {
  id: string;
  email: string;
  role: "owner";
  expiresAt: Date;
  token: string;
}

/**
 * The creation policy, for every route that creates an org: `ORG_CREATION=operators` closes
 * creation to all but operators, and creation is counted before any work is done
 * (`ORG_CREATE_LIMIT` per hour): unauthenticated, per client address; signed in, per user
 * (`creatorId`), operators exempt.
 */
export async function assertMayCreateOrg(
  deps: Deps,
  /** The signed-in user creating the org; undefined when not signed in. */
  creatorId: string | undefined,
  ctx: RequestContext,
  byOperator = false,
) {
  if (deps.config.orgCreation === "operators" && !byOperator) {
    throw forbidden("Organizations are created by operators here");
  }
  const limit = deps.config.orgCreateLimit;
  if (creatorId === undefined) {
    await countCreationAttempt(deps.db.master, ctx.ip, limit, deps.now());
  } else if (!byOperator) {
    await countUserCreation(deps.db.master, creatorId, limit, deps.now());
  }
}

/** Create an org, its database and its owner (docs/architecture.md, "Org lifecycle", steps 1–4). */
export async function createOrg(
  deps: Deps,
  input: CreateOrgInput,
  ctx: RequestContext,
  opts: { byOperator?: boolean } = {},
): Promise<{ org: Org; admin: { id: string; email: string } }> {
  return await provisionOrg(deps, input, ctx, opts.byOperator) as {
    org: Org;
    admin: { id: string; email: string };
  };
}

/** Create an org and its database for an operator, and the invitation of its first owner. */
export async function createInvitedOrg(
  deps: Deps,
  input: InvitedOrgInput,
  ctx: RequestContext,
): Promise<{ org: Org; invitation: OwnerInvitation }> {
  return await provisionOrg(deps, input, ctx) as { org: Org; invitation: OwnerInvitation };
}

async function provisionOrg(
  deps: Deps,
  input: CreateOrgInput | InvitedOrgInput,
  ctx: RequestContext,
  byOperator = "invite" in input,
): Promise<
  { org: Org; admin: { id: string; email: string } } | { org: Org; invitation: OwnerInvitation }
> {
  const { db, hasher, hooks } = deps;
  const { name, slug } = checkName(input.name);
  // Whether the caller is an operator is the caller's to check (src/access/org-flows.ts).
  // The signed-in creator: the new org's owner, or the operator inviting its first one.
  const creator = "admin" in input
    ? undefined
    : "ownerId" in input
    ? input.ownerId
    : input.invite.invitedBy;
  await assertMayCreateOrg(deps, creator, ctx, byOperator);

  let user: User | null;
  let newOwner: { email: string; passwordHash: string } | undefined;
  if ("invite" in input) {
    user = null;
  } else if ("ownerId" in input) {
    user = await findUserById(db.master, input.ownerId);
    if (!user) throw tokenRevoked();
  } else {
    // Check the new owner before claiming the name: a rejected request changes nothing. The
    // email lookup runs alongside the password's strength check and hash (both in the hash
    // workers), so a new owner waits for the slower of the two, not their sum.
    const email = normalizeEmail(input.admin.email);
    const password = input.admin.password;
    const lookup = findUserByEmail(db.master, email);
    let found = false;
    lookup.then((u) => found = u !== null, () => {});
    const newHash = (async () => {
      await assertStrongPassword(hasher, password, [email, name]);
      return found ? undefined : await hasher.hash(password);
    })();
    newHash.catch(() => {}); // awaited only for a new owner
    if (await lookup) throw emailTaken();
    user = null;
    newOwner = { email, passwordHash: (await newHash)! }; // defined: `found` stayed false
  }

  // Step 1: the unique slug index claims the name atomically.
  const now = deps.now();
  const orgId = new ObjectId();
  const doc: OrgDoc = {
    _id: orgId,
    slug,
    name,
    status: "provisioning",
    cluster: await chooseCluster(db, input.cluster),
    databaseName: `${deps.config.tenantDbPrefix}${orgId.toHexString()}`,
    schemaVersion: 0,
    ownerId: user ? new ObjectId(user.id) : new ObjectId(),
    provisioning: { userCreated: !user },
    createdAt: now,
    updatedAt: now,
  };
  try {
    await insertOrg(db.master, doc);
  } catch (e) {
    if (isDuplicateKey(e)) throw orgExists();
    throw e;
  }
  const id = orgId.toHexString();
  await hooks.afterProvisioningStep?.("claimed", id);

  let createdUser = false;
  try {
    // Step 2: the tenant database: its owner marker first (so that no database of this org
    // ever exists without it), then its collections and indexes.
    const tenantDb = db.tenantDb({ cluster: doc.cluster, databaseName: doc.databaseName });
    await writeMarker(tenantDb, ownerOf(deps, id));
    const schemaVersion = await migrateTenant(tenantDb, ownerOf(deps, id), deps.log);
    await hooks.afterProvisioningStep?.("database", id);

    // Step 3: the owner, new or signed in, and the owner membership; or, for an operator's
    // org, the invitation of its first owner (an org without members until it is accepted).
    let invitation: OwnerInvitation | undefined;
    if ("invite" in input) {
      const made = await createInvitation(
        db.master,
        {
          orgId: id,
          email: normalizeEmail(input.invite.email),
          role: "owner",
          invitedBy: input.invite.invitedBy,
        },
        now,
        deps.config.invitationTtlDays * 86_400_000,
      );
      invitation = {
        id: made.invitation.id,
        email: made.invitation.email,
        role: "owner",
        expiresAt: made.invitation.expiresAt,
        token: made.token,
      };
    } else if (!user) {
      try {
        user = await insertUser(db.master, {
          id: doc.ownerId.toHexString(),
          email: newOwner!.email,
          passwordHash: newOwner!.passwordHash,
        }, now);
        createdUser = true;
      } catch (e) {
        // The same email signed up concurrently: it is an existing user now.
        if (isDuplicateKey(e)) throw emailTaken();
        throw e;
      }
    }
    if (user) await addMembership(db.master, { userId: user.id, orgId: id, role: "owner" }, now);
    await hooks.afterProvisioningStep?.("owner", id);

    // Step 4: active, unless a rollback decided first (handled below).
    if (await decideOutcome(db.master, id, "active", deps.now()) !== "active") {
      throw new RolledBack();
    }
    await hooks.afterProvisioningStep?.("decided", id);
    let active = await activateOrg(db.master, id, deps.now(), schemaVersion);
    if (!active) {
      // Not provisioning any more: the reconciler found the outcome decided and finished the
      // activation itself, or a rollback that decided first is done and the org is gone.
      const current = await findOrgById(db.master, id);
      if (current?.status !== "active") throw new RolledBack();
      active = current;
    }
    if (invitation) {
      await recordEvent(deps, active, "org.created", ctx, { name: active.name, slug: active.slug });
      await recordEvent(deps, active, "member.invited", ctx, {
        invitationId: invitation.id,
        email: invitation.email,
        role: "owner",
      });
      return { org: active, invitation };
    }
    user = user!; // set in step 3 unless an invitation was made
    deps.cache.forget(tag.user(user.id)); // an existing user's list of orgs grew
    await recordEvent(deps, active, "org.created", {
      ...ctx,
      actor: { userId: user.id, email: user.email },
    }, { name: active.name, slug: active.slug });
    return { org: active, admin: { id: user.id, email: user.email } };
  } catch (e) {
    // Best effort: undo at once. If this fails too (database down), the reconciler will.
    const org = await findOrgById(db.master, id).catch(() => undefined);
    if (org?.status === "provisioning" && !(e instanceof RolledBack)) {
      await rollbackProvisioning(deps, org).catch((err) =>
        deps.log.warn("rollback deferred to the reconciler", { orgId: id, ...describeError(err) })
      );
    } else if (org === null || org?.status === "deleting" || e instanceof RolledBack) {
      // The reconciler judged this provisioning stuck and rolled it back, perhaps before this
      // request's later steps ran: undo those too (the org can no longer become active).
      const undo = async () => {
        if (user) await removeMembership(db.master, user.id, id);
        if (createdUser && user && !await hasMemberships(db.master, user.id)) {
          await deleteUser(db.master, user.id);
        }
        await db.tenantDb(doc).dropDatabase();
        // With the document gone, an outcome this request recorded after the rollback had
        // forgotten its own decides nothing any more.
        if (!await findOrgById(db.master, id)) await forgetOutcome(db.master, id);
      };
      await undo().catch((err) =>
        deps.log.warn("undo deferred to the reconciler", { orgId: id, ...describeError(err) })
      );
      throw unavailable("Provisioning took too long; try again");
    }
    throw e;
  }
}

/** A rollback decided the outcome before this provisioning could. */
class RolledBack extends Error {
  constructor() {
    super("provisioning was rolled back");
  }
}

/**
 * Undo a provisioning that did not finish: database, memberships, a user it created, the claim.
 * The outcome is decided first (src/tenants/outcomes.ts), so an instance still working on it
 * (slow, not dead) can no longer make it active; then the org moves to `deleting` and the rest
 * is the deletion's idempotent tail. If the creator decided first, it had done every step but
 * the last: that is finished instead.
 */
export async function rollbackProvisioning(
  deps: Deps,
  org: Org,
): Promise<"rolled back" | "activated" | "nothing"> {
  const { db } = deps;
  if (await decideOutcome(db.master, org.id, "rolled_back", deps.now()) === "active") {
    // Only a provisioning org is finished (this `org` may be stale: active or deleted since).
    if ((await findOrgById(db.master, org.id))?.status !== "provisioning") return "nothing";
    const schemaVersion = await migrateTenant(db.tenantDb(org), ownerOf(deps, org.id), deps.log);
    const active = await transitionOrg(db.master, org.id, ["provisioning"], "active", deps.now(), {
      schemaVersion,
    });
    return active ? "activated" : "nothing";
  }
  const claimed = await transitionOrg(
    db.master,
    org.id,
    ["provisioning", "deleting"],
    "deleting",
    deps.now(),
  );
  if (!claimed) {
    // A stale `org` that is active or gone: the outcome just recorded decides nothing.
    await forgetOutcome(db.master, org.id);
    return "nothing";
  }
  await finishDeletion(deps, claimed);
  return "rolled back";
}

/**
 * Apply the tenant migrations a live org's database lacks (made before they existed). Should
 * the org be deleted meanwhile, the migrations' writes create its database again; the marker
 * (written first, migration 002) lets the reconciler drop that one.
 */
export async function upgradeTenant(deps: Deps, org: Org): Promise<void> {
  if (org.schemaVersion >= LATEST_SCHEMA_VERSION) return;
  const version = await migrateTenant(deps.db.tenantDb(org), ownerOf(deps, org.id), deps.log);
  await setSchemaVersion(deps.db.master, org.id, version, deps.now());
}
