/**
 * Moving an org's database to another cluster (DESIGN.md, "Deployments and placement"), as a
 * job whose state records how far it got, so that a crash at any point resumes from there:
 *
 * 1. mark the org `move` (reads and writes continue; writers now check the org afresh and note
 *    each deletion they make in `move_deletions`), index the write stamp at the source where it
 *    is not (the catch-ups select by it), and wait until every instance sees the mark;
 * 2. copy the collections (a few at a time), each in `_id` order in batches (resumable from the
 *    last copied `_id`), then its indexes, keeping each document's `_id` and stamp;
 * 3. catch up while writes continue, in rounds until few changes are left: what the source
 *    holds is known from the copy, the documents stamped since the round before and the noted
 *    deletions (checked at the source), without reading every `_id` again; the first round
 *    reads the target's `_id`s and stamps once, so checks what the copy wrote; differences are
 *    written. The service's own collections, those dropped during the move and every collection
 *    of a resumed job are read whole instead;
 * 4. maintenance: writes get 503 `org_maintenance`; one last such round, short since little
 *    changed, then the verification: the documents written re-read at the target, counts, a
 *    checksum per collection over every `_id` and stamp, and the indexes compared;
 * 5. switch the org's `cluster` and end the maintenance in one update;
 * 6. once every instance sees the switch, copy what a write that raced the maintenance left at
 *    the source, and drop the source database.
 *
 * A failure before the switch gives the move up: the org stays where it was, the copy is
 * dropped. The org is readable throughout and ends on exactly one cluster.
 */
import { BSON, type Collection, type Db, type Document, ObjectId } from "mongodb";
import { recordEvent } from "../audit/audit.ts";
import { tag } from "../platform/cache.ts";
import type { Deps, MoveStep } from "../platform/deps.ts";
import { alreadyThere, moveInProgress, orgNotFound } from "../platform/errors.ts";
import { isVisible } from "../tenants/org-status.ts";
import { assertKnownCluster } from "../tenants/placement.ts";
import {
  forgetMoveDeletions,
  type MoveDeletion,
  moveDeletions,
} from "../tenants/move-deletions.ts";
import { isServiceCollection } from "../tenants/service-collections.ts";
import {
  abandonOrgMove,
  findOrgById,
  findOrgBySlug,
  finishOrgMove,
  type Org,
  setMoveMaintenance,
  startOrgMove,
} from "../tenants/orgs.ts";
import { checkpoint, type JobContext, type JobHandler } from "./job-runner.ts";
import { enqueueJob, findUnfinishedJob, type Job } from "./jobs.ts";

export const MOVE_JOB = "move";

export interface MoveParams extends Document {
  orgId: string;
  slug: string;
  from: string;
  to: string;
}

