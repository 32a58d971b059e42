/** Running `wrk` with tools/bench/request.lua, and installing it when it is missing. */

const SCRIPT = new URL("./request.lua", import.meta.url).pathname;

export interface WrkOptions {
  url: string;
  threads: number;
  connections: number;
  durationS: number;
  /** A request slower than this counts as a timeout (wrk's default, 2 s, is too short for logins). */
  timeoutS?: number;
  method?: string;
  /** A JSON body (sent with `Content-Type: application/json`). */
  body?: string;
  token?: string;
  /** Pause between one connection's requests: a paced probe rather than a saturating one. */
  delayMs?: number;
}

export interface WrkResult {
  requests: number;
  durationS: number;
  rps: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  errors: { connect: number; read: number; write: number; status: number; timeout: number };
}

interface WrkJson {
  requests: number;
  durationUs: number;
  errors: WrkResult["errors"];
  latencyUs: { p50: number; p90: number; p99: number; max: number };
}

const ms = (us: number) => Math.round(us / 10) / 100;

export async function runWrk(o: WrkOptions): Promise<WrkResult> {
  const args = [
    `-t${o.threads}`,
    `-c${o.connections}`,
    `-d${o.durationS}s`,
    `--timeout`,
    `${o.timeoutS ?? 10}s`,
    "-s",
    SCRIPT,
    o.url,
  ];
  const out = await new Deno.Command("wrk", {
    args,
    env: {
      BENCH_METHOD: o.method ?? "GET",
      BENCH_BODY: o.body ?? "",
      BENCH_TOKEN: o.token ?? "",
      BENCH_DELAY_MS: String(o.delayMs ?? 0),
    },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  const line = text.split("\n").find((l) => l.startsWith("WRK_JSON "));
  if (!out.success || !line) {
    throw new Error(
      `wrk ${args.join(" ")} failed:\n${text}${new TextDecoder().decode(out.stderr)}`,
    );
  }
  const j = JSON.parse(line.slice("WRK_JSON ".length)) as WrkJson;
  const durationS = j.durationUs / 1e6;
  return {
    requests: j.requests,
    durationS,
    rps: Math.round(j.requests / durationS * 10) / 10,
    p50Ms: ms(j.latencyUs.p50),
    p90Ms: ms(j.latencyUs.p90),
    p99Ms: ms(j.latencyUs.p99),
    maxMs: ms(j.latencyUs.max),
    errors: j.errors,
  };
}

async function hasWrk(): Promise<boolean> {
  try {
    await new Deno.Command("wrk", { args: ["-v"], stdout: "null", stderr: "null" }).output();
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

async function run(cmd: string, args: string[]): Promise<boolean> {
  const child = new Deno.Command(cmd, {
    args,
    env: { DEBIAN_FRONTEND: "noninteractive" },
    stdin: "null",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  return (await child.status).success;
}

/** Make sure `wrk` is on PATH: install the Debian package when running as root, else explain. */
export async function ensureWrk(): Promise<void> {
  if (await hasWrk()) return;
  const howTo = "wrk is not installed. Install it (Debian/Ubuntu: `sudo apt-get update && " +
    "sudo apt-get install -y wrk`) and run `deno task bench` again";
  if (Deno.uid() !== 0) throw new Error(howTo);
  console.error("wrk is not installed: apt-get update && apt-get install -y wrk");
  const ok = await run("apt-get", ["update"]) && await run("apt-get", ["install", "-y", "wrk"]);
  if (!ok || !await hasWrk()) throw new Error(howTo);
}
