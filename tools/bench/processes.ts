/** Child processes of the bench: the service (production mode), the hello-world ceiling. */
import { spawnDeno, type SpawnOptions } from "../lib/spawn.ts";

export interface Child {
  pid: number;
  url: string;
  /** Peak resident memory so far (VmHWM, MiB). */
  peakRssMiB(): number;
  /** The last lines the process wrote on stdout and stderr. */
  outputTail(): string[];
  /** SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/** A `/proc/<pid>/status` field in MiB (VmRSS, VmHWM); 0 when the process is gone. */
export function procMemMiB(pid: number, field: "VmRSS" | "VmHWM"): number {
  try {
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status);
    return m ? Math.round(Number(m[1]) / 1024 * 10) / 10 : 0;
  } catch {
    return 0;
  }
}

/** CPU time (user + system, all threads) a process has used so far, in seconds. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    // Fields after "(comm)": state is field 3, utime 14, stime 15 (in clock ticks of 1/100 s).
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return 0;
  }
}

/** Spawn a script of the repository with `spawnDeno`, as the bench sees a child. */
async function spawn(script: string, opts: SpawnOptions): Promise<Child> {
  // A bounded tail: under load the service may log on every request, and only the end matters.
  const child = await spawnDeno(script, { maxOutputChars: 64_000, ...opts });
  return {
    pid: child.pid,
    url: child.url,
    peakRssMiB: () => procMemMiB(child.pid, "VmHWM"),
    outputTail: () => child.tail(20),
    stop: async (graceMs = 15_000) => void await child.stop(graceMs),
  };
}

export function startHello(): Promise<Child> {
  return spawn("tools/bench/hello.ts", { flags: ["--allow-net", "--allow-env"], waitPath: "/" });
}

/** A recorded answer, as tools/bench/replay.ts serves it. */
export interface Recorded {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Record the service's answer to one GET (Date and Content-Length are Deno's to add). */
export async function record(url: string, token?: string): Promise<Recorded> {
  const res = await fetch(url, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
  const body = await res.text();
  const headers: Record<string, string> = {};
  for (const [name, value] of res.headers) {
    if (name !== "date" && name !== "content-length") headers[name] = value;
  }
  return { status: res.status, headers, body };
}

/** The same-bytes floor: a bare Deno.serve answering `answer` to every request. */
export function startReplay(answer: Recorded): Promise<Child> {
  return spawn("tools/bench/replay.ts", {
    flags: ["--allow-net", "--allow-env"],
    env: { BENCH_REPLAY: JSON.stringify(answer) },
    waitPath: "/",
  });
}

export interface ServiceOptions {
  mongoUri: string;
  env: Record<string, string>;
  /** Write a V8 CPU profile of the service here when it stops. */
  profileDir?: string;
  /** The entry point (default `src/main.ts`; tools/bench/compare.ts runs an older build's). */
  script?: string;
}

/** The service as `deno run --allow-all src/main.ts` (the spawner the tests use). */
export function startService(opts: ServiceOptions): Promise<Child> {
  const prof = opts.profileDir ? ["--cpu-prof", `--cpu-prof-dir=${opts.profileDir}`] : [];
  return spawn(opts.script ?? "src/main.ts", {
    flags: [...prof, "--allow-all"],
    env: { ...opts.env, MONGO_URI: opts.mongoUri },
    waitPath: "/health",
  });
}
