/**
 * The org lifecycle (DESIGN.md, "Org lifecycle"): provisioning and deletion as resumable state
 * machines recorded on the org document, so that the reconciler can finish or roll back
 * whatever a crash interrupts. No step relies on a multi-document transaction.
 */
import { ObjectId } from "mongodb";
import { recordEvent, type RequestContext } from "../audit/audit.ts";
import { DEFAULT_CLUSTER, isDuplicateKey } from "../db.ts";
import { tag } from "../cache.ts";
import type { Deps } from "../deps.ts";
import { AppError } from "../errors.ts";
import { deleteOrgInvitations } from "../identity/invitations.ts";
import {
  addMembership,
  hasMemberships,
  removeMembership,
  removeOrgMemberships,
} from "../identity/memberships.ts";
import { assertStrongPassword } from "../identity/passwords.ts";
import { deleteOrgSessions } from "../identity/sessions.ts";
import { deleteUser, findUserByEmail, insertUser, normalizeEmail } from "../identity/users.ts";
import { describeError } from "../log.ts";
import { migrateTenant } from "./migrations/mod.ts";
import { charLength, NAME_MAX, NAME_MIN, SLUG_MIN, slugify } from "./names.ts";
import {
  activateOrg,
  deleteOrgDoc,
  findOrgById,
  findOrgBySlug,
  insertOrg,
  type Org,
  type OrgDoc,
  renameOrg as renameOrgDoc,
  setOrgOwner,
  transitionOrg,
} from "./orgs.ts";
import { decideOutcome, forgetOutcome } from "./outcomes.ts";

/** Trim and check a name; returns it with its slug, or throws 400 `validation_failed`. */
export function checkName(raw: string, path = "name"): { name: string; slug: string } {
  const name = raw.trim();
  const fail = (message: string) =>
    new AppError(400, "validation_failed", message, { errors: [{ path, message }] });
  // deno-lint-ignore no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) throw fail("Name must not contain control characters");
  const n = charLength(name);
  if (n < NAME_MIN || n > NAME_MAX) {
    throw fail(`Name must be ${NAME_MIN}–${NAME_MAX} characters after trimming`);
  }
  const slug = slugify(name);
  if (slug.length < SLUG_MIN) {
    throw fail(`Name must contain at least ${SLUG_MIN} letters or digits usable in a slug`);
  }
  return { name, slug };
}

const orgExists = () =>
  new AppError(
    409,
    "org_exists",
    "An organization with this name (or one that gives the same slug) exists",
  );

export interface CreateOrgInput {
  name: string;
  admin: { email: string; password: string };
}

