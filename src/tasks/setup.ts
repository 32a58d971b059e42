/**
 * What every command-line task starts from: the configuration from the environment, the
 * database (the embedded one in DATA_DIR when MONGO_URI is unset, as `deno task start` does),
 * the master indexes, and the dependencies. Logs go to stderr; stdout is the task's own output.
 */
import { ConfigError, loadConfig } from "../platform/config.ts";
import type { Deps } from "../platform/deps.ts";
import { type EmbeddedServer, startFerretDB } from "../embedded/ferretdb.ts";
import { createLogger } from "../platform/log.ts";
import { closeDeps, createDeps, ensureMasterIndexes } from "../bootstrap.ts";

export interface Task {
  deps: Deps;
  close(): Promise<void>;
}

/** Open the task's dependencies; prints the reason and exits 1 on a bad configuration. */
export async function openTask(env = Deno.env.toObject()): Promise<Task> {
  let config;
  try {
    // One hashing worker: tasks hash no passwords on a hot path.
    config = loadConfig({ LOG_LEVEL: "warn", HASH_WORKERS: "1", ...env });
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(e.message);
      Deno.exit(1);
    }
    throw e;
  }
  const log = createLogger(config.logLevel, (line) => console.error(line));
  let embedded: EmbeddedServer | undefined;
  let uri = config.mongoUri;
  if (!uri) {
    // The embedded database belongs to one process at a time: stop the service first.
    embedded = await startFerretDB({ dataDir: `${config.dataDir}/ferretdb`, log: () => {} });
    uri = embedded.uri;
  }
  const deps = createDeps({ config, uri, log });
  await ensureMasterIndexes(deps.db, log);
  return {
    deps,
    async close() {
      await closeDeps(deps);
      await embedded?.stop();
    },
  };
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
