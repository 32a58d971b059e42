/**
 * The reconciler: rolls back provisioning that stopped (a crash, a lost database), finishes
 * deletions, and drops tenant databases that no org owns. Every action is idempotent, and a
 * lease keeps it to one instance at a time.
 *
 * Dropping a database is the one action that cannot be undone, so it is hedged twice: only a
 * database of an org id this master has no document for, and either marked (src/tenants/meta.ts)
 * as this master's org's or, unmarked, named in this master's record of deleted orgs (a late
 * write of a deleted org made it again, src/tenants/tombstones.ts), is a candidate; and a
 * candidate is dropped only when a later search, at least `ORPHAN_CONFIRM_MS` after the one that
 * first found it, finds it orphaned still. A database of another deployment on the same server
 * (another master) or an unmarked one no deletion of this master names is never touched.
 */
import { ReadPreference } from "mongodb";
import { ID_SOURCE } from "../platform/ids.ts";
import type { Deps } from "../platform/deps.ts";
import { deleteOrgApiKeys, orgIdsOfApiKeys } from "../identity/api-keys.ts";
import { deleteOrgInvitations, orgIdsOfInvitations } from "../identity/invitations.ts";
import { orgIdsOfMemberships, removeOrgMemberships } from "../identity/memberships.ts";
import { deleteOrgSessions, orgIdsOfSessions } from "../identity/sessions.ts";
import { finishDeletion } from "../tenants/deletion.ts";
import { rollbackProvisioning } from "../tenants/provisioning-rollback.ts";
import { readMarker } from "../tenants/meta.ts";
import { forgetOutcome, orgIdsOfOutcomes } from "../tenants/outcomes.ts";
import { allOrgIds, findStuckOrgs, orgExists } from "../tenants/orgs.ts";
import { liveTombstones, wasDeletedHere } from "../tenants/tombstones.ts";

/** How long a database must have stayed orphaned, between two searches, before it is dropped. */
export const ORPHAN_CONFIRM_MS = 5 * 60_000;

/**
 * Orphan candidates found by earlier searches: `<cluster>/<database>` → when first found
 * (ms since the epoch). Kept by the caller from one pass to the next; a fresh one drops nothing.
 */
export type OrphanCandidates = Map<string, number>;

export interface ReconcileReport {
  rolledBack: number;
  /** Provisionings whose creator had decided `active` and stopped just before marking it. */
  activated: number;
  deleted: number;
  orphansDropped: number;
  /** Orphans found and remembered, to be dropped once a later search confirms them. */
  orphansPending: number;
  /** Gone orgs whose memberships, sessions, invitations or API keys were left behind, now gone. */
  danglingOrgs: number;
  /** Databases of deleted orgs that a late write had created again, dropped again. */
  redropped: number;
}

/**
 * `orphans: false` skips the search for tenant databases that no org owns (see maintenance.ts);
 * `candidates` carries what earlier searches found.
 */
export async function reconcileOrgs(
  deps: Deps,
  opts: { orphans: boolean; candidates?: OrphanCandidates } = { orphans: true },
): Promise<ReconcileReport> {
  const { db, log } = deps;
  const now = deps.now();
  const report: ReconcileReport = {
    rolledBack: 0,
    activated: 0,
    deleted: 0,
    orphansDropped: 0,
    orphansPending: 0,
    danglingOrgs: 0,
    redropped: 0,
  };

  // A provisioning younger than the grace period may still be running in another instance.
  const graceMs = deps.config.provisioningGraceSeconds * 1000;
  for (
    const org of await findStuckOrgs(db.master, "provisioning", new Date(now.getTime() - graceMs))
  ) {
    const done = await rollbackProvisioning(deps, org);
    if (done === "rolled back") {
      report.rolledBack++;
      log.info("rolled back an unfinished provisioning", { orgId: org.id, slug: org.slug });
    } else if (done === "activated") {
      report.activated++;
      log.info("finished a provisioning decided active", { orgId: org.id, slug: org.slug });
    }
  }
  for (const org of await findStuckOrgs(db.master, "deleting", now)) {
    await finishDeletion(deps, org);
    report.deleted++;
    log.info("finished an interrupted deletion", { orgId: org.id });
  }
  report.redropped = await dropRecreatedDatabases(deps, now);

  if (!opts.orphans) return report;
  report.danglingOrgs = await sweepDanglingReferences(deps);
  const candidates = opts.candidates ?? new Map();
  const found = await findOrphans(deps);
  for (const key of candidates.keys()) if (!found.has(key)) candidates.delete(key);
  for (const [key, { cluster, database, orgId }] of found) {
    const since = candidates.get(key);
    if (since === undefined || now.getTime() - since < ORPHAN_CONFIRM_MS) {
      if (since === undefined) candidates.set(key, now.getTime());
      report.orphansPending++;
      continue;
    }
    candidates.delete(key);
    // Confirmed by two searches; the org's document is checked once more right before the drop.
    if (await orgExists(db.master, orgId)) continue;
    await db.clients[cluster].db(database).dropDatabase();
    report.orphansDropped++;
    log.info("dropped a tenant database that no org owns", { cluster, database });
  }
  return report;
}

