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
