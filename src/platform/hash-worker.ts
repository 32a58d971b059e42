/// <reference lib="deno.worker" />
/**
 * A password worker: bcrypt and the strength check run here, so neither blocks the server's
 * event loop. The strength dictionaries load on the first check.
 */
import bcrypt from "bcryptjs";

export type HashJob =
  | { id: number; op: "hash"; password: string; cost: number }
  | { id: number; op: "verify"; password: string; hash: string }
  | { id: number; op: "weakness"; password: string; userInputs: string[] };

export type HashResult =
  | { id: number; value: string | boolean | null }
  | { id: number; error: string };

async function run(job: HashJob): Promise<string | boolean | null> {
  switch (job.op) {
    case "hash":
      return bcrypt.hashSync(job.password, job.cost);
    case "verify":
      return bcrypt.compareSync(job.password, job.hash);
    case "weakness": {
      const { passwordWeakness } = await import("./password-strength.ts");
      return passwordWeakness(job.password, job.userInputs);
    }
  }
}

self.onmessage = async (e: MessageEvent<HashJob>) => {
  const job = e.data;
  try {
    self.postMessage({ id: job.id, value: await run(job) } satisfies HashResult);
  } catch (err) {
    self.postMessage({ id: job.id, error: String(err) } satisfies HashResult);
  }
};