interface CollectionState {
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

export interface MoveOptions {
  /** The hidden field the document API stamps on every write with a fresh ObjectId. */
  stampField: string;
  /**
   * Collections whose documents change without a stamp (the service's own counters and
   * marker): compared whole in every round. Others are compared by `_id` and stamp; an
   * unstamped document there (the audit log's) is written once and never changed.
   */
  wholeCollections: string[];
  batchSize: number;
  /** Collections copied at the same time. */
  copyConcurrency: number;
  /** Catch-up rounds before maintenance at most. */
  catchUpRounds: number;
  /** A round with fewer changes than this is the last before maintenance. */
  catchUpBelow: number;
  /** Time for writes that passed the check just before the maintenance began to land. */
  graceMs: number;
  /**
   * How long before every instance sees a change to the org (their caches' TTL): the move waits
   * this long after marking the org before the copy, and after the switch before the drop.
   */
  propagationMs: number;
  /** Stamps are ObjectIds made by several processes: allow this much clock difference (s). */
  clockSkewS: number;
}

export const DEFAULT_STAMP_FIELD = "_stamp";
/** The stamp index a move makes at the source: neither copied nor compared, dropped with it. */
export const MOVE_STAMP_INDEX = "_move_stamp";

export function moveOptions(deps: Deps, opts: Partial<MoveOptions> = {}): MoveOptions {
  return {
    stampField: DEFAULT_STAMP_FIELD,
    wholeCollections: ["_meta", "_usage"],
    batchSize: 1000,
    copyConcurrency: 3,
    catchUpRounds: 3,
    catchUpBelow: 200,
    graceMs: 100,
    propagationMs: deps.config.authCacheTtlMs,
    clockSkewS: 2,
    ...opts,
  };
}

/** Queue a move of the org `slug` to cluster `to`; 202-style: returns the job. */
export async function requestMove(
  deps: Deps,
  slug: string,
  to: string,
): Promise<Job<MoveParams>> {
  assertKnownCluster(deps.db, to);
  const org = await findOrgBySlug(deps.db.master, slug);
  if (!org || !isVisible(org)) throw orgNotFound();
  if (org.cluster === to) throw alreadyThere(`The organization is already on ${to}`);
  if (org.move || await findUnfinishedJob(deps.db.master, MOVE_JOB, { orgId: org.id })) {
    throw moveInProgress();
  }
  return await enqueueJob<MoveParams>(
    deps.db.master,
    MOVE_JOB,
    { orgId: org.id, slug: org.slug, from: org.cluster, to },
    deps.now(),
  );
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (ms <= 0) return resolve();
    const t = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });

/** The job handler: `move` jobs, run by any instance's runner. */
export function moveJobHandler(opts: Partial<MoveOptions> = {}): JobHandler {
  return (ctx) => runMove(ctx as JobContext<MoveParams, MoveState>, opts);
}

