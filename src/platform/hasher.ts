/**
 * Password hashing with bcryptjs (and the password strength check) in a pool of Web Workers. Jobs
 * queue when every worker is busy, so a burst of logins costs throughput, never the latency of
 * other requests; the queue is bounded, so a flood is refused (503 `overloaded`) rather than
 * answered minutes late.
 */
import { overloaded } from "./errors.ts";
import type { HashJob, HashResult } from "./hash-worker.ts";

export interface Hasher {
  hash(password: string): Promise<string>;
  verify(password: string, hash: string): Promise<boolean>;
  /** Verify against a hash of the configured cost that matches nothing (unknown users). */
  verifyDummy(password: string): Promise<false>;
  /** Why the password is too weak (zxcvbn-ts), or null. */
  weakness(password: string, userInputs: string[]): Promise<string | null>;
  close(): void;
}

export interface HasherOptions {
  cost: number;
  workers: number;
  /** Jobs that may wait while every worker is busy (default: no bound). */
  queueLimit?: number;
}

type Pending = { resolve: (v: string | boolean | null) => void; reject: (e: Error) => void };
type Queued = { job: HashJob } & Pending;

export function createHasher(opts: HasherOptions): Hasher {
  const idle: Worker[] = [];
  const queue: Queued[] = [];
  const inFlight = new Map<number, Pending>();
  let nextId = 1;
  let closed = false;
  const queueLimit = opts.queueLimit ?? Infinity;

  const workers = Array.from({ length: opts.workers }, () => {
    const w = new Worker(new URL("./hash-worker.ts", import.meta.url).href, { type: "module" });
    w.onmessage = (e: MessageEvent<HashResult>) => {
      const r = e.data;
      const p = inFlight.get(r.id);
      inFlight.delete(r.id);
      if (p) "error" in r ? p.reject(new Error(r.error)) : p.resolve(r.value);
      dispatch(w);
    };
    w.onerror = (e) => {
      e.preventDefault();
      for (const p of inFlight.values()) p.reject(new Error(`hash worker failed: ${e.message}`));
      inFlight.clear();
    };
    return w;
  });
  idle.push(...workers);

  function dispatch(w: Worker) {
    const next = queue.shift();
    if (!next) {
      idle.push(w);
      return;
    }
    inFlight.set(next.job.id, next);
    w.postMessage(next.job);
  }

  function run(job: HashJob): Promise<string | boolean | null> {
    if (closed) return Promise.reject(new Error("hasher is closed"));
    if (!idle.length && queue.length >= queueLimit) return Promise.reject(overloaded());
    return new Promise((resolve, reject) => {
      queue.push({ job, resolve, reject });
      const w = idle.pop();
      if (w) dispatch(w);
    });
  }

  const hash = (password: string) =>
    run({ id: nextId++, op: "hash", password, cost: opts.cost }) as Promise<string>;
  const verify = (password: string, h: string) =>
    run({ id: nextId++, op: "verify", password, hash: h }) as Promise<boolean>;
  // Made at start so that an unknown email costs exactly one comparison, like a wrong password.
  const dummy = hash(crypto.randomUUID());
  dummy.catch(() => {});

  return {
    hash,
    verify,
    async verifyDummy(password) {
      await verify(password, await dummy);
      return false;
    },
    weakness: (password, userInputs) =>
      run({ id: nextId++, op: "weakness", password, userInputs }) as Promise<string | null>,
    close() {
      closed = true;
      for (const w of workers) w.terminate();
      for (const q of queue) q.reject(new Error("hasher is closed"));
      queue.length = 0;
    },
  };
}
