/**
 * Starting from a configuration: the database (the embedded one in DATA_DIR when MONGO_URI is
 * unset), the master indexes and the dependencies. The one bootstrap of `src/main.ts`, the
 * command-line tasks (src/tasks/) and the tests.
 */
import { laterWork, sleep } from "./platform/async.ts";
import { type EmbeddedServer, startFerretDB } from "./platform/embedded/ferretdb.ts";
import { createCache } from "./platform/cache.ts";
import { type Config, ConfigError, loadConfig } from "./platform/config.ts";
import { connectDatabase, type Database } from "./platform/db.ts";
import type { Deps, Hooks } from "./platform/deps.ts";
import { createHasher, type Hasher } from "./platform/hasher.ts";
import { ensureAccountTokenIndexes } from "./identity/account-tokens.ts";
import { ensureApiKeyIndexes } from "./identity/api-keys.ts";
import { ensureInvitationIndexes } from "./identity/invitations.ts";
import { ensureMembershipIndexes } from "./identity/memberships.ts";
import { ensureSessionIndexes } from "./identity/sessions.ts";
import { ensureThrottleIndexes } from "./identity/throttle.ts";
import { ensureUserIndexes } from "./identity/users.ts";
import { describeError, type Logger } from "./platform/log.ts";
import { ensureJobIndexes } from "./ops/jobs.ts";
import { ensureOutboxIndexes } from "./outbox/outbox.ts";
import { ensureEndpointIndexes } from "./events/endpoints.ts";
import { ensureMoveDeletionIndexes } from "./tenants/move-deletions.ts";
import { ensureOrgIndexes } from "./tenants/orgs.ts";
import { ensureTombstoneIndexes } from "./tenants/tombstones.ts";

/** Create the master database's indexes (idempotent). The unique ones are what make names, emails and memberships unique. */
export async function ensureMasterIndexes(db: Database, log?: Logger): Promise<void> {
  await ensureOrgIndexes(db.master);
  await ensureUserIndexes(db.master);
  await ensureMembershipIndexes(db.master);
  await ensureSessionIndexes(db.master, log);
  await ensureInvitationIndexes(db.master, log);
  await ensureAccountTokenIndexes(db.master, log);
  await ensureApiKeyIndexes(db.master);
  await ensureThrottleIndexes(db.master, log);
  await ensureJobIndexes(db.master);
  await ensureTombstoneIndexes(db.master, log);
  await ensureMoveDeletionIndexes(db.master);
  await ensureOutboxIndexes(db.master);
  await ensureEndpointIndexes(db.master);
}

export interface DepsOptions {
  config: Config;
  uri: string;
  log: Logger;
  hooks?: Hooks;
  hasher?: Hasher;
  now?: () => Date;
}

export function createDeps(opts: DepsOptions): Deps {
  const { config } = opts;
  const db = connectDatabase({
    uri: opts.uri,
    clusters: config.clusters,
    masterDb: config.masterDb,
    timeoutMs: config.dbTimeoutMs,
  });
  const now = opts.now ?? (() => new Date());
  return {
    config,
    db,
    hasher: opts.hasher ?? createHasher({
      cost: config.bcryptCost,
      workers: config.hashWorkers,
      queueLimit: config.hashQueueLimit,
    }),
    log: opts.log,
    cache: createCache(config.authCacheTtlMs, opts.now ? () => now().getTime() : Date.now),
    now,
    hooks: opts.hooks ?? {},
    instanceId: crypto.randomUUID(),
    later: laterWork(),
  };
}

/** How long closing waits for work started after an answer (an audit entry, a queued mail). */
const LATER_WORK_MS = 10_000;

/** Let work started after an answer end, then release what `createDeps` opened. */
export async function closeDeps(deps: Deps): Promise<void> {
  const left = await deps.later.settled(LATER_WORK_MS);
  if (left) deps.log.warn("closing with work after an answer unfinished", { tasks: left });
  deps.hasher.close();
  await deps.db.close();
}

/** The configuration from `env`; prints the reason and exits 1 when it is invalid. */
export function loadConfigOrExit(env: Record<string, string>): Config {
  try {
    return loadConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(e.message);
      Deno.exit(1);
    }
    throw e;
  }
}

export interface Service {
  deps: Deps;
  /** Release the dependencies and stop the embedded database, if one was started. */
  close(): Promise<void>;
}

export interface OpenOptions {
  /** Lines the embedded database writes (default: dropped). */
  embeddedLog?: (line: string) => void;
  /** Retry the master indexes until the database answers (the service); else fail at once. */
  waitForDatabase?: boolean;
}

/**
 * Open what a process serves from: the database (started embedded when MONGO_URI is unset; it
 * belongs to one process at a time), the dependencies, then the master indexes — unique indexes
 * are what make names and emails unique, so nothing is served before they exist.
 */
export async function openService(
  config: Config,
  log: Logger,
  opts: OpenOptions = {},
): Promise<Service> {
  let embedded: EmbeddedServer | undefined;
  let uri = config.mongoUri;
  if (!uri) {
    embedded = await startFerretDB({
      dataDir: `${config.dataDir}/embedded`,
      log: opts.embeddedLog ?? (() => {}),
    });
    uri = embedded.uri;
    // The URI carries the password: the log gets it without.
    log.info("embedded database started", {
      uri: embedded.redactedUri,
      dataDir: embedded.dataDir,
    });
  }
  const deps = createDeps({ config, uri, log });
  for (let attempt = 1;; attempt++) {
    try {
      await ensureMasterIndexes(deps.db, log);
      break;
    } catch (e) {
      if (!opts.waitForDatabase) {
        await closeDeps(deps);
        await embedded?.stop();
        throw e;
      }
      log.warn("database not ready; retrying", { attempt, ...describeError(e), stack: undefined });
      await sleep(Math.min(attempt, 5) * 1000);
    }
  }
  return {
    deps,
    async close() {
      await closeDeps(deps);
      await embedded?.stop();
    },
  };
}
