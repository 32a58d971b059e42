/**
 * The service process: the only place that reads the environment. Starts the embedded
 * database when MONGO_URI is unset, serves, and shuts down gracefully on SIGINT/SIGTERM.
 */
import { createApp } from "./app.ts";
import { ConfigError, loadConfig } from "./platform/config.ts";
import { type EmbeddedServer, startFerretDB } from "./embedded/ferretdb.ts";
import { createLogger, describeError } from "./platform/log.ts";
import { startMaintenance } from "./ops/maintenance.ts";
import { startJobRunner } from "./ops/job-runner.ts";
import { MOVE_JOB, moveJobHandler } from "./ops/move.ts";
import { closeDeps, createDeps, ensureMasterIndexes } from "./bootstrap.ts";
import { prepareConsole } from "./routes/console.ts";

async function main(): Promise<number> {
  let config;
  try {
    config = loadConfig(Deno.env.toObject());
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(e.message);
      return 1;
    }
    throw e;
  }
  const log = createLogger(config.logLevel);
  if (config.jwtSecretGenerated) {
    log.warn(
      "JWT_SECRET is not set: generated one for this process (development only); " +
        "tokens stop working when it restarts",
    );
  }

  let embedded: EmbeddedServer | undefined;
  let uri = config.mongoUri;
  if (!uri) {
    try {
      embedded = await startFerretDB({
        dataDir: `${config.dataDir}/embedded`,
        log: (line) => log.info(line),
      });
    } catch (e) {
      console.error(e instanceof Error ? e.message : String(e));
      return 1;
    }
    uri = embedded.uri;
    log.info("embedded database started", { uri, dataDir: embedded.dataDir });
  }

  const deps = createDeps({ config, uri, log });
  // Unique indexes are what make names and emails unique: serve only once they exist.
  for (let attempt = 1;; attempt++) {
    try {
      await ensureMasterIndexes(deps.db, log);
      break;
    } catch (e) {
      log.warn("database not ready; retrying", { attempt, ...describeError(e), stack: undefined });
      await new Promise((r) => setTimeout(r, Math.min(attempt, 5) * 1000));
    }
  }

  const app = createApp(deps);
  const server = Deno.serve({
    port: config.port,
    hostname: config.host,
    onListen: ({ hostname, port }) => log.info("listening", { url: `http://${hostname}:${port}` }),
  }, app.fetch);
  const stopMaintenance = startMaintenance(deps);
  const stopJobs = startJobRunner(deps, { [MOVE_JOB]: moveJobHandler() });
  // A failed build is logged here and retried by the first request for the script.
  prepareConsole(deps).catch((e) => log.error("console bundle failed", describeError(e)));

  const { promise: stopping, resolve: stop } = Promise.withResolvers<string>();
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(signal, () => stop(signal));
  }
  const signal = await stopping;
  log.info("shutting down", { signal });
  // Stop accepting, let in-flight requests finish, then close the database and the hashers.
  await server.shutdown();
  await stopMaintenance();
  // A job under way is handed back: another instance (or this one restarted) resumes it.
  await stopJobs();
  await closeDeps(deps);
  await embedded?.stop();
  log.info("stopped");
  return 0;
}

Deno.exit(await main());
