/**
 * Waiting, timing out and working side by side, in one place: every wait can be cut short by an
 * abort signal, and a failure or an abort leaves no timer and no work running.
 */

/**
 * Wait `ms` (none if not positive). With a `signal`, rejects with its reason when it aborts
 * first: for work that must stop where it is (a move step).
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (ms <= 0) return resolve();
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal!.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Wait `ms`, or less when `signal` aborts: resolves either way, for a loop that checks its own
 * stop condition after each pause (a poller, a retry).
 */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

/**
 * Run `work` at once and then `ms` after each run ends, until the returned function is called,
 * which resolves once the run under way, if any, has ended. Runs never overlap: one that
 * outlasts the interval delays the next rather than running beside it. A run's failure goes to
 * `onError` and the next run comes as usual.
 */
export function repeat(
  ms: number,
  work: () => Promise<unknown>,
  onError: (e: unknown) => void,
): () => Promise<void> {
  const stop = new AbortController();
  const loop = (async () => {
    while (!stop.signal.aborted) {
      await work().catch(onError);
      await pause(ms, stop.signal);
    }
  })();
  return async () => {
    stop.abort();
    await loop;
  };
}

/**
 * `p`'s value, or null when it takes longer than `ms`. `p` keeps running; its late outcome,
 * failure included, is ignored.
 */
export async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | null> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<null>((resolve) => timer = setTimeout(() => resolve(null), ms));
  p.catch(() => {});
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Like Promise.all, but only once every promise settled: none is left running on a failure. */
export async function settled<T>(promises: Promise<T>[]): Promise<T[]> {
  const results = await Promise.allSettled(promises);
  const failed = results.find((r) => r.status === "rejected");
  if (failed) throw (failed as PromiseRejectedResult).reason;
  return results.map((r) => (r as PromiseFulfilledResult<T>).value);
}

/** Run `work` over `items`, at most `limit` at a time; on a failure none is left running. */
export async function eachLimited<T>(
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
 * Work a request starts once its answer has gone (so that the answer's timing does not show it),
 * kept track of so that a stopping process lets it end before it closes the database.
 */
export interface Later {
  /** Run `task` on the next turn of the event loop; its failure goes to `onError`. */
  run(task: () => Promise<void>, onError: (e: unknown) => void): void;
  /** Resolves once every task run so far has ended, or after `ms`, with the number left. */
  settled(ms: number): Promise<number>;
}

export function laterWork(): Later {
  const pending = new Set<Promise<void>>();
  return {
    run(task, onError) {
      const p: Promise<void> = new Promise((resolve) => setTimeout(resolve, 0))
        .then(task)
        .catch(onError)
        .finally(() => pending.delete(p));
      pending.add(p);
    },
    async settled(ms) {
      const deadline = Date.now() + ms;
      // Again while tasks remain: one that ends may have run another.
      while (pending.size) {
        const left = deadline - Date.now();
        if (left <= 0 || await withTimeout(Promise.all(pending), left) === null) break;
      }
      return pending.size;
    },
  };
}
