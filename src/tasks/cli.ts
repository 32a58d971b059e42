/** What the command-line tasks share beyond src/bootstrap.ts: opening quietly, and flags. */
import { loadConfigOrExit, openService, type Service } from "../bootstrap.ts";
import { createLogger } from "../platform/log.ts";

/**
 * The task's dependencies over the shared bootstrap. Logs go to stderr (stdout is the task's own
 * output), at warn; one hashing worker, since tasks hash no passwords on a hot path.
 */
export async function openTask(env = Deno.env.toObject()): Promise<Service> {
  const config = loadConfigOrExit({ LOG_LEVEL: "warn", HASH_WORKERS: "1", ...env });
  return await openService(config, createLogger(config.logLevel, (line) => console.error(line)));
}

/** `--name=value` flags and positional arguments. */
export function parseArgs(args: string[]): { flags: Map<string, string>; positional: string[] } {
  const flags = new Map<string, string>();
  const positional: string[] = [];
  for (const a of args) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(a);
    if (m) flags.set(m[1], m[2] ?? "true");
    else positional.push(a);
  }
  return { flags, positional };
}