/**
 * Databases on every cluster, of an org this master has no document of, that carry this
 * master's marker for that org, or carry no marker and are named in this master's record of
 * deleted orgs. The databases are listed before the org ids are read: an org's document is
 * always written before its database, so a listed database whose org is missing has none.
 */
async function findOrphans(deps: Deps) {
  const { db } = deps;
  const prefix = deps.config.tenantDbPrefix;
  const pattern = new RegExp(`^${prefix.replace(/[-]/g, "\\-")}(${ID_SOURCE})$`);
  const found = new Map<string, { cluster: string; database: string; orgId: string }>();
  for (const [cluster, client] of Object.entries(db.clients)) {
    const { databases } = await client.db("admin").admin().listDatabases({
      nameOnly: true,
      readPreference: ReadPreference.PRIMARY,
    });
    const ids = await allOrgIds(db.master);
    for (const { name } of databases) {
      const m = pattern.exec(name);
      if (!m || ids.has(m[1])) continue;
      const marker = await readMarker(client.db(name));
      const ours = marker
        ? marker.master === deps.config.masterDb && marker.orgId === m[1]
        : await wasDeletedHere(db.master, m[1], cluster, name);
      if (!ours) continue;
      found.set(`${cluster}/${name}`, { cluster, database: name, orgId: m[1] });
    }
  }
  return found;
}

/**
 * Remove memberships, sessions, invitations, API keys and provisioning outcomes of orgs that have no
 * document: a request that was under way while its org was deleted (it read the org before the
 * deletion began, and wrote after the deletion removed the org's references) leaves them
 * behind, and a deletion that stopped after removing the document leaves its outcome. The references
 * are read before the org ids, and an org's document is written before anything refers to
 * it, so a referenced org missing from the later read is gone. Returns how many orgs.
 */
async function sweepDanglingReferences(deps: Deps): Promise<number> {
  const master = deps.db.master;
  const referenced = new Set([
    ...await orgIdsOfMemberships(master),
    ...await orgIdsOfSessions(master),
    ...await orgIdsOfInvitations(master),
    ...await orgIdsOfApiKeys(master),
    ...await orgIdsOfOutcomes(master),
  ]);
  const ids = await allOrgIds(master);
  let swept = 0;
  for (const orgId of referenced) {
    if (ids.has(orgId)) continue;
    await removeOrgMemberships(master, orgId);
    await deleteOrgSessions(master, orgId);
    await deleteOrgInvitations(master, orgId);
    await deleteOrgApiKeys(master, orgId);
    await forgetOutcome(master, orgId);
    swept++;
    deps.log.info("removed the references of an org that is gone", { orgId });
  }
  return swept;
}

/**
 * Drop again the databases of recently deleted orgs that a write in flight created after the
 * drop (src/tenants/tombstones.ts). Their name carries the deleted org's id, so they are no
 * other org's, and an org's id is never used again.
 */
async function dropRecreatedDatabases(deps: Deps, now: Date): Promise<number> {
  let dropped = 0;
  for (const t of await liveTombstones(deps.db.master, now)) {
    const tenant = deps.db.tenantDb(t);
    const names = await tenant.listCollections({}, { nameOnly: true }).toArray();
    if (!names.length) continue;
    await tenant.dropDatabase();
    dropped++;
    deps.log.warn("dropped a database written after its org was deleted", { orgId: t.orgId });
  }
  return dropped;
}