export async function runMove(
  ctx: JobContext<MoveParams, MoveState>,
  options: Partial<MoveOptions> = {},
): Promise<void> {
  const { deps, job, signal } = ctx;
  const opts = moveOptions(deps, options);
  const { orgId, from, to } = job.params;
  const master = deps.db.master;
  const state: MoveState = { ...job.state };
  const step = (s: MoveStep) => checkpoint(signal, deps.hooks.afterMoveStep?.(s, job.id));
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

  let org = await findOrgById(master, orgId);
  const switched = org && org.cluster === to && !org.move;
  if (switched || state.phase === "switched" || state.phase === "done") {
    // The switch happened (perhaps just before a crash): only the source is left to drop.
    if (!org) return; // deleted since: its deletion dropped the databases it knew of
    await finishAtTarget(ctx, org, state, opts);
    return;
  }
  if (!org || !isVisible(org)) {
    await dropTarget(deps, job.params);
    throw new Error("The organization no longer exists");
  }
  org = await startOrgMove(master, orgId, { jobId: job.id, to }, deps.now());
  if (!org) throw new Error("The organization is being moved by another job, or is there already");
  deps.cache.forget(tag.org(orgId));

  const source = deps.db.tenantDb({ cluster: from, databaseName: org.databaseName });
  const target = deps.db.tenantDb({ cluster: to, databaseName: org.databaseName });
  let snapshot: Snapshot | undefined;
  // What the target holds after each round (only this job writes there before the switch), so
  // that the next round need not read it again; a resumed job reads it once.
  let known: Snapshot | undefined;
  // What the source's collections of the org's own documents hold, from the copy on, kept up to
  // date by each round; a resumed job reads them once.
  let sourceKnown: Snapshot = new Map();
  try {
    if (!state.phase) {
      // A fresh start: whatever a given-up earlier attempt left at the target goes first.
      await target.dropDatabase();
      state.phase = "copy";
      state.since = stampBefore(deps.now(), opts.clockSkewS);
      state.collections = [];
      state.total = 0;
      for (const name of await collectionNames(source)) {
        state.collections.push({ name, copied: 0, done: false });
        state.total += await source.collection(name).estimatedDocumentCount();
        await ensureStampIndex(source.collection(name), opts.stampField);
      }
      await save(0);
      await step("marked");
    }

    const timings = state.timings ??= {};
    // From now on every instance notes the deletions it makes, which the catch-up relies on.
    const t = performance.now();
    await sleep(org.move!.since.getTime() + opts.propagationMs - deps.now().getTime(), signal);
    timings.propagationWaitMs = Math.round(performance.now() - t);
    let t0 = performance.now();
    const lap = (name: string) => {
      timings[name] = Math.round(performance.now() - t0);
      t0 = performance.now();
    };
    if (state.phase === "copy") {
      // A few collections at a time: one's reads and writes overlap another's.
      const left = state.collections!.filter((c) => !c.done);
      await eachLimited(left, opts.copyConcurrency, async (c) => {
        const copied = await copyCollection(source, target, c, opts, async () => {
          await save(copiedSoFar(state));
          await step("copy-batch");
        });
        if (copied && tracked(c.name, opts)) sourceKnown.set(c.name, copied);
        await copyIndexes(source.collection(c.name), target.collection(c.name));
        c.done = true;
        await save(copiedSoFar(state));
      });
      state.phase = "catch-up";
      lap("copyMs");
      await save();
      await step("copied");
    }

    if (state.phase === "catch-up") {
      // Rounds while writes continue: each writes what changed since the round before, so the
      // next is shorter; the final round (in maintenance) then has little left to write.
      for (let n = 1; n <= opts.catchUpRounds; n++) {
        const since = stampBefore(deps.now(), opts.clockSkewS);
        const r = await syncRound(source, target, state.since!, opts, {
          known,
          sourceKnown,
          deletions: await moveDeletions(master, job.id),
        });
        known = r.targetAfter;
        sourceKnown = r.sourceAfter;
        state.since = since;
        lap(`catchUp${n}Ms`);
        timings[`catchUp${n}Changes`] = r.changes;
        await save();
        await step("caught-up");
        if (r.changes < opts.catchUpBelow) break;
      }
      state.phase = "maintenance";
      state.maintenanceSince = deps.now();
      await save();
    }

    // phase === "maintenance"
    if (!await setMoveMaintenance(master, orgId, job.id, true, deps.now())) {
      throw new Error("The organization's move record changed under the job");
    }
    deps.cache.forget(tag.org(orgId));
    await step("maintenance");
    await sleep(opts.graceMs, signal);
    lap("graceMs");
    // The source takes no writes now: this round leaves both sides equal, and verifies it.
    const since = stampBefore(deps.now(), opts.clockSkewS);
    const final = await syncRound(source, target, state.since!, opts, {
      verify: true,
      known,
      sourceKnown,
      deletions: await moveDeletions(master, job.id),
    });
    snapshot = final.sourceAfter;
    state.since = since;
    timings.finalChanges = final.changes;
    lap("finalSyncAndVerifyMs");
    if (final.mismatch) throw new Error(`Verification failed: ${final.mismatch}`);
    await step("verified");
    if (!await finishOrgMove(master, orgId, job.id, to, deps.now())) {
      throw new Error("The organization's move record changed under the job");
    }
  } catch (e) {
    if (signal.aborted) throw e; // a crash: the next holder resumes from the saved state
    await abandonOrgMove(master, orgId, job.id, deps.now()).catch(() => {});
    deps.cache.forget(tag.org(orgId));
    await dropTarget(deps, job.params).catch(() => {});
    await dropStampIndexes(source).catch(() => {});
    await forgetMoveDeletions(master, job.id).catch(() => {});
    throw e;
  }
  deps.cache.forget(tag.org(orgId));
  state.phase = "switched";
  state.switchedAt = deps.now();
  state.writeUnavailableMs = state.switchedAt.getTime() - state.maintenanceSince!.getTime();
  await save(state.total);
  deps.log.info("org moved", {
    orgId,
    from,
    to,
    jobId: job.id,
    writeUnavailableMs: state.writeUnavailableMs,
    timings: state.timings,
  });
  await step("switched");
  await finishAtTarget(ctx, { ...org, cluster: to }, state, opts, snapshot);
}

