/**
 * Who will own a new org, decided once (src/access/org-flows.ts) into an `Owner`, and what that
 * means for each step of provisioning (src/tenants/provisioning.ts): the creation policy, the
 * checks before the name is claimed, step 3, the answer, and undoing step 3. The one `switch` on
 * the owner's kind is `prepareOwner`'s.
 */
import { ObjectId } from "mongodb";
import { recordEvent, type RequestContext } from "../audit/audit.ts";
import { tag } from "../platform/cache.ts";
import { isDuplicateKey } from "../platform/db.ts";
import type { Deps } from "../platform/deps.ts";
import { emailTaken, forbidden, tokenRevoked } from "../platform/errors.ts";
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
import type { Org } from "./orgs.ts";

/**
 * Who owns a new org: a new user signing up (`admin` of an unauthenticated request), the
 * signed-in user (from their verified token; `operator` if they are one, which the caller
 * checked), or, for an operator's org, the invitee who may accept to own it. An existing user's
 * password is never checked here, so creation cannot be used to guess one.
 */
export type Owner =
  | { kind: "new-user"; email: string; password: string }
  | { kind: "signed-in"; userId: string; operator: boolean }
  | { kind: "invitee"; email: string; invitedBy: string };

/** The first owner's invitation of an org an operator created (its token is shown once). */
export interface OwnerInvitation {
  id: string;
  email: string;
  role: "owner";
  expiresAt: Date;
  token: string;
}

/** The invitation's token for the invitee's mail: never in a response. */
export type MailedOwnerInvitation = OwnerInvitation & { mailToken: string };

/** The answer to a creation: the owner, or (an operator's org) the first owner's invitation. */
export type Created =
  | { org: Org; admin: { id: string; email: string }; invitation?: undefined }
  | { org: Org; invitation: MailedOwnerInvitation; admin?: undefined };

/** The owner's part in each step of provisioning, once the checks before the claim passed. */
export interface PreparedOwner {
  /** The org document's `ownerId`: the signed-in user's, else an id chosen now. */
  ownerId: ObjectId;
  /** Recorded on the org, so that a rollback removes a user that step 3 created. */
  userCreated: boolean;
  /** Step 3: the owner and the owner membership, or the first owner's invitation. */
  seat(orgId: string, now: Date): Promise<void>;
  /** Once active: record the creation and give the answer. */
  announce(org: Org): Promise<Created>;
  /** Undo what `seat` did, after a rollback won (the org can no longer become active). */
  unseat(orgId: string): Promise<void>;
}

/**
 * The creation policy, for every route that creates an org: `ORG_CREATION=operators` closes
 * creation to all but operators, and creation is counted before any work is done
 * (`ORG_CREATE_LIMIT` per hour): unauthenticated, per client address; signed in, per user
 * (`creatorId`), operators exempt.
 */
