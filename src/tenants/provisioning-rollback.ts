/**
 * Undoing a provisioning that did not finish (docs/architecture.md, "Org lifecycle"): the reconciler's
 * rollback of an org stuck in `provisioning`, and the creator's own undo when a step fails or a
 * rollback decided first.
 */
import type { Deps } from "../platform/deps.ts";
import { unavailable } from "../platform/errors.ts";
import { describeError } from "../platform/log.ts";
import { finishDeletion } from "./deletion.ts";
import { ownerOf } from "./meta.ts";
import { migrateTenant } from "./migrations/mod.ts";
import { findOrgById, type Org, type OrgDoc, transitionOrg } from "./orgs.ts";
import { decideOutcome, forgetOutcome } from "./outcomes.ts";

/** A rollback decided the outcome before this provisioning could. */
export class RolledBack extends Error {
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
 * The creator's answer to `error`, thrown by a step after the claim (`doc`): roll back at once,
 * best effort (if this fails too, database down, the reconciler will). When the reconciler
 * judged this provisioning stuck and rolled it back, perhaps before this request's later steps
 * ran, undo those too (`unseat`, then the database): the org can no longer become active. Always
 * throws.
 */
export async function abandonProvisioning(
  deps: Deps,
  doc: OrgDoc,
  error: unknown,
  unseat: () => Promise<void>,
): Promise<never> {
  const { db } = deps;
  const id = doc._id.toHexString();
  const org = await findOrgById(db.master, id).catch(() => undefined);
  if (org?.status === "provisioning" && !(error instanceof RolledBack)) {
    await rollbackProvisioning(deps, org).catch((err) =>
      deps.log.warn("rollback deferred to the reconciler", { orgId: id, ...describeError(err) })
    );
  } else if (org === null || org?.status === "deleting" || error instanceof RolledBack) {
    const undo = async () => {
      await unseat();
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
  throw error;
}