/** After the switch: wait until no instance writes to the source, sweep it, drop it. */
async function finishAtTarget(
  ctx: JobContext<MoveParams, MoveState>,
  org: Org,
  state: MoveState,
  opts: MoveOptions,
  snapshot?: Snapshot,
): Promise<void> {
  const { deps, job, signal } = ctx;
  const { from, to } = job.params;
  const switchedAt = state.switchedAt ?? deps.now();
  if (!state.switchedAt) {
    state.phase = "switched";
    state.switchedAt = switchedAt;
    await ctx.save({ state });
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
    state.recorded = true;
    await ctx.save({ state });
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
  await ctx.save({ state });
  await checkpoint(signal, deps.hooks.afterMoveStep?.("dropped", job.id));
}

async function dropTarget(deps: Deps, params: MoveParams): Promise<void> {
  const org = await findOrgById(deps.db.master, params.orgId);
  // Never the org's live database: only a copy on a cluster it is not on.
  if (org && org.cluster === params.to) return;
  const databaseName = org?.databaseName ?? `${deps.config.tenantDbPrefix}${params.orgId}`;
  await deps.db.tenantDb({ cluster: params.to, databaseName }).dropDatabase();
}

/** The smallest ObjectId of the second `skewS` seconds before `now`: a stamp threshold. */
function stampBefore(now: Date, skewS: number): ObjectId {
  return ObjectId.createFromTime(Math.floor(now.getTime() / 1000) - skewS);
}

const copiedSoFar = (s: MoveState) => (s.collections ?? []).reduce((n, c) => n + c.copied, 0);

async function collectionNames(db: Db): Promise<string[]> {
  const list = await db.listCollections({}, { nameOnly: true }).toArray();
  return list.map((c) => c.name).filter((n) => !n.startsWith("system.")).sort();
}

/** Up to `n` documents from the cursor (fewer only at its end). */
async function take(cursor: ReturnType<Collection["find"]>, n: number): Promise<Document[]> {
  const docs: Document[] = [];
  while (docs.length < n && await cursor.hasNext()) {
    docs.push(...cursor.readBufferedDocuments(n - docs.length));
  }
  return docs;
}

/**
 * Copy a collection in `_id` order from `c.lastId` on, reading the next batch while writing.
 * Returns each copied document's digest when the copy began at the start (the source's
 * content as read, for the catch-up), undefined when it resumed part-way.
 */
async function copyCollection(
  source: Db,
  target: Db,
  c: CollectionState,
  opts: MoveOptions,
  afterBatch: () => Promise<void>,
): Promise<Digests | undefined> {
  const { batchSize, stampField } = opts;
  const digests: Digests | undefined = c.lastId === undefined ? new Map() : undefined;
  const from = source.collection(c.name);
  const to = target.collection(c.name);
  await target.createCollection(c.name).catch((e) => {
    if (!isNamespaceExists(e)) throw e;
  });
  // What a crashed batch wrote past the last recorded `_id` is written again.
  const after: Document = c.lastId === undefined ? {} : { _id: { $gt: c.lastId } };
  await to.deleteMany(after);
  const cursor = from.find(after)
    .sort({ _id: 1 })
    .batchSize(batchSize);
  try {
    let batch = await take(cursor, batchSize);
    while (batch.length) {
      const next = take(cursor, batchSize);
      next.catch(() => {}); // awaited below, unless the write fails first
      await to.insertMany(batch, { ordered: false });
      for (const d of batch) digests?.set(idKey(d._id), [d._id, digestOf(d, stampField, false)]);
      c.lastId = batch[batch.length - 1]._id;
      c.copied += batch.length;
      await afterBatch();
      batch = await next;
    }
  } finally {
    await cursor.close();
  }
  return digests;
}

/**
 * Whether the move keeps a collection's source content from the copy on, rather than reading
 * it whole each round: the org's own documents, each written with a stamp through the document
 * API, which notes their deletions. Not the service's own collections (unstamped, or changed
 * and pruned without a note).
 */
const tracked = (name: string, opts: MoveOptions) =>
  !isServiceCollection(name) && !opts.wholeCollections.includes(name);

function isNamespaceExists(e: unknown): boolean {
  return e instanceof Error && "code" in e && (e as { code: unknown }).code === 48;
}

/** The options of an index worth comparing and copying (not its version or namespace). */
function indexSpec(ix: Document): { key: Document; options: Document } {
  const { key, v: _v, ns: _ns, ...options } = ix;
  return { key, options };
}

/** An index as a string: its key in order (order matters), its options in any order. */
function indexText(ix: Document): string {
  const { key, options } = indexSpec(ix);
  return JSON.stringify(key) + JSON.stringify(options, Object.keys(options).sort());
}

async function userIndexes(col: Collection): Promise<Document[]> {
  try {
    return (await col.listIndexes().toArray()).filter((ix) =>
      ix.name !== "_id_" && ix.name !== MOVE_STAMP_INDEX
    );
  } catch (e) {
    if (e instanceof Error && "code" in e && (e as { code: unknown }).code === 26) return [];
    throw e; // NamespaceNotFound above: no collection, no indexes
  }
}

/** Make the target's indexes those of the source: create the missing, drop the extra. */
async function copyIndexes(from: Collection, to: Collection): Promise<void> {
  const want = await userIndexes(from);
  const have = await userIndexes(to);
  const key = indexText;
  const haveKeys = new Map(have.map((ix) => [ix.name as string, key(ix)]));
  for (const ix of have) {
    const same = want.find((w) => w.name === ix.name);
    if (!same || key(same) !== key(ix)) await to.dropIndex(ix.name);
  }
  for (const ix of want) {
    if (haveKeys.get(ix.name) === key(ix)) continue;
    const { key: keys, options } = indexSpec(ix);
    await to.createIndex(keys, options);
  }
}

/** Like Promise.all, but only once every promise settled: none is left running on a failure. */
async function settled<T>(promises: Promise<T>[]): Promise<T[]> {
  const results = await Promise.allSettled(promises);
  const failed = results.find((r) => r.status === "rejected");
  if (failed) throw (failed as PromiseRejectedResult).reason;
  return results.map((r) => (r as PromiseFulfilledResult<T>).value);
}

/** Run `work` over `items`, at most `limit` at a time; on a failure none is left running. */
async function eachLimited<T>(
  items: T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      const item = items[next++];
      await work(item).catch((e) => {
        failed = true;
        throw e;
      });
    }
  };
  await settled(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/**
 * Write `docs` at the target as they are and delete the `_id`s in `extra`, one operation per
 * document by `_id` (an indexed equality on every server, where an `$in` makes some read the
 * whole collection), in bulks of `batchSize`.
 */
async function writeDocs(
  to: Collection,
  docs: Document[],
  extra: ObjectId[],
  batchSize: number,
): Promise<number> {
  const ops = [
    ...docs.map((d) => ({
      replaceOne: { filter: { _id: d._id }, replacement: d, upsert: true },
    })),
    ...extra.map((_id) => ({ deleteOne: { filter: { _id } } })),
  ];
  for (let i = 0; i < ops.length; i += batchSize) {
    await to.bulkWrite(ops.slice(i, i + batchSize), { ordered: false });
  }
  return ops.length;
}

const idKey = (id: unknown): string => btoa(String.fromCharCode(...BSON.serialize({ id })));

/** A collection read whole, in `_id` order: its count, checksum and each document's digest. */
interface Scan {
  count: number;
  hash: string;
  /** `_id` key → [the `_id`, the document's digest]. */
  docs: Map<string, [ObjectId, string]>;
}

/**
 * Read a collection in `_id` order. A document's digest is its write stamp, or the whole
 * document where it has none (the service's own collections); the checksum is a SHA-256 over
 * every `_id` and digest in order.
 */
async function scan(col: Collection, stampField: string): Promise<Scan> {
  let hash = new Uint8Array(32);
  const docs = new Map<string, [ObjectId, string]>();
  let text = "";
  const flush = async () => {
    const bytes = new TextEncoder().encode(text);
    const buf = new Uint8Array(hash.length + bytes.length);
    buf.set(hash);
    buf.set(bytes, hash.length);
    hash = new Uint8Array(await crypto.subtle.digest("SHA-256", buf));
    text = "";
  };
  for await (const d of col.find({}).sort({ _id: 1 })) {
    const stamp = d[stampField];
    const digest = stamp instanceof ObjectId
      ? `s${stamp.toHexString()}`
      : `d${toBase64(BSON.serialize(d))}`;
    const key = idKey(d._id);
    docs.set(key, [d._id, digest]);
    text += `${key}:${digest}\n`;
    if (docs.size % 1000 === 0) await flush();
  }
  await flush();
  return {
    count: docs.size,
    hash: Array.from(hash, (b) => b.toString(16).padStart(2, "0")).join(""),
    docs,
  };
}

const toBase64 = (bytes: Uint8Array) => {
  let s = "";
  for (let i = 0; i < bytes.length; i += 4096) {
    s += String.fromCharCode(...bytes.subarray(i, i + 4096));
  }
  return btoa(s);
};

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

/** What the target holds after `docs` were written (not read back yet) and `extra` deleted. */
function afterWrites(
  before: Digests,
  docs: Document[],
  extra: ObjectId[],
  stampField: string,
  whole: boolean,
): Digests {
  const after: Digests = new Map(before);
  for (const k of extra.map(idKey)) after.delete(k);
  for (const d of docs) after.set(idKey(d._id), [d._id, `?${digestOf(d, stampField, whole)}`]);
  return after;
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
 * `verify` (the source takes no writes): the documents written are read back at the target,
 * then the counts, a checksum over every `_id` and its stamp (or whole document), and the
 * indexes are compared. Returns the documents changed, the first difference left (null if
 * none), and what each side holds now.
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
    let mismatch: string | null = null;
    if (o.verify) {
      // Read back what the move wrote and has not read since.
      const written = [...after].filter(([, [, d]]) => d.startsWith("?")).map(([, [id]]) => id);
      for (const k of written.map(idKey)) after.delete(k);
      const back = await findByIds(to, written, whole ? {} : { [f]: 1 }, opts.batchSize);
      for (const d of back) after.set(idKey(d._id), [d._id, digestOf(d, f, whole)]);
      mismatch = src.size !== after.size
        ? `${name}: ${src.size} documents vs ${after.size}`
        : await checksumOf(src) !== await checksumOf(after)
        ? `${name}: checksums differ`
        : await compareIndexes(name, from, to);
    }
    return { name, fixed, mismatch, src, after };
  }));
  let mismatch = results.find((r) => r.mismatch)?.mismatch ?? null;
  if (o.verify && !mismatch) {
    const targetNames = await collectionNames(target);
    if (names.join() !== targetNames.join()) {
      mismatch = `collections differ: ${names.join(",")} vs ${targetNames.join(",")}`;
    }
  }
  return {
    changes: results.reduce((n, r) => n + r.fixed, dropped),
    mismatch,
    sourceAfter: new Map(results.map((r) => [r.name, r.src])),
    targetAfter: new Map(results.map((r) => [r.name, r.after])),
  };
}