async function assertMayCreateOrg(
  deps: Deps,
  /** The signed-in user creating the org; undefined when not signed in. */
  creatorId: string | undefined,
  ctx: RequestContext,
  byOperator: boolean,
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

/**
 * Apply the creation policy for `owner`'s creator, then check the owner before the name is
 * claimed (a rejected request changes nothing): a new user's address is free and password
 * strong, a signed-in user still exists. `orgName` is the checked name (the password must not
 * resemble it).
 */
export async function prepareOwner(
  deps: Deps,
  owner: Owner,
  { orgName, ctx }: { orgName: string; ctx: RequestContext },
): Promise<PreparedOwner> {
  switch (owner.kind) {
    case "new-user":
      await assertMayCreateOrg(deps, undefined, ctx, false);
      return await newUser(deps, owner, orgName, ctx);
    case "signed-in": {
      await assertMayCreateOrg(deps, owner.userId, ctx, owner.operator);
      const user = await findUserById(deps.db.master, owner.userId);
      if (!user) throw tokenRevoked();
      return ownedBy(deps, ctx, { user, ownerId: new ObjectId(user.id) });
    }
    case "invitee":
      await assertMayCreateOrg(deps, owner.invitedBy, ctx, true);
      return invitee(deps, owner, ctx);
  }
}

async function newUser(
  deps: Deps,
  owner: Extract<Owner, { kind: "new-user" }>,
  orgName: string,
  ctx: RequestContext,
): Promise<PreparedOwner> {
  const { db, hasher } = deps;
  // The email lookup runs alongside the password's strength check and hash (both in the hash
  // workers), so a new owner waits for the slower of the two, not their sum.
  const email = normalizeEmail(owner.email);
  const { password } = owner;
  const lookup = findUserByEmail(db.master, email);
  let found = false;
  lookup.then((u) => found = u !== null, () => {});
  const newHash = (async () => {
    await assertStrongPassword(hasher, password, [email, orgName]);
    return found ? undefined : await hasher.hash(password);
  })();
  newHash.catch(() => {}); // awaited only for a new owner
  if (await lookup) throw emailTaken();
  const passwordHash = (await newHash)!; // defined: `found` stayed false
  return ownedBy(deps, ctx, { newUser: { email, passwordHash }, ownerId: new ObjectId() });
}

/** A user owns the org: the signed-in `user`, or `newUser` created in step 3 as `ownerId`. */
function ownedBy(
  deps: Deps,
  ctx: RequestContext,
  { user, newUser, ownerId }: {
    user?: User;
    newUser?: { email: string; passwordHash: string };
    ownerId: ObjectId;
  },
): PreparedOwner {
  const { db } = deps;
  let owner = user;
  let created = false;
  return {
    ownerId,
    userCreated: !user,
    async seat(orgId, now) {
      if (newUser) {
        try {
          owner = await insertUser(db.master, { id: ownerId.toHexString(), ...newUser }, now);
          created = true;
        } catch (e) {
          // The same email signed up concurrently: it is an existing user now.
          if (isDuplicateKey(e)) throw emailTaken();
          throw e;
        }
      }
      await addMembership(db.master, { userId: owner!.id, orgId, role: "owner" }, now);
    },
    async announce(org) {
      const { id, email } = owner!; // set in `seat`
      deps.cache.forget(tag.user(id)); // an existing user's list of orgs grew
      await recordEvent(deps, org, "org.created", { ...ctx, actor: { userId: id, email } }, {
        name: org.name,
        slug: org.slug,
      });
      return { org, admin: { id, email } };
    },
    async unseat(orgId) {
      if (!owner) return;
      await removeMembership(db.master, owner.id, orgId);
      if (created && !await hasMemberships(db.master, owner.id)) {
        await deleteUser(db.master, owner.id);
      }
    },
  };
}

/** An operator's org: no owner yet; step 3 invites the first one (no members until accepted). */
function invitee(
  deps: Deps,
  owner: Extract<Owner, { kind: "invitee" }>,
  ctx: RequestContext,
): PreparedOwner {
  let invitation: MailedOwnerInvitation | undefined;
  return {
    ownerId: new ObjectId(),
    userCreated: true, // no user has this id: a rollback finds none to remove
    async seat(orgId, now) {
      const made = await createInvitation(
        deps.db.master,
        { orgId, email: normalizeEmail(owner.email), role: "owner", invitedBy: owner.invitedBy },
        now,
        deps.config.invitationTtlDays * 86_400_000,
      );
      const { id, email, expiresAt } = made.invitation;
      invitation = {
        id,
        email,
        role: "owner",
        expiresAt,
        token: made.token,
        mailToken: made.mailToken,
      };
    },
    async announce(org) {
      await recordEvent(deps, org, "org.created", ctx, { name: org.name, slug: org.slug });
      await recordEvent(deps, org, "member.invited", ctx, {
        invitationId: invitation!.id,
        email: invitation!.email,
        role: "owner",
      });
      return { org, invitation: invitation! };
    },
    // The invitation goes with the org (the deletion's tail removes an org's invitations).
    async unseat() {},
  };
}
