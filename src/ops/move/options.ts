/** What a move can be tuned by, with its defaults. */
import type { Deps } from "../../platform/deps.ts";
import { STAMP_FIELD, TENANT_COLLECTIONS } from "../../tenants/service-collections.ts";

export interface MoveOptions {
  /** The hidden field the document API stamps on every write with a fresh ObjectId. */
  stampField: string;
  /**
   * Collections whose documents change without a stamp (the service's own counters and
   * marker): compared whole in every round. Others are compared by `_id` and stamp; an
   * unstamped document there (the audit log's) is written once and never changed.
   */
  wholeCollections: string[];
  batchSize: number;
  /** Collections copied at the same time. */
  copyConcurrency: number;
  /** Catch-up rounds before maintenance at most. */
  catchUpRounds: number;
  /** A round with fewer changes than this is the last before maintenance. */
  catchUpBelow: number;
  /** Time for writes that passed the check just before the maintenance began to land. */
  graceMs: number;
  /**
   * How long before every instance sees a change to the org (their caches' TTL): the move waits
   * this long after marking the org before the copy, and after the switch before the drop.
   */
  propagationMs: number;
  /** Stamps are ObjectIds made by several processes: allow this much clock difference (s). */
  clockSkewS: number;
}

export const DEFAULT_STAMP_FIELD = STAMP_FIELD;

export function moveOptions(deps: Deps, opts: Partial<MoveOptions> = {}): MoveOptions {
  return {
    stampField: DEFAULT_STAMP_FIELD,
    wholeCollections: [TENANT_COLLECTIONS.meta, TENANT_COLLECTIONS.usage],
    batchSize: 1000,
    copyConcurrency: 3,
    catchUpRounds: 3,
    catchUpBelow: 200,
    graceMs: 100,
    propagationMs: deps.config.authCacheTtlMs,
    clockSkewS: 2,
    ...opts,
  };
}
