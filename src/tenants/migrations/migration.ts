/** The shape of one tenant migration (kept apart so the list and each migration import it). */
import type { Db } from "mongodb";
import type { Logger } from "../../platform/log.ts";
import type { TenantOwner } from "../meta.ts";

export interface MigrationContext {
  log?: Logger;
  /** The clock: a migration never reads the system time itself. */
  now: () => Date;
  /** Whose database this is (the master database and the org). */
  owner: TenantOwner;
}

export interface Migration {
  version: number;
  name: string;
  /** Idempotent: a run that stopped half-way runs it again. */
  up(db: Db, ctx: MigrationContext): Promise<void>;
}
