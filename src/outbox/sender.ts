/**
 * The sender loop inside every service process: claims due outbox items of the kinds it knows
 * (a few at a time), hands each to its kind's `send`, and records the outcome — sent, due again
 * after the kind's schedule, or failed. Stopping waits for the sends under way (each bounded by
 * its kind's timeout) so that their outcome is recorded; a process killed instead leaves its
 * claims to expire, and another sender (or this one restarted) takes them over.
 */
import { pause, sleep } from "../platform/async.ts";
import type { Deps } from "../platform/deps.ts";
import { describeError } from "../platform/log.ts";
import {
  claimDue,
  onQueued,
  type OutboxItem,
  recordFailed,
  recordRetry,
  recordSent,
} from "./outbox.ts";
import { nextDelay, type Schedule } from "./schedule.ts";

/** What one attempt came to. */
export type Outcome =
  | { ok: true; response: string; lastStatus?: number }
  /** `temporary`: retried on the kind's schedule; otherwise recorded as failed at once. */
  | { ok: false; temporary: boolean; error: string; lastStatus?: number };

/** A kind of outbox item: how to send one, and when to try again. */
export interface OutboxKind {
  schedule: Schedule;
  /** Send `item` once; an exception counts as a temporary failure. */
  send(item: OutboxItem): Promise<Outcome>;
}

export interface SenderOptions {
  /** How long a claim lasts; longer than the longest send (default 120 s). */
  leaseMs: number;
  /** Pause between two looks for due items when there are none (default 1 s). */
  pollMs: number;
  /** Items sent at the same time by this process (default 4). */
  concurrency: number;
}

export const DEFAULT_SENDER_OPTIONS: SenderOptions = {
  leaseMs: 120_000,
  pollMs: 1000,
  concurrency: 4,
};

export type Recorded = "sent" | "retry" | "failed" | "lost";

/**
 * Send one claimed item and record the outcome. "lost": the claim was no longer ours when the
 * outcome was written (the lease ran out and another sender took it over).
 */
export async function sendClaimed(
  deps: Deps,
  kind: OutboxKind,
  item: OutboxItem,
  leaseMs = DEFAULT_SENDER_OPTIONS.leaseMs,
): Promise<Recorded> {
  const master = deps.db.master;
  let outcome: Outcome;
  try {
    outcome = await kind.send(item);
  } catch (e) {
    outcome = { ok: false, temporary: true, error: String(describeError(e).message ?? e) };
  }
  const fields = { outboxId: item.id, kind: item.kind, attempt: item.attempts };
  const record = async (write: () => Promise<boolean>, as: Recorded): Promise<Recorded> => {
    // The outcome matters most once the other side accepted: a write that fails (the database
    // briefly away) is retried while the lease lasts, since a lost record means sending again.
    const deadline = Date.now() + leaseMs / 2;
    for (let wait = 100;; wait = Math.min(wait * 2, 2000)) {
      try {
        return await write() ? as : "lost";
      } catch (e) {
        if (Date.now() + wait > deadline) throw e;
        deps.log.warn("outbox: recording an outcome failed; retrying", {
          ...fields,
          ...describeError(e),
        });
        await sleep(wait);
      }
    }
  };
  let recorded: Recorded;
  if (outcome.ok) {
    recorded = await record(
      () => recordSent(master, item, outcome.response, deps.now(), outcome.lastStatus),
      "sent",
    );
  } else {
    const delay = outcome.temporary ? nextDelay(kind.schedule, item.attempts) : null;
    if (delay === null) {
      const error = outcome.temporary
        ? `Gave up after ${item.attempts} attempts: ${outcome.error}`
        : outcome.error;
      recorded = await record(
        () => recordFailed(master, item, error, deps.now(), outcome.lastStatus),
        "failed",
      );
      if (recorded === "failed") deps.log.warn("outbox: failed", { ...fields, error });
    } else {
      const now = deps.now();
      const due = new Date(now.getTime() + delay);
      recorded = await record(
        () => recordRetry(master, item, outcome.error, due, now, outcome.lastStatus),
        "retry",
      );
      if (recorded === "retry") {
        deps.log.info("outbox: will retry", { ...fields, error: outcome.error, inMs: delay });
      }
    }
  }
  if (recorded === "lost") {
    deps.log.warn("outbox: the claim ran out before its outcome was recorded", fields);
  }
  return recorded;
}

/**
 * Claim and send every item due now, `concurrency` at a time, until none is due; returns how
 * many were claimed. (The loop below, once; tests call it to step deterministically.)
 */
export async function sendDue(
  deps: Deps,
  kinds: Record<string, OutboxKind>,
  options: Partial<SenderOptions> & { signal?: AbortSignal } = {},
): Promise<number> {
  const opts = { ...DEFAULT_SENDER_OPTIONS, ...options };
  let claimed = 0;
  const worker = async () => {
    while (!opts.signal?.aborted) {
      const item = await claimDue(deps.db.master, {
        kinds: Object.keys(kinds),
        holder: deps.instanceId,
        leaseMs: opts.leaseMs,
        now: deps.now(),
      });
      if (!item) return;
      claimed++;
      await sendClaimed(deps, kinds[item.kind], item, opts.leaseMs);
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, worker));
  return claimed;
}

/**
 * Run the sender loop until the returned function is called; that function stops claiming,
 * waits for the sends under way to be recorded, and resolves.
 */
export function startOutboxSender(
  deps: Deps,
  kinds: Record<string, OutboxKind>,
  options: Partial<SenderOptions> = {},
): () => Promise<void> {
  const opts = { ...DEFAULT_SENDER_OPTIONS, ...options };
  const stop = new AbortController();
  let wake: () => void = () => {};
  let queued = false;
  const unsubscribe = onQueued(() => {
    queued = true;
    wake();
  });
  // Until the next poll, a stop, or a message queued meanwhile (which wakes it at once).
  const idle = async () => {
    if (queued) return;
    const woken = new AbortController();
    wake = () => woken.abort();
    await pause(opts.pollMs, AbortSignal.any([stop.signal, woken.signal]));
    wake = () => {};
  };
  const loop = (async () => {
    while (!stop.signal.aborted) {
      queued = false;
      try {
        await sendDue(deps, kinds, { ...opts, signal: stop.signal });
      } catch (e) {
        deps.log.warn("outbox: sending failed; will retry", describeError(e));
      }
      if (!stop.signal.aborted) await idle();
    }
  })();
  return async () => {
    stop.abort();
    unsubscribe();
    await loop;
  };
}
