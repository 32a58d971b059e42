/**
 * Asking for a move: the one way in, for the operator's route and `deno task move` alike. It
 * queues the job any instance's runner carries out, and records `org.move_requested` in the
 * org's audit log.
 */
import { recordEvent, type RequestContext } from "../../audit/audit.ts";
import type { Deps } from "../../platform/deps.ts";
import { alreadyThere, moveInProgress, orgNotFound } from "../../platform/errors.ts";
import { isVisible } from "../../tenants/org-status.ts";
import { findOrgBySlug } from "../../tenants/orgs.ts";
import { assertKnownCluster } from "../../tenants/placement.ts";
import { enqueueJob, findUnfinishedJob, type Job } from "../jobs.ts";
import { MOVE_JOB, type MoveParams } from "./state.ts";

/**
 * Queue a move of the org `slug` to cluster `to`, asked for by `ctx`; 202-style: returns the
 * job. 400 for an unknown cluster, 404 for an org that is not live, 409 when it is there
 * already or being moved.
 */
export async function requestMove(
  deps: Deps,
  slug: string,
  to: string,
  ctx: RequestContext,
): Promise<Job<MoveParams>> {
  assertKnownCluster(deps.db, to);
  const org = await findOrgBySlug(deps.db.master, slug);
  if (!org || !isVisible(org)) throw orgNotFound();
  if (org.cluster === to) throw alreadyThere(`The organization is already on ${to}`);
  if (org.move || await findUnfinishedJob(deps.db.master, MOVE_JOB, { orgId: org.id })) {
    throw moveInProgress();
  }
  const job = await enqueueJob<MoveParams>(
    deps.db.master,
    MOVE_JOB,
    { orgId: org.id, slug: org.slug, from: org.cluster, to },
    deps.now(),
  );
  await recordEvent(deps, org, "org.move_requested", ctx, {
    from: job.params.from,
    to,
    jobId: job.id,
  });
  return job;
}
