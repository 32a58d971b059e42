/**
 * Periodic maintenance under one lease: the org reconciler and the sweeper of expired
 * documents (the stand-in for TTL indexes on servers without them, DESIGN.md).
 */
import type { Deps } from "./deps.ts";
import { deleteExpiredEvents } from "./audit/audit.ts";
import { deleteExpiredInvitations } from "./identity/invitations.ts";
import { deleteExpiredSessions } from "./identity/sessions.ts";
import { deleteExpiredThrottles } from "./identity/throttle.ts";
import { acquireLease } from "./leases.ts";
import { describeError } from "./log.ts";
import { activeOrgs } from "./tenants/orgs.ts";
import { reconcileOrgs } from "./tenants/reconciler.ts";

const LEASE = "maintenance";

/** One pass; returns false when another instance holds the lease. */
export async function runMaintenance(deps: Deps): Promise<boolean> {
  const ttlMs = deps.config.reconcileIntervalSeconds * 2000;
  if (!await acquireLease(deps.db.master, LEASE, deps.instanceId, ttlMs, deps.now())) return false;
  const report = await reconcileOrgs(deps);
  const now = deps.now();
  const master = deps.db.master;
  const swept = {
    sessions: await deleteExpiredSessions(master, now),
    invitations: await deleteExpiredInvitations(master, now),
    throttles: await deleteExpiredThrottles(master, now),
    auditEvents: 0,
  };
  for (const org of await activeOrgs(master)) {
    swept.auditEvents += await deleteExpiredEvents(deps.db.tenantDb(org), now);
  }
  deps.log.debug("maintenance pass", { ...report, swept });
  return true;
}

/** Run at once and then every interval until the returned stop function is called. */
export function startMaintenance(deps: Deps): () => Promise<void> {
  let running: Promise<unknown> = Promise.resolve();
  const pass = () => {
    running = runMaintenance(deps).catch((e) =>
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
