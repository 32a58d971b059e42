/**
 * The audit log, kept in each org's own database (`_audit_log`), newest first. Entries carry an
 * `expiresAt` (retention, `AUDIT_RETENTION_DAYS`): a TTL index removes them where the server
 * supports it, the sweeper elsewhere, and reads ignore expired ones either way.
 */
import { type Db, ObjectId } from "mongodb";
import type { Deps } from "../platform/deps.ts";
import { describeError } from "../platform/log.ts";
import { findPage, type Page, type PageRequest } from "../platform/paging.ts";

export const AUDIT_EVENTS = [
  "org.created",
  "org.renamed",
  "org.suspended",
  "org.resumed",
  "org.move_requested",
  "org.moved",
  "member.invited",
  "member.joined",
  "member.removed",
  "member.role_changed",
  "invitation.revoked",
  "login.succeeded",
  "login.failed",
  "session.revoked",
  "password.changed",
  "user.password_reset",
  "user.email_verified",
  "collection.created",
  "collection.dropped",
  "index.created",
  "index.dropped",
  "document.deleted",
  "webhook.created",
  "webhook.deleted",
  "webhook.disabled",
  "api_key.created",
  "api_key.revoked",
] as const;
export type AuditEventType = typeof AUDIT_EVENTS[number];

/** An org's API key as the actor of an event. */
export interface KeyActor {
  type: "api_key";
  id: string;
  name: string;
}

/** Who did it and from where: built from the request by the route. */
export interface RequestContext {
  requestId?: string;
  ip: string;
  actor?: { userId: string; email?: string } | KeyActor;
}

interface AuditDoc {
  _id: ObjectId;
  type: AuditEventType;
  at: Date;
  /** A person (or nobody: both null), or an org's API key. */
  actor: { userId: string | null; email: string | null } | KeyActor;
  target: Record<string, string> | null;
  requestId: string | null;
  ip: string;
  expiresAt: Date;
}

export type AuditEvent = Omit<AuditDoc, "_id" | "expiresAt"> & { id: string };

/**
 * The collection's name in a tenant database. Names starting with `_` are the service's own
 * (the document API refuses them); src/tenants/service-collections.ts lists them all.
 */
export const AUDIT_LOG = "_audit_log";
const auditLog = (db: Db) => db.collection<AuditDoc>(AUDIT_LOG);

/**
 * Record an event in the org's database. The action it describes has already happened, so a
 * failed write is logged, not thrown.
 */
export async function recordEvent(
  deps: Deps,
  org: { cluster: string; databaseName: string },
  type: AuditEventType,
  ctx: RequestContext,
  target: Record<string, string> | null = null,
): Promise<void> {
  const at = deps.now();
  const doc: AuditDoc = {
    _id: new ObjectId(),
    type,
    at,
    actor: ctx.actor && "type" in ctx.actor
      ? { type: "api_key", id: ctx.actor.id, name: ctx.actor.name }
      : { userId: ctx.actor?.userId ?? null, email: ctx.actor?.email ?? null },
    target,
    requestId: ctx.requestId ?? null,
    ip: ctx.ip,
    expiresAt: new Date(at.getTime() + deps.config.auditRetentionDays * 86_400_000),
  };
  const db = deps.db.tenantDb(org);
  try {
    await auditLog(db).insertOne(doc);
    await dropIfRecreated(db);
  } catch (e) {
    deps.log.error("audit write failed", { type, requestId: ctx.requestId, ...describeError(e) });
  }
}

/**
 * MongoDB creates a database on its first write, so an event recorded for an org deleted while
 * the request was under way (it read the org before the deletion began) would bring its
 * database back, holding that one event. A database the service made always holds more than
 * its audit log (its `_meta` at least), so one that holds nothing else was made by this write:
 * it is dropped again. Never is a tenant database created implicitly.
 */
async function dropIfRecreated(db: Db): Promise<void> {
  const names = await db.listCollections({}, { nameOnly: true }).toArray();
  if (names.every((c) => c.name === AUDIT_LOG)) await db.dropDatabase();
}

/** One page of the org's events, newest first (the JWT secret signs the cursor). */
export async function listEvents(
  deps: Pick<Deps, "db" | "now" | "config">,
  scope: { org: { id: string; cluster: string; databaseName: string } },
  page: PageRequest,
): Promise<Page<AuditEvent>> {
  const opts = {
    sort: [{ field: "at", direction: -1 as const }],
    scope: `audit:${scope.org.id}`,
    secret: deps.config.jwtSecret,
  };
  return await findPage(
    auditLog(deps.db.tenantDb(scope.org)),
    opts,
    { expiresAt: { $gt: deps.now() } },
    page,
    ({ _id, expiresAt: _, ...rest }) => ({ id: _id.toHexString(), ...rest }),
  );
}

export async function deleteExpiredEvents(db: Db, now: Date): Promise<number> {
  return (await auditLog(db).deleteMany({ expiresAt: { $lte: now } })).deletedCount;
}
