/**
 * Periodic maintenance under one lease: the org reconciler, the sweeper of expired documents
 * (the stand-in for TTL indexes on servers without them, docs/architecture.md), and pending tenant
 * migrations of orgs made before them.
 */
import type { Deps } from "../platform/deps.ts";
import { deleteExpiredEvents } from "../audit/audit.ts";
import { deleteExpiredAccountTokens } from "../identity/account-tokens.ts";
import { deleteExpiredInvitations } from "../identity/invitations.ts";
import { deleteExpiredSessions } from "../identity/sessions.ts";
import { deleteExpiredThrottles } from "../identity/throttle.ts";
import { repeat } from "../platform/async.ts";
import { acquireLease } from "../platform/leases.ts";
import { deleteFinishedBefore } from "../outbox/outbox.ts";
import { describeError } from "../platform/log.ts";
import { upgradeTenant } from "../tenants/provisioning.ts";
import { activeOrgsAfter } from "../tenants/orgs.ts";
import { deleteExpiredTombstones } from "../tenants/tombstones.ts";
import { reconcileOrgUsage } from "../tenants/usage.ts";
import { type OrphanCandidates, reconcileOrgs } from "./reconciler.ts";

const LEASE = "maintenance";

/** Outbox items sent or failed longer ago than this are deleted (their secrets went at once). */
export const OUTBOX_RETENTION_DAYS = 30;

/**
 * Tenant audit logs swept per pass. Sweeping every org's log on every pass grew with the number
 * of orgs (5,000 tenant databases kept FerretDB busy for most of each minute); a pass now
 * sweeps the next batch in id order, so all are swept every ceil(orgs / batch) passes. Expired
 * events are never listed meanwhile (src/audit/audit.ts filters on `expiresAt`), and MongoDB's
 * TTL index expires them on its own.
 */
export const AUDIT_SWEEP_BATCH = 200;

/**
 * Passes between two searches for tenant databases that no org owns (the first pass searches;
 * a database is dropped once two searches at least `ORPHAN_CONFIRM_MS` apart agree), and for
 * references to orgs that are gone. Such databases are rare (a crash while a provisioning was
 * being rolled back, a request under way while its org was deleted), and listing every
 * database is not free at tens of thousands of them (the embedded FerretDB sized each one even
 * with `nameOnly`, ~3 s of its CPU at 5,000, until tools/ferretdb/patches/0006).
 */
export const ORPHAN_SEARCH_EVERY = 10;

/** What one pass leaves to the next. */
export interface MaintenanceState {
  /** The last org whose audit log was swept. */
  auditSweptUpTo?: string;
  /** Passes run so far. */
  passes?: number;
  /** Orphan databases found by earlier searches, awaiting confirmation. */
  orphanCandidates?: OrphanCandidates;
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
  const report = await reconcileOrgs(deps, {
    orphans: passes % ORPHAN_SEARCH_EVERY === 0,
    candidates: state.orphanCandidates ??= new Map(),
  });
  const now = deps.now();
  const master = deps.db.master;
  const swept = {
    sessions: await deleteExpiredSessions(master, now),
    invitations: await deleteExpiredInvitations(master, now),
    accountTokens: await deleteExpiredAccountTokens(master, now),
    throttles: await deleteExpiredThrottles(master, now),
    tombstones: await deleteExpiredTombstones(master, now),
    outbox: await deleteFinishedBefore(
      master,
      new Date(now.getTime() - OUTBOX_RETENTION_DAYS * 86_400_000),
    ),
    auditEvents: 0,
  };
  const batch = await activeOrgsAfter(master, state.auditSweptUpTo, auditBatch);
  for (const org of batch) {
    // Databases made before the latest tenant migrations get them here, a batch per pass.
    await upgradeTenant(deps, org).catch((e) =>
      deps.log.warn("tenant migration failed; will retry", { orgId: org.id, ...describeError(e) })
    );
    swept.auditEvents += await deleteExpiredEvents(deps.db.tenantDb(org), now);
    // The same batch recounts the quota counters of the document API (src/tenants/usage.ts).
    await reconcileOrgUsage(deps, org).catch((e) =>
      deps.log.warn("usage recount failed", { orgId: org.id, ...describeError(e) })
    );
  }
  state.auditSweptUpTo = batch.length < auditBatch ? undefined : batch[batch.length - 1].id;
  deps.log.debug("maintenance pass", { ...report, swept });
  return true;
}

/**
 * Run at once and then an interval after each pass ends, until the returned stop function is
 * called. Passes never overlap: on the embedded server a pass over large collections can outlast
 * the interval, and a timer per interval stacked passes that recounted the same collections side
 * by side.
 */
export function startMaintenance(deps: Deps): () => Promise<void> {
  const state: MaintenanceState = {};
  return repeat(
    deps.config.reconcileIntervalSeconds * 1000,
    () => runMaintenance(deps, state),
    (e) => deps.log.warn("maintenance pass failed; will retry", describeError(e)),
  );
}
