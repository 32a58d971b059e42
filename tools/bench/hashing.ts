/**
 * The login ceiling: bcrypt comparisons per second through the project's own worker pool
 * (src/identity/hasher.ts), with the cost and worker count the service uses.
 */
import { createHasher } from "../../src/platform/hasher.ts";
import { cpuSeconds } from "./processes.ts";

export interface HashingResult {
  cost: number;
  workers: number;
  ops: number;
  durationS: number;
  opsPerS: number;
  /** Mean time of one comparison on an idle worker. */
  meanMs: number;
  /** CPU use of this process while measuring (100 = one core). */
  cpuPct: number;
}

/**
 * Keep every worker busy for `durationS` and count the comparisons that finish within it, as
 * wrk counts requests (work still running at the end is not counted in either).
 */
export async function measureHashing(
  cost: number,
  workers: number,
  durationS: number,
): Promise<HashingResult> {
  const hasher = createHasher({ cost, workers });
  try {
    const password = "bench-correct-horse-battery";
    const hash = await hasher.hash(password);
    // Warm every worker (JIT) and wait for the pool's own start-up hash.
    await Promise.all(Array.from({ length: workers }, () => hasher.verify(password, hash)));
    await hasher.verifyDummy(password);
    const t0 = performance.now();
    await hasher.verify(password, hash);
    const meanMs = performance.now() - t0;

    const cpu0 = cpuSeconds(Deno.pid);
    const start = performance.now();
    const end = start + durationS * 1000;
    let ops = 0;
    const loop = async () => {
      while (performance.now() < end) {
        if (!await hasher.verify(password, hash)) throw new Error("bcrypt comparison failed");
        if (performance.now() <= end) ops++;
      }
    };
    // Twice as many callers as workers, so the queue never runs dry.
    await Promise.all(Array.from({ length: workers * 2 }, loop));
    const cpuPct = (cpuSeconds(Deno.pid) - cpu0) / ((performance.now() - start) / 1000) * 100;
    return {
      cost,
      workers,
      ops,
      durationS,
      opsPerS: Math.round(ops / durationS * 100) / 100,
      meanMs: Math.round(meanMs),
      cpuPct: Math.round(cpuPct),
    };
  } finally {
    hasher.close();
  }
}
