/** Waiting in tests: a pause, and a bounded poll that names what it waited for when it gives up. */

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Poll `cond` until it returns true; throws naming `what` (and the last error) at the bound. */
export async function waitUntil(
  cond: () => Promise<boolean> | boolean,
  what: string,
  { timeoutMs = 20_000, intervalMs = 100 } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      if (await cond()) return;
      last = undefined;
    } catch (e) {
      last = e;
    }
    await sleep(intervalMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${last}` : ""}`);
}