/**
 * `_id` key → [the `_id`, the document's digest]; at the target, a digest the move wrote but
 * has not read back yet starts with `?`.
 */
type Digests = Map<string, [ObjectId, string]>;

const settledDigest = (d: string | undefined) => d?.startsWith("?") ? d.slice(1) : d;

/** Up to this many documents are read and written one by one, by `_id`, rather than in bulk. */
const FEW = 200;

/**
 * The documents with these `_id`s: few are looked up one by one (an indexed equality on every
 * server), many with `$in` in batches (which some servers answer by reading the collection).
 */
async function findByIds(
  col: Collection,
  ids: ObjectId[],
  projection: Document,
  batchSize: number,
): Promise<Document[]> {
  if (ids.length <= FEW) {
    const found: (Document | null)[] = await Promise.all(
      ids.map((_id) => col.findOne({ _id }, { projection })),
    );
    return found.filter((d): d is Document => d !== null);
  }
  const docs: Document[] = [];
  for (let i = 0; i < ids.length; i += batchSize) {
    const batch = ids.slice(i, i + batchSize);
    docs.push(...await col.find({ _id: { $in: batch } }, { projection }).toArray());
  }
  return docs;
}

/**
 * A document's digest: its write stamp; where it has none, the whole document (`whole`) or a
 * mark that it is there (a document written once and never changed).
 */
