/**
 * Command-line tasks as child processes over the test server, so a test sees what an operator
 * sees: the output, the exit code, what a kill leaves behind.
 */
import type { TestApp } from "./app.ts";
import { ROOT, SECRET } from "./service.ts";

/** The environment of a task over the same master database and tenant prefix as `app`. */
export function taskEnv(app: TestApp, extra: Record<string, string> = {}): Record<string, string> {
  return {
    MONGO_URI: Deno.env.get("MONGO_URI")!,
    MASTER_DB: app.config.masterDb,
    TENANT_DB_PREFIX: app.config.tenantDbPrefix,
    JWT_SECRET: SECRET,
    LOG_LEVEL: "warn",
    ...extra,
  };
}

export interface TaskRun {
  child: Deno.ChildProcess;
  /** What the task wrote so far. */
  stdout(): string;
  stderr(): string;
  /** The exit code, once the output is read to its end. */
  done: Promise<number>;
}

/** Start `script` (a path from the repository root) with `args`; stdout is a pipe, not a TTY. */
export function startTask(script: string, args: string[], env: Record<string, string>): TaskRun {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", script, ...args],
    cwd: ROOT,
    env,
    clearEnv: false,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const out: string[] = [];
  const err: string[] = [];
  const drain = async (stream: ReadableStream<Uint8Array>, into: string[]) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) into.push(decoder.decode(chunk, { stream: true }));
  };
  const drained = Promise.all([drain(child.stdout, out), drain(child.stderr, err)]);
  const done = child.status.then(async (s) => {
    await drained.catch(() => {});
    return s.code;
  });
  return { child, stdout: () => out.join(""), stderr: () => err.join(""), done };
}

/** Run `script` to its end. */
export async function runTask(script: string, args: string[], env: Record<string, string>) {
  const run = startTask(script, args, env);
  const code = await run.done;
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}
