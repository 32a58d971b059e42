/**
 * `deno task move <slug> <cluster>`: move an org's database to another cluster. Queues a
 * `move` job and runs it here, showing its progress; if a service instance claims it first, it
 * follows the job instead. Exit code 0 when the org has moved, 1 when the move failed (the org
 * stays where it was), 2 when interrupted (any instance resumes the job).
 */
import { sleep } from "../platform/async.ts";
import { AppError } from "../platform/errors.ts";
import { runClaimedJob } from "../ops/job-runner.ts";
import { claimJob, getJob, type Job } from "../ops/jobs.ts";
import { MOVE_JOB, moveJobHandler, requestMove } from "../ops/move/mod.ts";
import { openTask, parseArgs } from "./cli.ts";

const USAGE = "usage: deno task move <slug> <cluster>";
const LEASE_MS = 30_000;
/** Who asks, as the org's audit log records it: this task on the operator's host. */
const TASK = { ip: "internal", requestId: "task-move" };

function describe(job: Job): string {
  const { done, total } = job.progress;
  const phase = typeof job.state.phase === "string" ? job.state.phase : "queued";
  return `${job.status} · ${phase} · ${done}/${total} documents`;
}

async function main(): Promise<number> {
  const { flags, positional } = parseArgs(Deno.args);
  if (positional.length !== 2 || flags.size) {
    console.error(USAGE);
    return 64;
  }
  const [slug, cluster] = positional;
  const { deps, close } = await openTask();
  try {
    let job;
    try {
      job = await requestMove(deps, slug, cluster, TASK);
    } catch (e) {
      if (e instanceof AppError) {
        console.error(`${e.code}: ${e.message}`);
        return 1;
      }
      throw e;
    }
    console.log(`job ${job.id}: move ${slug} from ${job.params.from} to ${cluster}`);
    const stop = new AbortController();
    const onSignal = () => stop.abort();
    Deno.addSignalListener("SIGINT", onSignal);
    const show = setInterval(async () => {
      const now = await getJob(deps.db.master, job.id).catch(() => null);
      if (now) console.log(describe(now));
    }, 2000);
    try {
      const claimed = await claimJob(deps.db.master, {
        holder: deps.instanceId,
        leaseMs: LEASE_MS,
        now: deps.now(),
        kinds: [MOVE_JOB],
        id: job.id,
      });
      if (claimed) {
        await runClaimedJob(deps, claimed, moveJobHandler(), {
          leaseMs: LEASE_MS,
          signal: stop.signal,
        });
      } else {
        console.log("a service instance is running the job; following it");
      }
      for (;;) {
        const now = await getJob(deps.db.master, job.id);
        if (!now || stop.signal.aborted) return 2;
        if (now.status === "succeeded" || now.status === "failed") {
          const detail = now.status === "failed"
            ? `: ${now.error}`
            : ` (writes refused for ${now.state.writeUnavailableMs} ms)`;
          console.log(`${now.status}${detail}`);
          return now.status === "succeeded" ? 0 : 1;
        }
        await sleep(1000);
      }
    } finally {
      clearInterval(show);
      Deno.removeSignalListener("SIGINT", onSignal);
    }
  } finally {
    await close();
  }
}

if (import.meta.main) Deno.exit(await main());
