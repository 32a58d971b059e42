/**
 * Deleting an org: mark it `deleting` (its tokens stop working at once), then an idempotent
 * tail the reconciler also runs (database, references, document, outcome).
 */
import { deleteOrgEndpoints } from "../events/endpoints.ts";
import { emitEvent } from "../events/catalogue.ts";
import { tag } from "../platform/cache.ts";
import type { Deps } from "../platform/deps.ts";
import { orgNotFound } from "../platform/errors.ts";
import { deleteOrgApiKeys } from "../identity/api-keys.ts";
import { deleteOrgInvitations } from "../identity/invitations.ts";
import { hasMemberships, removeOrgMemberships } from "../identity/memberships.ts";
import { deleteOrgSessions } from "../identity/sessions.ts";
import { deleteUser } from "../identity/users.ts";
import { readMarker } from "./meta.ts";
import { forgetOrgMigrations } from "./migration-records.ts";
import { VISIBLE_STATUSES } from "./org-status.ts";
import { deleteOrgDoc, type Org, transitionOrg } from "./orgs.ts";
import { forgetOutcome } from "./outcomes.ts";
import { recordTombstone } from "./tombstones.ts";

/** Delete an org: mark it `deleting` (tokens stop working), then finish the deletion. */
export async function deleteOrg(deps: Deps, org: Org): Promise<void> {
  const marked = await transitionOrg(
    deps.db.master,
    org.id,
    VISIBLE_STATUSES,
    "deleting",
    deps.now(),
  );
  deps.cache.forget(tag.org(org.id));
  if (!marked) throw orgNotFound();
  await deps.hooks.afterDeletionStep?.("marked", org.id);
  await finishDeletion(deps, marked);
}

/** The idempotent tail of a deletion, also run by the reconciler. */
export async function finishDeletion(deps: Deps, org: Org): Promise<void> {
  const { db, hooks } = deps;
  // The org's webhook endpoints hear of it before they go with the org (below): each delivery
  // carries its endpoint's URL and secret. Keyed by the org, so a resumed deletion queues once.
  await emitEvent(deps, { org, type: "org.deleted", data: {}, key: "org.deleted" });
  // A database marked as another master's (a copy of this master database, say, deployed beside
  // it with the same prefix) is not this org's to drop; one with no marker predates markers.
  const tenantDb = db.tenantDb(org);
  const marker = await readMarker(tenantDb);
  if (!marker || (marker.master === deps.config.masterDb && marker.orgId === org.id)) {
    // First the tombstone: a write still in flight may create the database again after the
    // drop, and the maintenance pass drops it again while the tombstone lasts.
    await recordTombstone(db.master, {
      orgId: org.id,
      cluster: org.cluster,
      databaseName: org.databaseName,
    }, deps.now());
    await tenantDb.dropDatabase();
  } else {
    deps.log.warn("kept a tenant database marked as another owner's", {
      orgId: org.id,
      database: org.databaseName,
    });
  }
  await hooks.afterDeletionStep?.("database", org.id);
  await removeOrgMemberships(db.master, org.id);
  // A rolled-back provisioning also removes the user it created, unless it joined another org.
  if (org.userCreated && !await hasMemberships(db.master, org.ownerId)) {
    await deleteUser(db.master, org.ownerId);
  }
  await deleteOrgSessions(db.master, org.id);
  await deleteOrgInvitations(db.master, org.id);
  await deleteOrgApiKeys(db.master, org.id);
  await forgetOrgMigrations(db.master, org.id);
  await deleteOrgEndpoints(db.master, org.id);
  await hooks.afterDeletionStep?.("references", org.id);
  // The document goes before the outcome: while a rolled-back provisioning's document exists,
  // its outcome must stand, or a creator still at work could decide `active` in between.
  await deleteOrgDoc(db.master, org.id, "deleting");
  await hooks.afterDeletionStep?.("document", org.id);
  await forgetOutcome(db.master, org.id);
  await hooks.afterDeletionStep?.("outcome", org.id);
}
