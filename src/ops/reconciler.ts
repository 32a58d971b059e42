/**
 * The reconciler: rolls back provisioning that stopped (a crash, a lost database), finishes
 * deletions, and drops tenant databases that no org owns. Every action is idempotent, and a
 * lease keeps it to one instance at a time.
 */
import type { Deps } from "../platform/deps.ts";
import { finishDeletion, rollbackProvisioning } from "../tenants/lifecycle.ts";
import { allOrgIds, findStuckOrgs } from "../tenants/orgs.ts";

export interface ReconcileReport {
  rolledBack: number;
  /** Provisionings whose creator had decided `active` and stopped just before marking it. */
  activated: number;
  deleted: number;
  orphansDropped: number;
}

/** `orphans: false` skips the search for tenant databases that no org owns (see maintenance.ts). */
export async function reconcileOrgs(
  deps: Deps,
  opts: { orphans: boolean } = { orphans: true },
): Promise<ReconcileReport> {
  const { db, log } = deps;
  const now = deps.now();
  const report: ReconcileReport = {
    rolledBack: 0,
    activated: 0,
    deleted: 0,
    orphansDropped: 0,
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

  if (!opts.orphans) return report;
  // List the databases before reading the org ids: an org document is always written before
  // its database, so any database listed here whose id is missing has no org.
  const prefix = deps.config.tenantDbPrefix;
  const pattern = new RegExp(`^${prefix.replace(/[-]/g, "\\-")}([0-9a-f]{24})$`);
  for (const [cluster, client] of Object.entries(db.clients)) {
    const { databases } = await client.db("admin").admin().listDatabases({ nameOnly: true });
    const ids = await allOrgIds(db.master);
    for (const { name } of databases) {
      const m = pattern.exec(name);
      if (!m || ids.has(m[1])) continue;
      await client.db(name).dropDatabase();
      report.orphansDropped++;
      log.info("dropped a tenant database that no org owns", { cluster, database: name });
    }
  }
  return report;
}