function digestOf(d: Document, stampField: string, whole: boolean): string {
  const stamp = d[stampField];
  if (stamp instanceof ObjectId) return `s${stamp.toHexString()}`;
  return whole ? `d${toBase64(BSON.serialize(d))}` : "u";
}

/** Every document's digest; only `_id` and the stamp are read unless `whole`. */
async function digestsOf(col: Collection, stampField: string, whole: boolean): Promise<Digests> {
  const out: Digests = new Map();
  const cursor = col.find({}, whole ? {} : { projection: { [stampField]: 1 } }).batchSize(10_000);
  for await (const d of cursor) out.set(idKey(d._id), [d._id, digestOf(d, stampField, whole)]);
  return out;
}

/** SHA-256 over every `_id` key and digest, in key order. */
async function checksumOf(digests: Digests): Promise<string> {
  const keys = [...digests.keys()].sort();
  const text = keys.map((k) => `${k}:${digests.get(k)![1]}`).join("\n");
  const hash = new Uint8Array(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)),
  );
  return Array.from(hash, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Index the write stamp, unless an index on it alone is there. */
async function ensureStampIndex(col: Collection, stampField: string): Promise<void> {
  const indexes = await col.listIndexes().toArray().catch(() => [] as Document[]);
  const has = indexes.some((ix) => {
    const keys = Object.keys(ix.key ?? {});
    return keys.length === 1 && keys[0] === stampField;
  });
  if (!has) await col.createIndex({ [stampField]: 1 }, { name: MOVE_STAMP_INDEX });
  // Fresh statistics for the query planner where the server keeps them apart (FerretDB gathers
  // PostgreSQL's here; without them a range is guessed to match a third of the table, and read
  // whole). MongoDB answers it from its own figures.
  await col.db.command({ collStats: col.collectionName }).catch(() => {});
}

/** Drop the stamp indexes a move made (a move given up leaves the source as it found it). */
async function dropStampIndexes(db: Db): Promise<void> {
  for (const name of await collectionNames(db)) {
    await db.collection(name).dropIndex(MOVE_STAMP_INDEX).catch(() => {});
  }
}

/** What the source held at the switch: collection → its digests. */
type Snapshot = Map<string, Digests>;

async function compareIndexes(name: string, a: Collection, b: Collection) {
  const [ia, ib] = await settled([userIndexes(a), userIndexes(b)]);
  const specs = (l: Document[]) => l.map(indexText).sort().join("\n");
  return specs(ia) === specs(ib) ? null : `${name}: indexes differ`;
}

/**
 * Counts, a checksum per collection and the indexes, source against target (see `scan`); the
 * first difference found, or null.
 */
export async function verify(source: Db, target: Db, stampField: string): Promise<string | null> {
  const names = await collectionNames(source);
  const targetNames = await collectionNames(target);
  if (names.join() !== targetNames.join()) {
    return `collections differ: ${names.join(",")} vs ${targetNames.join(",")}`;
  }
  for (const name of names) {
    const [a, b] = await settled([
      scan(source.collection(name), stampField),
      scan(target.collection(name), stampField),
    ]);
    if (a.count !== b.count) return `${name}: ${a.count} documents vs ${b.count}`;
    if (a.hash !== b.hash) return `${name}: checksums differ`;
    const indexes = await compareIndexes(name, source.collection(name), target.collection(name));
    if (indexes) return indexes;
  }
  return null;
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
