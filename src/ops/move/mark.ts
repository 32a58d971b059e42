/**
 * Phase 1: mark the org `move` (reads and writes continue; writers now check the org afresh
 * and note each deletion they make), index the write stamp at the source where it is not, and
 * wait until every instance sees the mark.
 */
import { tag } from "../../platform/cache.ts";
import { type Org, startOrgMove } from "../../tenants/orgs.ts";
import { sleep } from "../../platform/async.ts";
import { collectionNames } from "./collections.ts";
import { ensureStampIndex, stampBefore } from "./stamps.ts";
import { type MoveRun, type Moving, openMoving } from "./state.ts";

/** Mark the org as moving under this job (again, for a resumed one). */
export async function markOrg(run: MoveRun, org: Org): Promise<Moving> {
  const { deps, job } = run;
  const marked = await startOrgMove(
    deps.db.master,
    org.id,
    { jobId: job.id, to: job.params.to },
    deps.now(),
  );
  if (!marked) {
    throw new Error("The organization is being moved by another job, or is there already");
  }
  deps.cache.forget(tag.org(org.id));
  return openMoving(run, marked);
}

/**
 * On a fresh start: drop whatever a given-up earlier attempt left at the target, list the
 * source's collections (and count their documents), and index the write stamp in each.
 */
export async function prepareSource(m: Moving): Promise<void> {
  const { deps, opts, state, source } = m;
  if (state.phase) return;
  await m.target.dropDatabase();
  state.phase = "copy";
  state.since = stampBefore(deps.now(), opts.clockSkewS);
  state.collections = [];
  state.total = 0;
  for (const name of await collectionNames(source)) {
    state.collections.push({ name, copied: 0, done: false });
    state.total += await source.collection(name).estimatedDocumentCount();
    await ensureStampIndex(source.collection(name), opts.stampField);
  }
  await m.save(0);
  await m.step("marked");
}

/** From now on every instance notes the deletions it makes, which the catch-up relies on. */
export async function awaitMark(m: Moving): Promise<void> {
  const since = m.org.move!.since.getTime();
  m.lap();
  await sleep(since + m.opts.propagationMs - m.deps.now().getTime(), m.signal);
  m.lap("propagationWaitMs");
}
