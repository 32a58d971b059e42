/**
 * Retry schedules, as data per kind: `delaysMs[n]` is the wait after the (n+1)-th attempt that
 * failed for a reason that may pass; once they are spent, the item is recorded as failed.
 */
export interface Schedule {
  delaysMs: readonly number[];
}

const s = 1000;
const min = 60 * s;
const h = 60 * min;

/** Mail: seconds, then minutes, then hours; the last try about 23 h 40 min after the first. */
export const MAIL_SCHEDULE: Schedule = {
  delaysMs: [5 * s, 30 * s, 2 * min, 10 * min, 30 * min, 1 * h, 2 * h, 4 * h, 8 * h, 8 * h],
};

/**
 * Webhook deliveries (docs/architecture.md, "Mail: one durable outbox"): 5 s, 5 min, 30 min,
 * 2 h, 5 h, 10 h and 10 h.
 */
export const WEBHOOK_SCHEDULE: Schedule = {
  delaysMs: [5 * s, 5 * min, 30 * min, 2 * h, 5 * h, 10 * h, 10 * h],
};

/** The wait before the next attempt after `attempts` failed ones, or null: give up. */
export function nextDelay(schedule: Schedule, attempts: number): number | null {
  return schedule.delaysMs[attempts - 1] ?? null;
}
