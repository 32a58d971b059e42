/**
 * The sender loop inside every service process: claims due outbox items of the kinds it knows,
 * hands each to its kind's `send`, and records the outcome — sent, due again after the kind's
 * schedule, or failed. Each kind has its own lane: up to its `concurrency` sends at a time,
 * claimed in batches of as many as the lane has room for (src/outbox/outbox.ts,
 * `claimDueBatch`; once a quarter of its room is free while sends are under way), so one slow
 * kind never holds up another and a backlog costs one claim per batch, not per item. A lane looks for due items when this process queued one of its kind
 * (at once), every `pollMs` (items queued by other instances, retries coming due), and as its
 * sends finish while its last claim came back full; a claim that finds fewer than asked stops
 * it until then. Nothing is claimed that is not sent at once: a killed process holds at most
 * `concurrency` claims per kind. Stopping waits for the sends under way (each bounded by its
 * kind's timeout) so that their outcome is recorded; a process killed instead leaves its claims
 * to expire, and another sender (or this one restarted) takes them over.
 */
import { sleep } from "../platform/async.ts";
import type { Deps } from "../platform/deps.ts";
import { describeError } from "../platform/log.ts";
import {
  claimDueBatch,
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
  /** Items of this kind sent at the same time by one process (default: the sender's). */
  concurrency?: number;
  /** Send `item` once; an exception counts as a temporary failure. */
  send(item: OutboxItem): Promise<Outcome>;
}

export interface SenderOptions {
  /** How long a claim lasts; longer than the longest send (default 120 s). */
  leaseMs: number;
  /** Pause between two looks for due items when there are none (default 1 s). */
  pollMs: number;
  /** Items of a kind sent at the same time by this process, unless the kind says (default 4). */
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

interface Lane {
  name: string;
  kind: OutboxKind;
  limit: number;
  inFlight: number;
  /** Look for due items: woken, polled, or the last claim came back full. */
  wanted: boolean;
}

/**
 * The lanes of `kinds` and their sends under way. `step` claims for every lane that is wanted
 * and has room; `changed` resolves when a send finishes or `poke` is called.
 */
function createPump(
  deps: Deps,
  kinds: Record<string, OutboxKind>,
  opts: SenderOptions,
  onError: (e: unknown) => void,
) {
  const lanes: Lane[] = Object.entries(kinds).map(([name, kind]) => ({
    name,
    kind,
    limit: Math.max(1, kind.concurrency ?? opts.concurrency),
    inFlight: 0,
    wanted: true,
  }));
  const running = new Set<Promise<void>>();
  let notify = () => {};
  let claimed = 0;
  /**
   * A lane with sends under way claims once a quarter of its room is free: a batch per few
   * items, not a claim per finished send. An idle lane claims at once.
   */
  const ready = (l: Lane) =>
    l.wanted && (l.inFlight === 0 || l.limit - l.inFlight >= Math.ceil(l.limit / 4));
  const start = (lane: Lane, item: OutboxItem) => {
    lane.inFlight++;
    const p: Promise<void> = sendClaimed(deps, lane.kind, item, opts.leaseMs)
      .then(() => {}, onError)
      .finally(() => {
        lane.inFlight--;
        running.delete(p);
        notify();
      });
    running.add(p);
  };
  return {
    get claimed() {
      return claimed;
    },
    running,
    /** True when some lane should claim now. */
    ready: () => lanes.some(ready),
    /** Mark the lanes of `kind` (all without one) as wanting a look, and end a `changed` wait. */
    poke(kind?: string) {
      for (const l of lanes) if (kind === undefined || l.name === kind) l.wanted = true;
      notify();
    },
    async step(signal?: AbortSignal): Promise<void> {
      for (const lane of lanes) {
        if (signal?.aborted || !ready(lane)) continue;
        const room = lane.limit - lane.inFlight;
        lane.wanted = false;
        const items = await claimDueBatch(deps.db.master, {
          kinds: [lane.name],
          holder: deps.instanceId,
          leaseMs: opts.leaseMs,
          now: deps.now(),
          limit: room,
        });
        // A full batch: more may be due, claimed as soon as there is room.
        if (items.length === room) lane.wanted = true;
        claimed += items.length;
        for (const item of items) start(lane, item);
      }
    },
    /** Resolves at the next finished send or `poke`; set up before anything else can happen. */
    changed: () =>
      new Promise<void>((resolve) => {
        notify = () => {
          notify = () => {};
          resolve();
        };
      }),
  };
}

/**
 * Claim and send every item due now, each kind `concurrency` at a time, until none is due;
 * returns how many were claimed. (The loop below, until idle; tests call it to step
 * deterministically.)
 */
export async function sendDue(
  deps: Deps,
  kinds: Record<string, OutboxKind>,
  options: Partial<SenderOptions> & { signal?: AbortSignal } = {},
): Promise<number> {
  const opts = { ...DEFAULT_SENDER_OPTIONS, ...options };
  const errors: unknown[] = [];
  const pump = createPump(deps, kinds, opts, (e) => errors.push(e));
  try {
    while (!opts.signal?.aborted) {
      if (pump.ready()) {
        await pump.step(opts.signal);
        continue;
      }
      if (!pump.running.size) break;
      await pump.changed();
    }
  } finally {
    await Promise.allSettled([...pump.running]);
  }
  if (errors.length) throw errors[0];
  return pump.claimed;
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
  const pump = createPump(deps, kinds, opts, (e) => {
    deps.log.warn("outbox: sending failed; will retry", describeError(e));
  });
  const unsubscribe = onQueued((kind) => pump.poke(kind));
  const poll = setInterval(() => pump.poke(), opts.pollMs);
  const loop = (async () => {
    while (!stop.signal.aborted) {
      if (pump.ready()) {
        try {
          await pump.step(stop.signal);
        } catch (e) {
          // The lane stays unwanted until the next poll: the database gets a pause.
          deps.log.warn("outbox: claiming failed; will retry", describeError(e));
        }
        continue;
      }
      await pump.changed();
    }
    await Promise.allSettled([...pump.running]);
  })();
  return async () => {
    stop.abort();
    unsubscribe();
    clearInterval(poll);
    pump.poke();
    await loop;
  };
}
