/**
 * Phase 5: switch the org's `cluster` and end the maintenance in one update. Phase 6: once every
 * instance sees the switch, copy what a write that raced the maintenance left at the source, and
 * drop the source database. A failure before the switch gives the move up instead: the org stays
 * where it was, the copy is dropped.
 */
import type { Db } from "mongodb";
import { recordEvent } from "../../audit/audit.ts";
import { emitEvent } from "../../events/catalogue.ts";
import { tag } from "../../platform/cache.ts";
import type { Deps } from "../../platform/deps.ts";
import { forgetMoveDeletions } from "../../tenants/move-deletions.ts";
import { abandonOrgMove, findOrgById, finishOrgMove, type Org } from "../../tenants/orgs.ts";
import { sleep } from "../../platform/async.ts";
import { digestsOf, type Snapshot } from "./digests.ts";
import type { MoveOptions } from "./options.ts";
import { dropStampIndexes } from "./stamps.ts";
import type { MoveParams, MoveRun, Moving } from "./state.ts";

/** Put the org on the target cluster, writable again. */
export async function switchOrg(m: Moving): Promise<void> {
  const { deps, job } = m;
  if (!await finishOrgMove(deps.db.master, m.org.id, job.id, job.params.to, deps.now())) {
    throw new Error("The organization's move record changed under the job");
  }
}

/** After the switch: forget the org's cached record, save and log how long writes waited. */
export async function recordSwitch(m: Moving): Promise<void> {
  const { deps, job, state } = m;
  deps.cache.forget(tag.org(m.org.id));
  state.phase = "switched";
  state.switchedAt = deps.now();
  state.writeUnavailableMs = state.switchedAt.getTime() - state.maintenanceSince!.getTime();
  await m.save(state.total);
  deps.log.info("org moved", {
    orgId: m.org.id,
    from: job.params.from,
    to: job.params.to,
    jobId: job.id,
    writeUnavailableMs: state.writeUnavailableMs,
    timings: state.timings,
  });
  await m.step("switched");
}

/**
 * Before the switch, a failure that is not a crash: the org stays where it was, writable, and
 * the source as the move found it; the copy goes.
 */
export async function giveUp(m: Moving): Promise<void> {
  const { deps, job } = m;
  const master = deps.db.master;
  await abandonOrgMove(master, m.org.id, job.id, deps.now()).catch(() => {});
  deps.cache.forget(tag.org(m.org.id));
  await dropTarget(deps, job.params).catch(() => {});
  await dropStampIndexes(m.source).catch(() => {});
  await forgetMoveDeletions(master, job.id).catch(() => {});
}

/** After the switch: wait until no instance writes to the source, sweep it, drop it. */
export async function finishAtTarget(run: MoveRun, org: Org, snapshot?: Snapshot): Promise<void> {
  const { deps, job, signal, opts, state } = run;
  const { from, to } = job.params;
  const switchedAt = state.switchedAt ?? deps.now();
  if (!state.switchedAt) {
    state.phase = "switched";
    state.switchedAt = switchedAt;
    await run.save();
  }
  if (!state.recorded) {
    await recordEvent(
      deps,
      { cluster: to, databaseName: org.databaseName },
      "org.moved",
      { requestId: `job-${job.id}`, ip: "internal" },
      {
        from,
        to,
        jobId: job.id,
        ...(state.writeUnavailableMs !== undefined
          ? { writeUnavailableMs: String(state.writeUnavailableMs) }
          : {}),
      },
    );
    // Keyed by the job: a move resumed after a crash here emits it once.
    await emitEvent(deps, { org, type: "org.moved", data: {}, key: `org.moved:${job.id}` });
    state.recorded = true;
    await run.save();
  }
  await sleep(switchedAt.getTime() + opts.propagationMs - deps.now().getTime(), signal);
  const source = deps.db.tenantDb({ cluster: from, databaseName: org.databaseName });
  const target = deps.db.tenantDb({ cluster: to, databaseName: org.databaseName });
  if (snapshot) {
    const late = await sweepLateWrites(source, target, snapshot, opts);
    if (late) deps.log.warn("copied writes that reached the source late", { orgId: org.id, late });
  }
  await source.dropDatabase();
  await forgetMoveDeletions(deps.db.master, job.id);
  state.phase = "done";
  await run.save();
  await run.step("dropped");
}

/** Drop the copy at the target, never the org's live database. */
export async function dropTarget(deps: Deps, params: MoveParams): Promise<void> {
  const org = await findOrgById(deps.db.master, params.orgId);
  // Never the org's live database: only a copy on a cluster it is not on.
  if (org && org.cluster === params.to) return;
  const databaseName = org?.databaseName ?? `${deps.config.tenantDbPrefix}${params.orgId}`;
  await deps.db.tenantDb({ cluster: params.to, databaseName }).dropDatabase();
}

/**
 * Writes that passed the maintenance check just before it began but reached the source after
 * the last sync: a three-way comparison with what both sides held at the switch. A document the
 * source changed (or added, or deleted) since then is carried over unless the target changed it
 * too (then the target's newer write wins). Needs the switch's snapshot, so it runs only in the
 * process that switched; the grace period before the last sync is what covers a resumed job.
 */
async function sweepLateWrites(
  source: Db,
  target: Db,
  snapshot: Snapshot,
  opts: MoveOptions,
): Promise<number> {
  let late = 0;
  for (const [name, before] of snapshot) {
    const whole = opts.wholeCollections.includes(name);
    const now = await digestsOf(source.collection(name), opts.stampField, whole);
    if (now.size === before.size && [...now].every(([k, [, d]]) => before.get(k)?.[1] === d)) {
      continue;
    }
    const there = await digestsOf(target.collection(name), opts.stampField, whole);
    const untouched = (k: string) => there.get(k)?.[1] === before.get(k)?.[1];
    for (const [k, [id, d]] of now) {
      if (before.get(k)?.[1] === d || !untouched(k)) continue;
      const doc = await source.collection(name).findOne({ _id: id });
      if (doc) await target.collection(name).replaceOne({ _id: id }, doc, { upsert: true });
      late++;
    }
    for (const [k, [id]] of before) {
      if (now.has(k) || !untouched(k)) continue;
      await target.collection(name).deleteOne({ _id: id });
      late++;
    }
  }
  return late;
}
