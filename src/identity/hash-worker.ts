/// <reference lib="deno.worker" />
/** A bcrypt worker: hashing runs here so it never blocks the server's event loop. */
import bcrypt from "bcryptjs";

export type HashJob =
  | { id: number; op: "hash"; password: string; cost: number }
  | { id: number; op: "verify"; password: string; hash: string };

export type HashResult = { id: number; value: string | boolean } | { id: number; error: string };

self.onmessage = (e: MessageEvent<HashJob>) => {
  const job = e.data;
  try {
    const value = job.op === "hash"
      ? bcrypt.hashSync(job.password, job.cost)
      : bcrypt.compareSync(job.password, job.hash);
    self.postMessage({ id: job.id, value } satisfies HashResult);
  } catch (err) {
    self.postMessage({ id: job.id, error: String(err) } satisfies HashResult);
  }
};
