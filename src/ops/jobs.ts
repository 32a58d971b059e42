/**
 * Jobs (`jobs` collection of the master database): long work such as moving an org, run by
 * whichever service instance claims it. A claim is one atomic conditional update that matches
 * only a queued job or a running one whose lease expired, so one instance holds a job at a
 * time; the holder extends the lease while it works (the heartbeat) and records how far it got
 * (`state`), so that another instance resumes the job from there if the holder dies.
 */
import { type Db, type Document, ObjectId } from "mongodb";
import { isId } from "../platform/ids.ts";

export const JOB_STATUSES = ["queued", "running", "succeeded", "failed"] as const;
export type JobStatus = typeof JOB_STATUSES[number];

export interface JobProgress {
  done: number;
  total: number;
}

interface JobDoc {
  _id: ObjectId;
  kind: string;
  status: JobStatus;
  /** What to do: fixed when the job is queued. */
  params: Document;
  /** How far it got: written by the holder, read by whoever resumes it. */
  state: Document;
  progress: JobProgress;
  error?: string;
  holder?: string;
  leaseUntil?: Date;
  /** Claims so far; a job that keeps killing its holder fails after `maxAttempts`. */
  attempts: number;
  createdAt: Date;
  updatedAt: Date;
}

/** A job as the admin API shows it. */
export interface JobView {
  id: string;
  kind: string;
  status: JobStatus;
  progress: JobProgress;
  error?: string;
  createdAt: Date;
  updatedAt: Date;
}

/** A job as its runner sees it. */
export interface Job<P extends Document = Document, S extends Document = Document> extends JobView {
  params: P;
  state: S;
  holder?: string;
  attempts: number;
}

const jobs = (db: Db) => db.collection<JobDoc>("jobs");

function toJob<P extends Document, S extends Document>(d: JobDoc): Job<P, S> {
  return {
    id: d._id.toHexString(),
    kind: d.kind,
    status: d.status,
    progress: d.progress,
    ...(d.error !== undefined ? { error: d.error } : {}),
    createdAt: d.createdAt,
    updatedAt: d.updatedAt,
    params: d.params as P,
    state: d.state as S,
    holder: d.holder,
    attempts: d.attempts,
  };
}

/** The fields of the admin API (`GET /v1/admin/jobs/{id}`). */
export function toJobView(j: Job): JobView {
  return {
    id: j.id,
    kind: j.kind,
    status: j.status,
    progress: j.progress,
    ...(j.error !== undefined ? { error: j.error } : {}),
    createdAt: j.createdAt,
    updatedAt: j.updatedAt,
  };
}

export async function ensureJobIndexes(db: Db): Promise<void> {
  await jobs(db).createIndex({ status: 1, kind: 1 }, { name: "status_kind" });
  await jobs(db).createIndex({ kind: 1, _id: -1 }, { name: "kind_newest" });
}

/** Queue a job; any instance's runner may claim it. */
export async function enqueueJob<P extends Document>(
  db: Db,
  kind: string,
  params: P,
  now: Date,
  opts: { total?: number } = {},
): Promise<Job<P>> {
  const doc: JobDoc = {
    _id: new ObjectId(),
    kind,
    status: "queued",
    params,
    state: {},
    progress: { done: 0, total: opts.total ?? 0 },
    attempts: 0,
    createdAt: now,
    updatedAt: now,
  };
  await jobs(db).insertOne(doc);
  return toJob(doc);
}

export interface ClaimOptions {
  holder: string;
  leaseMs: number;
  now: Date;
  /** Only these kinds (the ones this runner can run). */
  kinds: string[];
  /** Only this job. */
  id?: string;
}

/**
 * Claim the oldest job that is queued or whose holder's lease expired, in ONE conditional
 * update (the filter is re-checked by the server as it writes, so two claimers never both
 * win). Returns null when there is nothing to claim.
 */
