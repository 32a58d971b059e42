/**
 * Periodic maintenance under one lease: the org reconciler and the sweeper of expired
 * documents (the stand-in for TTL indexes on servers without them, DESIGN.md).
 */
import type { Deps } from "./deps.ts";
import { deleteExpiredEvents } from "./audit/audit.ts";
import { reconcileOrgUsage } from "./data/collections.ts";
import { deleteExpiredInvitations } from "./identity/invitations.ts";
import { deleteExpiredSessions } from "./identity/sessions.ts";
import { deleteExpiredThrottles } from "./identity/throttle.ts";
import { acquireLease } from "./leases.ts";
import { describeError } from "./log.ts";
import { activeOrgsAfter } from "./tenants/orgs.ts";
import { reconcileOrgs } from "./tenants/reconciler.ts";

const LEASE = "maintenance";

/**
 * Tenant audit logs swept per pass. Sweeping every org's log on every pass grew with the number
 * of orgs (5,000 tenant databases kept FerretDB busy for most of each minute); a pass now
 * sweeps the next batch in id order, so all are swept every ceil(orgs / batch) passes. Expired
 * events are never listed meanwhile (src/audit/audit.ts filters on `expiresAt`), and MongoDB's
 * TTL index expires them on its own.
 */
export const AUDIT_SWEEP_BATCH = 200;

/**
 * Passes between two searches for tenant databases that no org owns (the first pass searches).
 * Such databases are rare (a crash while a provisioning was being rolled back), and listing the
 * databases is a pass's most expensive query on FerretDB, which computes every database's size
 * even with `nameOnly` (~3 s of its CPU at 5,000 databases).
 */
export const ORPHAN_SEARCH_EVERY = 10;

/** What one pass leaves to the next. */
export interface MaintenanceState {
  /** The last org whose audit log was swept. */
  auditSweptUpTo?: string;
  /** Passes run so far. */
  passes?: number;
}

/** One pass; returns false when another instance holds the lease. */
export async function runMaintenance(
  deps: Deps,
  state: MaintenanceState = {},
  auditBatch = AUDIT_SWEEP_BATCH,
): Promise<boolean> {
  const ttlMs = deps.config.reconcileIntervalSeconds * 2000;
  if (!await acquireLease(deps.db.master, LEASE, deps.instanceId, ttlMs, deps.now())) return false;
  const passes = state.passes ?? 0;
  state.passes = passes + 1;
  const report = await reconcileOrgs(deps, { orphans: passes % ORPHAN_SEARCH_EVERY === 0 });
  const now = deps.now();
  const master = deps.db.master;
  const swept = {
    sessions: await deleteExpiredSessions(master, now),
    invitations: await deleteExpiredInvitations(master, now),
    throttles: await deleteExpiredThrottles(master, now),
    auditEvents: 0,
  };
  const batch = await activeOrgsAfter(master, state.auditSweptUpTo, auditBatch);
  for (const org of batch) {
    swept.auditEvents += await deleteExpiredEvents(deps.db.tenantDb(org), now);
    // The same batch recounts the quota counters of the document API (src/data/usage.ts).
    await reconcileOrgUsage(deps, org).catch((e) =>
      deps.log.warn("usage recount failed", { orgId: org.id, ...describeError(e) })
    );
  }
  state.auditSweptUpTo = batch.length < auditBatch ? undefined : batch[batch.length - 1].id;
  deps.log.debug("maintenance pass", { ...report, swept });
  return true;
}

/** Run at once and then every interval until the returned stop function is called. */
export function startMaintenance(deps: Deps): () => Promise<void> {
  let running: Promise<unknown> = Promise.resolve();
  const state: MaintenanceState = {};
  const pass = () => {
    running = runMaintenance(deps, state).catch((e) =>
      deps.log.warn("maintenance pass failed; will retry", describeError(e))
    );
  };
  pass();
  const timer = setInterval(pass, deps.config.reconcileIntervalSeconds * 1000);
  return async () => {
    clearInterval(timer);
    await running;
  };
}