/** Create an org, its database and its owner (DESIGN.md steps 1–4). */
export async function createOrg(
  deps: Deps,
  input: CreateOrgInput,
  ctx: RequestContext,
): Promise<{ org: Org; admin: { id: string; email: string } }> {
  const { db, hasher, hooks } = deps;
  const { name, slug } = checkName(input.name);
  const email = normalizeEmail(input.admin.email);

  // Check the credentials before claiming the name: a rejected request changes nothing.
  // The owner's email lookup runs alongside a new owner's password check and hash. The lookup
  // (unique index) normally answers first and an existing owner's password is never hashed; a
  // slow lookup is hidden behind the hash. An existing owner costs a discarded strength check,
  // and a discarded hash when the lookup answers only after the check.
  const lookup = findUserByEmail(db.master, email);
  let found = false;
  lookup.then((u) => found = u !== null, () => {});
  const newHash = (async () => {
    await assertStrongPassword(hasher, input.admin.password, [email, name]);
    return found ? undefined : await hasher.hash(input.admin.password);
  })();
  newHash.catch(() => {}); // awaited only for a new owner
  let user = await lookup;
  let passwordHash: string | undefined;
  if (user) {
    if (!await hasher.verify(input.admin.password, user.passwordHash)) {
      throw new AppError(401, "invalid_credentials", "The email or password is wrong");
    }
  } else {
    passwordHash = await newHash; // defined: `found` stayed false
  }

  // Step 1: the unique slug index claims the name atomically.
  const now = deps.now();
  const orgId = new ObjectId();
  const doc: OrgDoc = {
    _id: orgId,
    slug,
    name,
    status: "provisioning",
    cluster: DEFAULT_CLUSTER,
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
    // Step 2: the tenant database, its collections and indexes.
    const schemaVersion = await migrateTenant(
      db.tenantDb({ cluster: doc.cluster, databaseName: doc.databaseName }),
      deps.log,
    );
    await hooks.afterProvisioningStep?.("database", id);

    // Step 3: the owner, new or existing, and the owner membership.
    if (!user) {
      try {
        user = await insertUser(db.master, {
          id: doc.ownerId.toHexString(),
          email,
          passwordHash: passwordHash!,
        }, now);
        createdUser = true;
      } catch (e) {
        if (!isDuplicateKey(e)) throw e;
        // The same email signed up concurrently: it is an existing user now.
        const existing = await findUserByEmail(db.master, email);
        if (!existing || !await hasher.verify(input.admin.password, existing.passwordHash)) {
          throw new AppError(401, "invalid_credentials", "The email or password is wrong");
        }
        await setOrgOwner(db.master, id, existing.id);
        user = existing;
      }
    }
    await addMembership(db.master, { userId: user.id, orgId: id, role: "owner" }, now);
    await hooks.afterProvisioningStep?.("owner", id);

    // Step 4: active, unless a rollback decided first (handled below).
    if (await decideOutcome(db.master, id, "active", deps.now()) !== "active") {
      throw new RolledBack();
    }
    await hooks.afterProvisioningStep?.("decided", id);
    const active = await activateOrg(db.master, id, deps.now(), schemaVersion);
    if (!active) throw new Error(`org ${id} vanished while provisioning`);
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
      };
      await undo().catch((err) =>
        deps.log.warn("undo deferred to the reconciler", { orgId: id, ...describeError(err) })
      );
      throw new AppError(503, "unavailable", "Provisioning took too long; try again");
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
    const schemaVersion = await migrateTenant(db.tenantDb(org), deps.log);
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

/** Rename: name and slug change in one update; the database (named by id) does not move. */
export async function renameOrg(
  deps: Deps,
  org: Org,
  rawName: string,
  ctx: RequestContext,
): Promise<Org> {
  const { name, slug } = checkName(rawName);
  if (name === org.name && slug === org.slug) return org;
  try {
    const renamed = await renameOrgDoc(deps.db.master, org.id, name, slug, deps.now());
    if (!renamed) throw new AppError(404, "org_not_found", "Organization not found");
    deps.cache.forget(tag.org(org.id));
    await recordEvent(deps, renamed, "org.renamed", ctx, { from: org.name, to: renamed.name });
    return renamed;
  } catch (e) {
    if (isDuplicateKey(e)) throw orgExists();
    throw e;
  }
}

/** Delete an org: mark it `deleting` (tokens stop working), then finish the deletion. */
export async function deleteOrg(deps: Deps, org: Org): Promise<void> {
  const marked = await transitionOrg(
    deps.db.master,
    org.id,
    ["active", "suspended"],
    "deleting",
    deps.now(),
  );
  deps.cache.forget(tag.org(org.id));
  if (!marked) throw new AppError(404, "org_not_found", "Organization not found");
  await deps.hooks.afterDeletionStep?.("marked", org.id);
  await finishDeletion(deps, marked);
}

/** The idempotent tail of a deletion, also run by the reconciler. */
export async function finishDeletion(deps: Deps, org: Org): Promise<void> {
  const { db, hooks } = deps;
  await db.tenantDb(org).dropDatabase();
  await hooks.afterDeletionStep?.("database", org.id);
  await removeOrgMemberships(db.master, org.id);
  // A rolled-back provisioning also removes the user it created, unless it joined another org.
  if (org.userCreated && !await hasMemberships(db.master, org.ownerId)) {
    await deleteUser(db.master, org.ownerId);
  }
  await deleteOrgSessions(db.master, org.id);
  await deleteOrgInvitations(db.master, org.id);
  await hooks.afterDeletionStep?.("references", org.id);
  await forgetOutcome(db.master, org.id);
  await deleteOrgDoc(db.master, org.id, "deleting");
}

const orgNotFound = () => new AppError(404, "org_not_found", "Organization not found");

/**
 * An org clients may see (active or suspended), by slug or id, through the short-TTL cache:
 * a rename or deletion on this instance shows at once, on others within the cache TTL.
 * Unknown orgs are not cached, so a new org is visible everywhere at once.
 */
export async function visibleOrg(deps: Deps, by: { slug: string } | { id: string }): Promise<Org> {
  const key = "slug" in by ? `org-slug:${by.slug}` : `org-id:${by.id}`;
  return await deps.cache.get(key, async () => {
    const org = "slug" in by
      ? await findOrgBySlug(deps.db.master, by.slug)
      : await findOrgById(deps.db.master, by.id);
    if (!org || (org.status !== "active" && org.status !== "suspended")) throw orgNotFound();
    return { value: org, tags: [tag.org(org.id)] };
  });
}
