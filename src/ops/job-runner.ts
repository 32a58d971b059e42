/**
 * The job runner inside every service process: claims jobs of the kinds it knows, one at a
 * time, keeps their lease alive while a handler works, and records the outcome. A handler saves
 * its state as it goes, so a job whose holder died resumes on another instance from there.
 */
import type { Document } from "mongodb";
import { pause } from "../platform/async.ts";
import type { Deps } from "../platform/deps.ts";
import { describeError } from "../platform/log.ts";
import { claimJob, finishJob, type Job, type JobProgress, releaseJob, touchJob } from "./jobs.ts";

export interface JobContext<P extends Document = Document, S extends Document = Document> {
  deps: Deps;
  job: Job<P, S>;
  /** Aborted when the runner stops or the lease is lost: stop working then. */
  signal: AbortSignal;
  /** Record progress and state (a heartbeat too). Throws when the job is no longer ours. */
  save(update: { progress?: JobProgress; state?: S }): Promise<void>;
}

// deno-lint-ignore no-explicit-any
export type JobHandler = (ctx: JobContext<any, any>) => Promise<void>;

export interface RunnerOptions {
  /** How long a claim lasts without a heartbeat (default 30 s). */
  leaseMs: number;
  /** Pause between two looks for work when there is none (default 2 s). */
  pollMs: number;
  /** Claims after which a job that keeps losing its holder fails (default 5). */
  maxAttempts: number;
}

export const DEFAULT_RUNNER_OPTIONS: RunnerOptions = {
  leaseMs: 30_000,
  pollMs: 2000,
  maxAttempts: 5,
};

/** The job went to another holder, or the runner stopped. */
export class JobLost extends Error {
  override name = "JobLost";
}

export type RunOutcome = "succeeded" | "failed" | "abandoned";

/**
 * Run one claimed job to its end. `signal` aborts it as a crash would: nothing more is written,
 * and the lease runs out for another instance to resume the job.
 */
export async function runClaimedJob(
  deps: Deps,
  job: Job,
  handler: JobHandler,
  opts: Partial<RunnerOptions> & { signal?: AbortSignal } = {},
): Promise<RunOutcome> {
  const { leaseMs, maxAttempts } = { ...DEFAULT_RUNNER_OPTIONS, ...opts };
  const master = deps.db.master;
  const holder = deps.instanceId;
  const log = deps.log.enabled("info") ? deps.log : undefined;
  if (job.attempts > maxAttempts) {
    const error = `Gave up after ${maxAttempts} attempts that did not finish`;
    await finishJob(master, job.id, holder, { status: "failed", error }, deps.now());
    deps.log.warn("job failed", { jobId: job.id, kind: job.kind, error });
    return "failed";
  }
  const lost = new AbortController();
  const signal = opts.signal ? AbortSignal.any([opts.signal, lost.signal]) : lost.signal;
  let last: { progress?: JobProgress; state?: Document } = {};
  const touch = async (update: { progress?: JobProgress; state?: Document }) => {
    if (signal.aborted) throw new JobLost("The job was stopped");
    const ok = await touchJob(master, job.id, holder, { leaseMs, now: deps.now(), ...update });
    if (!ok) {
      lost.abort(new JobLost("Another instance holds the job now"));
      throw new JobLost("Another instance holds the job now");
    }
  };
  const beat = setInterval(() => {
    touch(last).catch((e) => {
      if (!(e instanceof JobLost)) deps.log.warn("job heartbeat failed", describeError(e));
    });
  }, Math.max(50, Math.floor(leaseMs / 3)));
  log?.info("job started", { jobId: job.id, kind: job.kind, attempt: job.attempts });
  try {
    await handler({
      deps,
      job,
      signal,
      async save(update) {
        last = { ...last, ...update };
        await touch(update);
      },
    });
    if (signal.aborted) return "abandoned";
    await finishJob(master, job.id, holder, { status: "succeeded" }, deps.now());
    log?.info("job succeeded", { jobId: job.id, kind: job.kind });
    return "succeeded";
  } catch (e) {
    if (signal.aborted || e instanceof JobLost) {
      log?.info("job left for another instance", { jobId: job.id, kind: job.kind });
      return "abandoned";
    }
    const error = e instanceof Error ? e.message : String(e);
    await finishJob(master, job.id, holder, { status: "failed", error }, deps.now());
    deps.log.warn("job failed", { jobId: job.id, kind: job.kind, ...describeError(e) });
    return "failed";
  } finally {
    clearInterval(beat);
  }
}

/**
 * Claim and run jobs of the kinds in `handlers` until stopped. The returned function stops the
 * loop: it aborts the running job and hands it back (another instance resumes it at once), and
 * resolves when the loop has ended.
 */
export function startJobRunner(
  deps: Deps,
  handlers: Record<string, JobHandler>,
  options: Partial<RunnerOptions> = {},
): () => Promise<void> {
  const opts = { ...DEFAULT_RUNNER_OPTIONS, ...options };
  const stop = new AbortController();
  const kinds = Object.keys(handlers);
  const loop = (async () => {
    while (!stop.signal.aborted) {
      try {
        const job = await claimJob(deps.db.master, {
          holder: deps.instanceId,
          leaseMs: opts.leaseMs,
          now: deps.now(),
          kinds,
        });
        if (job) {
          const outcome = await runClaimedJob(deps, job, handlers[job.kind], {
            ...opts,
            signal: stop.signal,
          });
          if (outcome === "abandoned" && stop.signal.aborted) {
            await releaseJob(deps.db.master, job.id, deps.instanceId, deps.now());
          }
          continue;
        }
      } catch (e) {
        deps.log.warn("job runner: claiming failed; will retry", describeError(e));
      }
      await pause(opts.pollMs, stop.signal);
    }
  })();
  return async () => {
    stop.abort(new JobLost("The runner stopped"));
    await loop;
  };
}

/** Wait for `hook` unless `signal` aborts first; then throw if it did (a crash stops here). */
export async function checkpoint(
  signal: AbortSignal,
  hook?: Promise<void> | void,
): Promise<void> {
  signal.throwIfAborted();
  if (!hook) return;
  const { promise, resolve } = Promise.withResolvers<void>();
  const onAbort = () => resolve();
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    await Promise.race([hook, promise]);
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
  signal.throwIfAborted();
}
