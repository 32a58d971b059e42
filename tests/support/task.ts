/**
 * Command-line tasks as child processes over the test server, so a test sees what an operator
 * sees: the output, the exit code, what a kill leaves behind.
 */
import type { TestApp } from "./app.ts";
import { mongoUri, SECRET } from "./app.ts";
import { type Service, spawnDeno } from "../../tools/lib/spawn.ts";

/** The environment of a task over the same master database and tenant prefix as `app`. */
export function taskEnv(app: TestApp, extra: Record<string, string> = {}): Record<string, string> {
  return {
    MONGO_URI: mongoUri(),
    MASTER_DB: app.config.masterDb,
    TENANT_DB_PREFIX: app.config.tenantDbPrefix,
    JWT_SECRET: SECRET,
    LOG_LEVEL: "warn",
    ...extra,
  };
}

export interface TaskRun {
  child: Service;
  /** What the task wrote so far. */
  stdout(): string;
  stderr(): string;
  /** The exit code, once the output is read to its end. */
  done: Promise<number>;
}

/** Start `script` (a path from the repository root) with `args`; stdout is a pipe, not a TTY. */
export async function startTask(
  script: string,
  args: string[],
  env: Record<string, string>,
): Promise<TaskRun> {
  const child = await spawnDeno(script, { args, env, waitPath: null });
  return {
    child,
    stdout: child.stdout,
    stderr: child.stderr,
    done: child.exited.then((s) => s.code),
  };
}

/** Run `script` to its end. */
export async function runTask(script: string, args: string[], env: Record<string, string>) {
  const run = await startTask(script, args, env);
  const code = await run.done;
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}
