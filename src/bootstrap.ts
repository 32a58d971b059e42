/** Building the dependencies from a configuration: shared by `src/main.ts`, tasks and tests. */
import { createCache } from "./platform/cache.ts";
import type { Config } from "./platform/config.ts";
import { connectDatabase, type Database } from "./platform/db.ts";
import type { Deps, Hooks } from "./platform/deps.ts";
import { createHasher, type Hasher } from "./platform/hasher.ts";
import { ensureInvitationIndexes } from "./identity/invitations.ts";
import { ensureMembershipIndexes } from "./identity/memberships.ts";
import { ensureSessionIndexes } from "./identity/sessions.ts";
import { ensureThrottleIndexes } from "./identity/throttle.ts";
import { ensureUserIndexes } from "./identity/users.ts";
import type { Logger } from "./platform/log.ts";
import { ensureJobIndexes } from "./ops/jobs.ts";
import { ensureOrgIndexes } from "./tenants/orgs.ts";

/** Create the master database's indexes (idempotent). The unique ones are what make names, emails and memberships unique. */
export async function ensureMasterIndexes(db: Database, log?: Logger): Promise<void> {
  await ensureOrgIndexes(db.master);
  await ensureUserIndexes(db.master);
  await ensureMembershipIndexes(db.master);
  await ensureSessionIndexes(db.master, log);
  await ensureInvitationIndexes(db.master, log);
  await ensureThrottleIndexes(db.master, log);
  await ensureJobIndexes(db.master);
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
  };
}

/** Release what `createDeps` opened. */
export async function closeDeps(deps: Deps): Promise<void> {
  deps.hasher.close();
  await deps.db.close();
}
