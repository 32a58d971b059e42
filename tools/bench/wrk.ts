/** Running `wrk` with tools/bench/request.lua, and installing it when it is missing. */
import { type Machine, thisMachine } from "../chromium.ts";

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
  /** JSON bodies sent in turn instead of `body` (each thread goes through them in order). */
  bodies?: string[];
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
      BENCH_BODIES: (o.bodies ?? []).join("\n"),
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

/** The command that installs it, as the user should type it. */
export function wrkInstallCommand(root: boolean): string {
  const sudo = root ? "" : "sudo ";
  return `${sudo}apt-get update && ${sudo}DEBIAN_FRONTEND=noninteractive apt-get install -y wrk`;
}

/**
 * Make sure `wrk` is on PATH: when it is missing and this process is root with apt-get (a fresh
 * Debian or Ubuntu machine, CI), install Debian's package without a question asked, waiting up
 * to 5 minutes for a package lock another apt holds (a fresh machine's unattended upgrades);
 * otherwise throw with the command to run.
 */
export async function ensureWrk(machine: Machine = thisMachine): Promise<void> {
  if (await machine.has("wrk")) return;
  const root = machine.uid() === 0;
  const missing = "The bench drives the service with wrk, which is not installed.";
  if (!root || !await machine.has("apt-get")) {
    throw new Error(`${missing} Install it with:\n  ${wrkInstallCommand(root)}`);
  }
  console.error(`${missing} Installing Debian's wrk package: ${wrkInstallCommand(true)}`);
  const env = { DEBIAN_FRONTEND: "noninteractive" };
  const lock = ["-o", "DPkg::Lock::Timeout=300"];
  try {
    await machine.run("apt-get", [...lock, "update"], env);
    await machine.run("apt-get", [...lock, "install", "-y", "wrk"], env);
  } catch (e) {
    throw new Error(
      `${missing} Installing it failed: ${(e as Error).message}\n` +
        `Install it with:\n  ${wrkInstallCommand(true)}`,
    );
  }
  if (!await machine.has("wrk")) throw new Error(`${missing} apt-get installed wrk, not on PATH.`);
}
