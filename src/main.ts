/**
 * The service process: the only place that reads the environment. Starts the embedded
 * database when MONGO_URI is unset, serves, and shuts down gracefully on SIGINT/SIGTERM.
 */
import { createApp, createStoppingApp } from "./app.ts";
import { createLogger, describeError } from "./platform/log.ts";
import { startMaintenance } from "./ops/maintenance.ts";
import { startJobRunner } from "./ops/job-runner.ts";
import { MOVE_JOB, moveJobHandler } from "./ops/move/mod.ts";
import { loadConfigOrExit, openService } from "./bootstrap.ts";
import { prepareConsole } from "./routes/console/console.index.ts";
import { createMailer } from "./platform/mail.ts";
import { MAIL_KIND, mailKind } from "./outbox/mail.ts";
import { startOutboxSender } from "./outbox/sender.ts";
import { WEBHOOK_KIND } from "./events/catalogue.ts";
import { webhookSender } from "./access/webhook-flows.ts";
import { drainable } from "./http/drain.ts";

/** How long a stop waits for the requests under way before it closes the server anyway. */
const DRAIN_MS = 20_000;

async function main(): Promise<number> {
  const config = loadConfigOrExit(Deno.env.toObject());
  const log = createLogger(config.logLevel);
  if (config.jwtSecretGenerated) {
    log.warn(
      "JWT_SECRET is not set: generated one for this process (development only); " +
        "tokens stop working when it restarts",
    );
  }

  let service;
  try {
    service = await openService(config, log, {
      embeddedLog: (line) => log.info(line),
      waitForDatabase: true,
    });
  } catch (e) {
    // The embedded database did not start (the indexes are retried until the database answers).
    console.error(e instanceof Error ? e.message : String(e));
    return 1;
  }
  const { deps } = service;

  const app = createApp(deps);
  const stopApp = createStoppingApp(deps);
  const gate = drainable(app.fetch, (req, info) => stopApp.fetch(req, info));
  const server = Deno.serve({
    port: config.port,
    hostname: config.host,
    onListen: ({ hostname, port }) => log.info("listening", { url: `http://${hostname}:${port}` }),
  }, gate.fetch);
  const stopMaintenance = startMaintenance(deps);
  const stopJobs = startJobRunner(deps, { [MOVE_JOB]: moveJobHandler() });
  const leaseMs = config.outboxLeaseSeconds * 1000;
  const mailer = createMailer(config.mail, config.dataDir, log, {
    timeoutMs: Math.min(30_000, leaseMs / 4),
  });
  const stopOutbox = startOutboxSender(deps, {
    [MAIL_KIND]: mailKind(mailer, config.mail),
    [WEBHOOK_KIND]: webhookSender(deps),
  }, { leaseMs });
  // A failed build is logged here and retried by the first request for the script.
  prepareConsole(deps).catch((e) => log.error("console bundle failed", describeError(e)));

  const { promise: stopping, resolve: stop } = Promise.withResolvers<string>();
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(signal, () => stop(signal));
  }
  const signal = await stopping;
  log.info("shutting down", { signal });
  // Take no new request (503) and let those under way finish (src/http/drain.ts says why), stop
  // accepting, then close the database and the hashers.
  const unsent = await gate.drain(DRAIN_MS);
  if (unsent) log.warn("stopping with requests still under way", { requests: unsent });
  await server.shutdown();
  await stopMaintenance();
  // A job under way is handed back: another instance (or this one restarted) resumes it.
  await stopJobs();
  // Sends under way finish and are recorded; the rest stay queued for any instance.
  await stopOutbox();
  mailer.close();
  await service.close();
  log.info("stopped");
  return 0;
}

Deno.exit(await main());