export async function claimJob(db: Db, opts: ClaimOptions): Promise<Job | null> {
  if (opts.id !== undefined && !isId(opts.id)) return null;
  const d = await jobs(db).findOneAndUpdate(
    {
      ...(opts.id !== undefined ? { _id: new ObjectId(opts.id) } : {}),
      kind: { $in: opts.kinds },
      $or: [
        { status: "queued" },
        { status: "running", leaseUntil: { $lte: opts.now } },
      ],
    },
    {
      $set: {
        status: "running",
        holder: opts.holder,
        leaseUntil: new Date(opts.now.getTime() + opts.leaseMs),
        updatedAt: opts.now,
      },
      $inc: { attempts: 1 },
    },
    { sort: { _id: 1 }, returnDocument: "after" },
  );
  return d ? toJob(d) : null;
}

/**
 * The holder's heartbeat: extend the lease and record progress and state. False when the job
 * is no longer this holder's (its lease expired and another instance claimed it): stop then.
 */
export async function touchJob(
  db: Db,
  id: string,
  holder: string,
  opts: { leaseMs: number; now: Date; progress?: JobProgress; state?: Document },
): Promise<boolean> {
  const r = await jobs(db).updateOne(
    { _id: new ObjectId(id), status: "running", holder },
    {
      $set: {
        leaseUntil: new Date(opts.now.getTime() + opts.leaseMs),
        updatedAt: opts.now,
        ...(opts.progress ? { progress: opts.progress } : {}),
        ...(opts.state ? { state: opts.state } : {}),
      },
    },
  );
  return r.matchedCount === 1;
}

/** End a job held by `holder`: succeeded, or failed with a message for the operator. */
export async function finishJob(
  db: Db,
  id: string,
  holder: string,
  outcome: { status: "succeeded" } | { status: "failed"; error: string },
  now: Date,
): Promise<boolean> {
  const r = await jobs(db).updateOne(
    { _id: new ObjectId(id), status: "running", holder },
    {
      $set: {
        status: outcome.status,
        updatedAt: now,
        ...(outcome.status === "failed" ? { error: outcome.error } : {}),
      },
      $unset: { holder: "", leaseUntil: "" },
    },
  );
  return r.matchedCount === 1;
}

/** Let another instance claim the job at once (the holder stops cleanly). */
export async function releaseJob(db: Db, id: string, holder: string, now: Date): Promise<void> {
  await jobs(db).updateOne(
    { _id: new ObjectId(id), status: "running", holder },
    { $set: { leaseUntil: now, updatedAt: now } },
  );
}

export async function getJob(db: Db, id: string): Promise<Job | null> {
  if (!isId(id)) return null;
  const d = await jobs(db).findOne({ _id: new ObjectId(id) });
  return d ? toJob(d) : null;
}

/** Jobs newest first, optionally of one kind and status, before the job `before` (paging). */
export async function listJobs(
  db: Db,
  opts: { kind?: string; status?: JobStatus; before?: string; limit: number },
): Promise<Job[]> {
  const docs = await jobs(db)
    .find({
      ...(opts.kind !== undefined ? { kind: opts.kind } : {}),
      ...(opts.status !== undefined ? { status: opts.status } : {}),
      ...(opts.before && isId(opts.before) ? { _id: { $lt: new ObjectId(opts.before) } } : {}),
    })
    .sort({ _id: -1 })
    .limit(opts.limit)
    .toArray();
  return docs.map((d) => toJob(d));
}

/** Unfinished jobs of `kind` whose params match `params` (e.g. a move of this org). */
export async function findUnfinishedJob(
  db: Db,
  kind: string,
  params: Document,
): Promise<Job | null> {
  const match = Object.fromEntries(Object.entries(params).map(([k, v]) => [`params.${k}`, v]));
  const d = await jobs(db).findOne({
    kind,
    status: { $in: ["queued", "running"] },
    ...match,
  });
  return d ? toJob(d) : null;
}
