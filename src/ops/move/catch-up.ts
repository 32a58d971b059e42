/**
 * Phase 3, the catch-up rounds while writes continue, until few changes are left: what the
 * source holds is known from the copy, the documents stamped since the round before and the
 * noted deletions (checked at the source), without reading every `_id` again; the first round
 * reads the target's `_id`s and stamps once, so checks what the copy wrote; differences are
 * written. The service's own collections, those dropped during the move and every collection of
 * a resumed job are read whole instead.
 *
 * Phase 4, in maintenance (writes get 503 `org_maintenance`): one last such round, short since
 * little changed, which also verifies (digests.ts).
 */
import type { Collection, Db, Document, ObjectId } from "mongodb";
import { tag } from "../../platform/cache.ts";
import { type MoveDeletion, moveDeletions } from "../../tenants/move-deletions.ts";
import { setMoveMaintenance } from "../../tenants/orgs.ts";
import { settled, sleep } from "../../platform/async.ts";
import { collectionNames, tracked } from "./collections.ts";
import {
  afterWrites,
  collectionsDiffer,
  digestOf,
  type Digests,
  digestsOf,
  idKey,
  settledDigest,
  type Snapshot,
  verifyCollection,
} from "./digests.ts";
import { FEW, findByIds, writeDocs } from "./documents.ts";
import { copyIndexes } from "./indexes.ts";
import type { MoveOptions } from "./options.ts";
import { stampBefore } from "./stamps.ts";
import type { Moving } from "./state.ts";

/**
 * Rounds while writes continue: each writes what changed since the round before, so the next
 * is shorter; the final round (in maintenance) then has little left to write.
 */
export async function catchUp(m: Moving): Promise<void> {
  const { deps, opts, state } = m;
  if (state.phase !== "catch-up") return;
  for (let n = 1; n <= opts.catchUpRounds; n++) {
    const since = stampBefore(deps.now(), opts.clockSkewS);
    const r = await syncRound(m.source, m.target, state.since!, opts, {
      known: m.known,
      sourceKnown: m.sourceKnown,
      deletions: await moveDeletions(deps.db.master, m.job.id),
    });
    m.known = r.targetAfter;
    m.sourceKnown = r.sourceAfter;
    state.since = since;
    m.lap(`catchUp${n}Ms`);
    (state.timings ??= {})[`catchUp${n}Changes`] = r.changes;
    await m.save();
    await m.step("caught-up");
    if (r.changes < opts.catchUpBelow) break;
  }
  state.phase = "maintenance";
  state.maintenanceSince = deps.now();
  await m.save();
}

/**
 * Refuse writes, give those that passed the check just before a moment to land, then the last
 * round: the source takes no writes now, so it leaves both sides equal, and verifies it.
 * Returns what the source holds (for the sweep after the switch).
 */
export async function finalRound(m: Moving): Promise<Snapshot> {
  const { deps, opts, state, job } = m;
  if (!await setMoveMaintenance(deps.db.master, m.org.id, job.id, true, deps.now())) {
    throw new Error("The organization's move record changed under the job");
  }
  deps.cache.forget(tag.org(m.org.id));
  await m.step("maintenance");
  await sleep(opts.graceMs, m.signal);
  m.lap("graceMs");
  const since = stampBefore(deps.now(), opts.clockSkewS);
  const final = await syncRound(m.source, m.target, state.since!, opts, {
    verify: true,
    known: m.known,
    sourceKnown: m.sourceKnown,
    deletions: await moveDeletions(deps.db.master, job.id),
  });
  state.since = since;
  (state.timings ??= {}).finalChanges = final.changes;
  m.lap("finalSyncAndVerifyMs");
  if (final.mismatch) throw new Error(`Verification failed: ${final.mismatch}`);
  await m.step("verified");
  return final.sourceAfter;
}

/** Drop the target's collections the source no longer has; how many. */
async function dropMissing(target: Db, names: string[]): Promise<number> {
  let dropped = 0;
  for (const name of await collectionNames(target)) {
    if (!names.includes(name)) {
      await target.collection(name).drop();
      dropped++;
    }
  }
  return dropped;
}

/**
 * What a tracked collection's source holds now, from what it held (`before`, mutated): the
 * documents stamped since `since` (returned too: the round writes them), and the noted
 * deletions, each checked at the source (a deletion noted but failed, or not made yet, finds
 * the document still there).
 */
