/**
 * A move job's parameters and saved state, and what its phases share while it runs: the job,
 * one save at a time, the step hooks, and (from the mark to the switch) both databases with what
 * is known of each.
 */
import type { Db, Document, ObjectId } from "mongodb";
import type { Deps, MoveStep } from "../../platform/deps.ts";
import type { Org } from "../../tenants/orgs.ts";
import { checkpoint, type JobContext } from "../job-runner.ts";
import type { Job } from "../jobs.ts";
import type { Snapshot } from "./digests.ts";
import type { MoveOptions } from "./options.ts";

export const MOVE_JOB = "move";

export interface MoveParams extends Document {
  orgId: string;
  slug: string;
  from: string;
  to: string;
}

export interface CollectionState {
  name: string;
  /** The last `_id` copied (absent: none yet). */
  lastId?: unknown;
  copied: number;
  done: boolean;
}

export interface MoveState extends Document {
  phase?: "copy" | "catch-up" | "maintenance" | "switched" | "done";
  /** Documents stamped at or after this were written after the round that set it began. */
  since?: ObjectId;
  collections?: CollectionState[];
  total?: number;
  maintenanceSince?: Date;
  switchedAt?: Date;
  /** How long writes were refused (ms), from entering maintenance to the switch. */
  writeUnavailableMs?: number;
  /** Milliseconds spent per phase (the last attempt's, for the operator and the benchmark). */
  timings?: Record<string, number>;
  /** `org.moved` is in the org's audit log (at the target). */
  recorded?: boolean;
}

/** A move job as it runs. */
export interface MoveRun {
  deps: Deps;
  job: Job<MoveParams, MoveState>;
  signal: AbortSignal;
  opts: MoveOptions;
  /** The job's state, changed in place by the phases and written by `save`. */
  state: MoveState;
  /** Save the state, with the progress when given the documents done; one save at a time. */
  save(done?: number): Promise<void>;
  /** The test hook of a step; throws if the job was lost meanwhile. */
  step(s: MoveStep): Promise<void>;
}

/** From the mark to the switch: the org as marked, both databases and what each holds. */
export interface Moving extends MoveRun {
  org: Org;
  source: Db;
  target: Db;
  /**
   * What the target holds after each round (only this job writes there before the switch), so
   * that the next round need not read it again; a resumed job reads it once.
   */
  known?: Snapshot;
  /**
   * What the source's collections of the org's own documents hold, from the copy on, kept up to
   * date by each round; a resumed job reads them once.
   */
  sourceKnown: Snapshot;
  /** Record the time since the last lap under `name` in the timings (none: restart the clock). */
  lap(name?: string): void;
}

export function openRun(ctx: JobContext<MoveParams, MoveState>, opts: MoveOptions): MoveRun {
  const { deps, job, signal } = ctx;
  const state: MoveState = { ...job.state };
  // One save at a time, so that collections copied side by side never write an older state
  // over a newer one.
  let saved: Promise<void> = Promise.resolve();
  const save = (done?: number) =>
    saved = saved.then(() =>
      ctx.save({
        state,
        ...(done !== undefined ? { progress: { done, total: state.total ?? 0 } } : {}),
      })
    );
  const step = (s: MoveStep) => checkpoint(signal, deps.hooks.afterMoveStep?.(s, job.id));
  return { deps, job, signal, opts, state, save, step };
}

/** The run of a job that marked `org`, between its source and target databases. */
export function openMoving(run: MoveRun, org: Org): Moving {
  const { deps, job, state } = run;
  const at = (cluster: string) => deps.db.tenantDb({ cluster, databaseName: org.databaseName });
  let t0 = performance.now();
  const lap = (name?: string) => {
    if (name) (state.timings ??= {})[name] = Math.round(performance.now() - t0);
    t0 = performance.now();
  };
  return {
    ...run,
    org,
    source: at(job.params.from),
    target: at(job.params.to),
    sourceKnown: new Map(),
    lap,
  };
}

/** Documents copied so far, over every collection. */
export const copiedSoFar = (s: MoveState) =>
  (s.collections ?? []).reduce((n, c) => n + c.copied, 0);
