/** What the app and the domain functions are built from: explicit, so tests can swap any part. */
import type { Config } from "./config.ts";
import type { Database } from "./db.ts";
import type { Hasher } from "./hasher.ts";
import type { Cache } from "./cache.ts";
import type { Logger } from "./log.ts";
import type { Later } from "./async.ts";

export type ProvisioningStep = "claimed" | "database" | "owner" | "decided";
export type DeletionStep = "marked" | "database" | "references" | "document" | "outcome";
export type RefreshStep = "claimed";
export type MoveStep =
  | "marked"
  | "copy-batch"
  | "copied"
  | "caught-up"
  | "maintenance"
  | "verified"
  | "switched"
  | "dropped";

/**
 * Test hooks, awaited after each step of provisioning, deletion, a refresh token's rotation and
 * moves. Not reachable over HTTP; a hook that never resolves stops the work there, as a crash would.
 */
export interface Hooks {
  afterProvisioningStep?(step: ProvisioningStep, orgId: string): Promise<void> | void;
  afterDeletionStep?(step: DeletionStep, orgId: string): Promise<void> | void;
  /** After each step of a move (src/ops/move/); `jobId` is the move job's. */
  afterMoveStep?(step: MoveStep, jobId: string): Promise<void> | void;
  afterRefreshStep?(step: RefreshStep, sessionId: string): Promise<void> | void;
}

export interface Deps {
  config: Config;
  db: Database;
  hasher: Hasher;
  log: Logger;
  /** Short-TTL cache of master data (≤ 5 s), forgotten locally on change. */
  cache: Cache;
  now: () => Date;
  hooks: Hooks;
  /** Identifies this process as a lease holder. */
  instanceId: string;
  /** Work started after an answer has gone; closing the dependencies waits for it. */
  later: Later;
}
