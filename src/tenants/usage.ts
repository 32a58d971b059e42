/**
 * Quota counters of an org's database: how many collections and documents it holds, kept in
 * its `_usage` collection (only this module uses it) so a write never counts collections.
 *
 * Each instance adds its writes to an in-process delta and folds it into the stored counter at
 * most once a second per org (one `$inc` that also reads the total back), so a write costs no
 * extra round trip and one hot counter document never serializes an org's writes. The check is
 * exact within one instance; several instances may together pass a quota by what they wrote
 * within that second. The maintenance pass recounts (`reconcileUsage`), which also repairs
 * what a crash between a write and its fold lost.
 */
import type { Db } from "mongodb";
import { TENANT_COLLECTIONS } from "./service-collections.ts";
import type { DataQuotas } from "../platform/config.ts";
import type { Deps } from "../platform/deps.ts";
import type { Org } from "./orgs.ts";
import { isServiceCollection } from "./service-collections.ts";
import { quotaExceeded } from "../platform/errors.ts";

export interface Usage {
  collections: number;
  documents: number;
}

interface UsageDoc extends Usage {
  _id: "usage";
  reconciledAt?: Date;
}

const SYNC_MS = 1000;

interface Counter {
  /** The stored total when last read. */
  stored: Usage;
  /** Being folded into the stored total right now. */
  inflight: Usage;
  /** Not yet folded. */
  pending: Usage;
  syncedAt: number;
  syncing?: Promise<void>;
}

const usageOf = (db: Db) => db.collection<UsageDoc>(TENANT_COLLECTIONS.usage);
const zero = (): Usage => ({ collections: 0, documents: 0 });
const add = (a: Usage, b: Partial<Usage>, sign = 1): Usage => ({
  collections: a.collections + sign * (b.collections ?? 0),
  documents: a.documents + sign * (b.documents ?? 0),
});

/** Per app instance (per `Deps`), never module-global: two instances in one test stay apart. */
const counters = new WeakMap<Deps, Map<string, Counter>>();

/** The org's quotas: its own where an operator set them, the configured defaults elsewhere. */
export function quotasOf(deps: Deps, org: Org): DataQuotas {
  const own = org.quotas ?? {};
  const d = deps.config.dataQuotas;
  return {
    collections: own.collections ?? d.collections,
    documents: own.documents ?? d.documents,
    documentBytes: own.documentBytes ?? d.documentBytes,
  };
}

async function sync(deps: Deps, org: Org, c: Counter): Promise<void> {
  c.inflight = c.pending;
  c.pending = zero();
  try {
    const doc = await usageOf(deps.db.tenantDb(org)).findOneAndUpdate(
      { _id: "usage" },
      { $inc: { collections: c.inflight.collections, documents: c.inflight.documents } },
      { upsert: true, returnDocument: "after" },
    );
    c.stored = { collections: doc?.collections ?? 0, documents: doc?.documents ?? 0 };
    c.syncedAt = Date.now();
  } catch (e) {
    c.pending = add(c.pending, c.inflight);
    throw e;
  } finally {
    c.inflight = zero();
    c.syncing = undefined;
  }
}

async function counter(deps: Deps, org: Org): Promise<Counter> {
  let byOrg = counters.get(deps);
  if (!byOrg) counters.set(deps, byOrg = new Map());
  let c = byOrg.get(org.id);
  if (!c) {
    c = { stored: zero(), inflight: zero(), pending: zero(), syncedAt: 0 };
    byOrg.set(org.id, c);
  }
  if (Date.now() - c.syncedAt > SYNC_MS) {
    c.syncing ??= sync(deps, org, c);
    await c.syncing;
  }
  return c;
}

/**
 * Count `delta` (negative for removals). With `check`, an increase past a quota is 403
 * `quota_exceeded` and counts nothing.
 */
export async function adjustUsage(
  deps: Deps,
  org: Org,
  delta: Partial<Usage>,
  opts: { check?: boolean } = {},
): Promise<void> {
  const c = await counter(deps, org);
  if (opts.check) {
    const q = quotasOf(deps, org);
    const total = add(add(c.stored, c.inflight), c.pending);
    if ((delta.collections ?? 0) > 0 && total.collections + delta.collections! > q.collections) {
      throw quotaExceeded("collections", q.collections);
    }
    if ((delta.documents ?? 0) > 0 && total.documents + delta.documents! > q.documents) {
      throw quotaExceeded("documents", q.documents);
    }
  }
  c.pending = add(c.pending, delta);
}

/** Give back what `adjustUsage` counted for a write that did not happen. */
export function releaseUsage(deps: Deps, org: Org, delta: Partial<Usage>): void {
  const c = counters.get(deps)?.get(org.id);
  if (c) c.pending = add(c.pending, delta, -1);
}

/**
 * Recount an org's collections and documents and store the totals (the maintenance pass).
 * `names` are the org's own collections. This instance's unfolded delta is dropped: the
 * recount includes what it counted.
 */
export async function reconcileUsage(
  deps: Deps,
  org: Org,
  names: string[],
): Promise<Usage> {
  const db = deps.db.tenantDb(org);
  counters.get(deps)?.delete(org.id);
  const counts = await Promise.all(names.map((n) => db.collection(n).estimatedDocumentCount()));
  const usage = { collections: names.length, documents: counts.reduce((a, b) => a + b, 0) };
  // An org that never used its database gets no counter document: one write, no new data.
  await usageOf(db).updateOne(
    names.length ? { _id: "usage" } : {
      _id: "usage",
      $or: [{ collections: { $ne: 0 } }, {
        documents: { $ne: 0 },
      }],
    },
    { $set: { ...usage, reconciledAt: deps.now() } },
    { upsert: names.length > 0 },
  );
  return usage;
}

/**
 * Recount an org's own collections and documents (the maintenance pass): every collection of
 * its database but the service's own and the server's `system.*` ones.
 */
export async function reconcileOrgUsage(deps: Deps, org: Org): Promise<Usage> {
  const all = await deps.db.tenantDb(org)
    .listCollections({}, { nameOnly: true, authorizedCollections: true })
    .toArray();
  const names = all.map((c) => c.name)
    .filter((n) => !isServiceCollection(n) && !n.startsWith("system."))
    .sort();
  return await reconcileUsage(deps, org, names);
}
