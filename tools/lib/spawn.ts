/**
 * The one way to run a program of this repository as a child process: the service
 * (`src/main.ts`) for the reliability tests, the benchmark and the browser tests, any other
 * Deno script that answers HTTP, or a command-line task run to its end. It picks a free port,
 * waits until a path answers 200 (unless told not to), keeps the output, and stops with SIGTERM
 * then SIGKILL.
 */
import { terminate } from "../../src/platform/embedded/child.ts";
import { freePort } from "../../src/platform/embedded/ferretdb.ts";
import { waitUntil } from "./wait.ts";

/** The repository root: children run there, so deno.json's import map applies. */
export const ROOT = new URL("../../", import.meta.url).pathname;

export interface SpawnOptions {
  /** Added to this process's environment; PORT is picked free unless given. */
  env?: Record<string, string>;
  /** Deno flags before the script (default `--allow-all`). */
  flags?: string[];
  /** Arguments after the script. */
  args?: string[];
  /** Wait until this path answers 200 (default `/ready`); `null` returns at once. */
  waitPath?: string | null;
  readyTimeoutMs?: number;
  /** Keep at most this many characters of output, the latest (default: all). */
  maxOutputChars?: number;
}

export interface Service {
  url: string;
  port: number;
  pid: number;
  env: Record<string, string>;
  child: Deno.ChildProcess;
  /** Everything the process wrote to stdout and stderr so far (within `maxOutputChars`). */
  output(): string;
  /** What it wrote to stdout alone, and to stderr alone (within `maxOutputChars` each). */
  stdout(): string;
  stderr(): string;
  /** The last `n` non-empty lines of the output. */
  tail(n?: number): string[];
  /** Resolves when the process exits and its output is read. */
  exited: Promise<Deno.CommandStatus>;
  kill(signal: Deno.Signal): void;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit status. Safe to call twice. */
  stop(graceMs?: number): Promise<Deno.CommandStatus>;
  /** SIGKILL (if still running) and wait: for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}

/** Start `deno run <flags> <script>` from the repository root and wait until it is ready. */
export async function spawnDeno(script: string, opts: SpawnOptions = {}): Promise<Service> {
  const port = Number(opts.env?.PORT ?? freePort());
  const env = { ...opts.env, PORT: String(port) };
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...(opts.flags ?? ["--allow-all"]), script, ...(opts.args ?? [])],
    cwd: ROOT,
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const text = { out: "", stdout: "", stderr: "" };
  const max = opts.maxOutputChars ?? Infinity;
  const keep = (key: keyof typeof text, s: string) => {
    text[key] += s;
    if (text[key].length > max) text[key] = text[key].slice(text[key].length - max);
  };
  const drain = async (stream: ReadableStream<Uint8Array>, key: "stdout" | "stderr") => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      const s = decoder.decode(chunk, { stream: true });
      keep("out", s);
      keep(key, s);
    }
  };
  const drained = Promise.all([drain(child.stdout, "stdout"), drain(child.stderr, "stderr")])
    .catch(() => {});
  const exited = child.status.then(async (s) => {
    await drained;
    return s;
  });
  const url = `http://127.0.0.1:${port}`;
  const kill = (signal: Deno.Signal) => {
    try {
      child.kill(signal);
    } catch { /* already gone */ }
  };
  let stopped: Promise<Deno.CommandStatus> | undefined;
  const service: Service = {
    url,
    port,
    pid: child.pid,
    env,
    child,
    output: () => text.out,
    stdout: () => text.stdout,
    stderr: () => text.stderr,
    tail: (n = 20) => text.out.split("\n").filter(Boolean).slice(-n),
    exited,
    kill,
    stop(graceMs = 10_000) {
      stopped ??= terminate(child, graceMs).then(() => exited);
      return stopped;
    },
    async [Symbol.asyncDispose]() {
      kill("SIGKILL");
      await exited;
    },
  };
  const waitPath = opts.waitPath === undefined ? "/ready" : opts.waitPath;
  if (waitPath !== null) {
    let gone: Deno.CommandStatus | undefined;
    exited.then((s) => gone = s);
    try {
      await waitUntil(
        async () => {
          if (gone) return true;
          const res = await fetch(`${url}${waitPath}`, { signal: AbortSignal.timeout(5000) });
          await res.body?.cancel();
          return res.status === 200;
        },
        `${script} on port ${port} to answer ${waitPath}`,
        { timeoutMs: opts.readyTimeoutMs ?? 60_000 },
      );
      if (gone) throw new Error(`${script} exited with code ${gone.code} before it was ready`);
    } catch (e) {
      kill("SIGKILL");
      await exited;
      throw new Error(`${(e as Error).message}\n--- output ---\n${service.output()}`);
    }
  }
  return service;
}

/**
 * The service, `src/main.ts`, with `env` added to this process's environment; ready when
 * `/ready` answers 200 (the database is reachable), unless `waitPath` says otherwise.
 */
export function spawnService(
  env: Record<string, string>,
  opts: Omit<SpawnOptions, "env"> = {},
): Promise<Service> {
  return spawnDeno("src/main.ts", { ...opts, env });
}
