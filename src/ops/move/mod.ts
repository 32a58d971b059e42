/**
 * Moving an org's database to another cluster (docs/architecture.md, "Tenant migrations and
 * deployments"), as a job whose state records how far it got, so that a crash at any point resumes
 * from there. One module per phase:
 *
 * 0. request.ts: the request queues the job and is recorded in the org's audit log;
 * 1. mark.ts: mark the org `move` (reads and writes continue; writers now check the org afresh
 *    and note each deletion they make in `move_deletions`), index the write stamp at the source
 *    where it is not (stamps.ts; the catch-ups select by it), and wait until every instance
 *    sees the mark;
 * 2. copy.ts: copy the collections (a few at a time), each in `_id` order in batches (resumable
 *    from the last copied `_id`), then its indexes (indexes.ts), keeping each document's `_id`
 *    and stamp;
 * 3. catch-up.ts: catch up while writes continue, in rounds until few changes are left, by
 *    comparing each document's digest on both sides (digests.ts) and writing the differences;
 * 4. catch-up.ts: maintenance: writes get 503 `org_maintenance`; one last such round, short
 *    since little changed, then the verification (digests.ts): the documents written re-read at
 *    the target, counts, a checksum per collection over every `_id` and stamp, and the indexes
 *    compared;
 * 5. finish.ts: switch the org's `cluster` and end the maintenance in one update;
 * 6. finish.ts: once every instance sees the switch, copy what a write that raced the
 *    maintenance left at the source, and drop the source database.
 *
 * A failure before the switch gives the move up: the org stays where it was, the copy is
 * dropped. The org is readable throughout and ends on exactly one cluster.
 */
import { isVisible } from "../../tenants/org-status.ts";
import { findOrgById } from "../../tenants/orgs.ts";
import type { JobContext, JobHandler } from "../job-runner.ts";
import { catchUp, finalRound } from "./catch-up.ts";
import { copy } from "./copy.ts";
import type { Snapshot } from "./digests.ts";
import { dropTarget, finishAtTarget, giveUp, recordSwitch, switchOrg } from "./finish.ts";
import { awaitMark, markOrg, prepareSource } from "./mark.ts";
import { type MoveOptions, moveOptions } from "./options.ts";
import { type MoveParams, type MoveState, openRun } from "./state.ts";

export { DEFAULT_STAMP_FIELD, type MoveOptions, moveOptions } from "./options.ts";
export { requestMove } from "./request.ts";
export { MOVE_JOB, type MoveParams, type MoveState } from "./state.ts";

/** The job handler: `move` jobs, run by any instance's runner. */
export function moveJobHandler(opts: Partial<MoveOptions> = {}): JobHandler {
  return (ctx) => runMove(ctx as JobContext<MoveParams, MoveState>, opts);
}

export async function runMove(
  ctx: JobContext<MoveParams, MoveState>,
  options: Partial<MoveOptions> = {},
): Promise<void> {
  const run = openRun(ctx, moveOptions(ctx.deps, options));
  const { deps, job, state } = run;
  const org = await findOrgById(deps.db.master, job.params.orgId);
  const switched = org && org.cluster === job.params.to && !org.move;
  if (switched || state.phase === "switched" || state.phase === "done") {
    // The switch happened (perhaps just before a crash): only the source is left to drop. An
    // org deleted since had the databases it knew of dropped with it.
    if (org) await finishAtTarget(run, org);
    return;
  }
  if (!org || !isVisible(org)) {
    await dropTarget(deps, job.params);
    throw new Error("The organization no longer exists");
  }
  const m = await markOrg(run, org); // 1
  let snapshot: Snapshot;
  try {
    await prepareSource(m); // 1
    await awaitMark(m); // 1
    await copy(m); // 2
    await catchUp(m); // 3
    snapshot = await finalRound(m); // 4
    await switchOrg(m); // 5
  } catch (e) {
    if (!m.signal.aborted) await giveUp(m); // a crash: the next holder resumes from the state
    throw e;
  }
  await recordSwitch(m); // 5
  await finishAtTarget(run, { ...m.org, cluster: job.params.to }, snapshot); // 6
}