async function sourceNow(
  from: Collection,
  before: Digests,
  since: ObjectId,
  noted: ObjectId[],
  opts: MoveOptions,
): Promise<{ src: Digests; stamped: Document[] }> {
  const f = opts.stampField;
  const stamped = await from.find({ [f]: { $gte: since } }).toArray();
  for (const d of stamped) before.set(idKey(d._id), [d._id, digestOf(d, f, false)]);
  const seen = new Set(stamped.map((d) => idKey(d._id)));
  const check = noted.filter((id) => !seen.has(idKey(id)));
  const still = await findByIds(from, check, { [f]: 1 }, opts.batchSize);
  const there = new Map(still.map((d) => [idKey(d._id), d]));
  for (const id of check) {
    const k = idKey(id);
    const d = there.get(k);
    if (d) before.set(k, [id, digestOf(d, f, false)]);
    else before.delete(k);
  }
  return { src: before, stamped };
}

/**
 * One round of catch-up, the last also the verification. What each collection of the source
 * holds (`_id`s with their stamps, or whole documents in `wholeCollections`) is compared with
 * what the target holds: the source's from `sourceKnown` brought up to date (`sourceNow`) for
 * tracked collections not dropped during the move, read otherwise; the target's from `known`
 * (only the move writes there, and every document it wrote is read back by the verification),
 * read where not given. Documents whose stamp differs, or that the target lacks, are written
 * again from the source, those the source lacks deleted, the indexes made the same. With
 * `verify` (the source takes no writes): see `verifyCollection`, and the collections' names
 * compared. Returns the documents changed, the first difference left (null if none), and what
 * each side holds now.
 */
async function syncRound(
  source: Db,
  target: Db,
  since: ObjectId,
  opts: MoveOptions,
  o: {
    verify?: boolean;
    known?: Snapshot;
    sourceKnown: Snapshot;
    deletions: MoveDeletion[];
  },
): Promise<
  { changes: number; mismatch: string | null; sourceAfter: Snapshot; targetAfter: Snapshot }
> {
  const names = await collectionNames(source);
  const dropped = await dropMissing(target, names);
  const f = opts.stampField;
  const results = await settled(names.map(async (name) => {
    const from = source.collection(name);
    const to = target.collection(name);
    const whole = opts.wholeCollections.includes(name);
    const notes = o.deletions.filter((d) => d.collection === name);
    const droppedDuring = notes.some((d) => !d.documentId);
    const before = tracked(name, opts) && !droppedDuring ? o.sourceKnown.get(name) : undefined;
    const noted = notes.flatMap((d) => d.documentId ? [d.documentId] : []);
    const knownHere = o.known?.get(name);
    const [{ src, stamped }, tgt] = await settled<
      { src: Digests; stamped: Document[] } | Digests | void
    >([
      before
        ? sourceNow(from, before, since, noted, opts)
        : digestsOf(from, f, whole).then((src) => ({ src, stamped: [] })),
      knownHere ? Promise.resolve(knownHere) : digestsOf(to, f, whole),
      copyIndexes(from, to),
    ]) as [{ src: Digests; stamped: Document[] }, Digests, void];
    const stale = [...src].filter(([k, [, digest]]) => settledDigest(tgt.get(k)?.[1]) !== digest);
    // Read whole and many changed: those stamped since the last round in one query (indexed),
    // the rest by `_id`. Few: all by `_id`.
    const read = new Map(
      (stale.length > FEW && !whole && !before
        ? await from.find({ [f]: { $gte: since } }).toArray()
        : stamped).map((d) => [idKey(d._id), d]),
    );
    const docs: Document[] = [];
    const again: ObjectId[] = [];
    for (const [k, [id, digest]] of stale) {
      const doc = read.get(k);
      if (doc && digestOf(doc, f, whole) === digest) docs.push(doc);
      else again.push(id);
    }
    docs.push(...await findByIds(from, again, {}, opts.batchSize));
    const extra = [...tgt].filter(([k]) => !src.has(k)).map(([, [id]]) => id);
    const fixed = await writeDocs(to, docs, extra, opts.batchSize);
    const after = afterWrites(tgt, docs, extra, f, whole);
    const mismatch = o.verify
      ? await verifyCollection(from, to, {
        src,
        after,
        stampField: f,
        whole,
        batchSize: opts.batchSize,
      })
      : null;
    return { name, fixed, mismatch, src, after };
  }));
  let mismatch = results.find((r) => r.mismatch)?.mismatch ?? null;
  if (o.verify && !mismatch) mismatch = collectionsDiffer(names, await collectionNames(target));
  return {
    changes: results.reduce((n, r) => n + r.fixed, dropped),
    mismatch,
    sourceAfter: new Map(results.map((r) => [r.name, r.src])),
    targetAfter: new Map(results.map((r) => [r.name, r.after])),
  };
}
