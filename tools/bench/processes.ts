/** Child processes of the bench: the service (production mode), the hello-world ceiling. */
import { keepTail, terminate } from "../../src/embedded/child.ts";
import { freePort } from "../../src/embedded/ferretdb.ts";

/** The repository root: children run there, so deno.json's import map applies. */
const ROOT = new URL("../../", import.meta.url).pathname;

export interface Child {
  pid: number;
  url: string;
  /** Peak resident memory so far (VmHWM, MiB). */
  peakRssMiB(): number;
  /** The last lines the process wrote on stderr. */
  stderrTail(): string[];
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

/** The children of this process (pid and command line), to find FerretDB's pid. */
export function childProcesses(): { pid: number; cmd: string }[] {
  const pids = new Set<number>();
  for (const t of Deno.readDirSync("/proc/self/task")) {
    const text = Deno.readTextFileSync(`/proc/self/task/${t.name}/children`).trim();
    for (const p of text.split(/\s+/).filter(Boolean)) pids.add(Number(p));
  }
  return [...pids].map((pid) => {
    let cmd = "";
    try {
      cmd = Deno.readTextFileSync(`/proc/${pid}/cmdline`).replaceAll("\0", " ").trim();
    } catch { /* gone */ }
    return { pid, cmd };
  });
}

async function waitForHealth(url: string, child: Deno.ChildProcess, timeoutMs: number) {
  let exited = false;
  child.status.then(() => exited = true);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !exited) {
    try {
      const res = await fetch(url);
      await res.body?.cancel();
      if (res.ok) return;
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(exited ? `${url}: the process exited` : `${url} did not answer in time`);
}

/** Spawn `deno <args>` on a free PORT and wait until `healthPath` answers 200. */
async function spawn(
  args: string[],
  env: Record<string, string>,
  healthPath: string,
): Promise<Child> {
  const port = freePort();
  const child = new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    env: { ...env, PORT: String(port) },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const tail = keepTail(child.stderr, 20);
  const url = `http://127.0.0.1:${port}`;
  let stopped: Promise<void> | undefined;
  const c: Child = {
    pid: child.pid,
    url,
    peakRssMiB: () => procMemMiB(child.pid, "VmHWM"),
    stderrTail: tail,
    stop(graceMs = 15_000) {
      stopped ??= terminate(child, graceMs).then(() => {});
      return stopped;
    },
  };
  try {
    await waitForHealth(`${url}${healthPath}`, child, 60_000);
  } catch (e) {
    await c.stop(1000);
    throw new Error(`${e instanceof Error ? e.message : e}\n${c.stderrTail().join("\n")}`);
  }
  return c;
}

export function startHello(): Promise<Child> {
  const hello = new URL("./hello.ts", import.meta.url).pathname;
  return spawn(["run", "--allow-net", "--allow-env", hello], {}, "/");
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
  const replay = new URL("./replay.ts", import.meta.url).pathname;
  return spawn(["run", "--allow-net", "--allow-env", replay], {
    BENCH_REPLAY: JSON.stringify(answer),
  }, "/");
}

export interface ServiceOptions {
  mongoUri: string;
  env: Record<string, string>;
  /** Write a V8 CPU profile of the service here when it stops. */
  profileDir?: string;
}

/** The service as `deno run --allow-all src/main.ts`, from the repository root. */
export function startService(opts: ServiceOptions): Promise<Child> {
  const main = new URL("../../src/main.ts", import.meta.url).pathname;
  const prof = opts.profileDir ? ["--cpu-prof", `--cpu-prof-dir=${opts.profileDir}`] : [];
  return spawn(["run", ...prof, "--allow-all", main], {
    ...opts.env,
    MONGO_URI: opts.mongoUri,
  }, "/health");
}
