/**
 * The audit log, kept in each org's own database (`audit_log`), newest first. Entries carry an
 * `expiresAt` (retention, `AUDIT_RETENTION_DAYS`): a TTL index removes them where the server
 * supports it, the sweeper elsewhere, and reads ignore expired ones either way.
 */
import { type Db, ObjectId } from "mongodb";
import type { Deps } from "../platform/deps.ts";
import { describeError } from "../platform/log.ts";

export const AUDIT_EVENTS = [
  "org.created",
  "org.renamed",
  "org.suspended",
  "org.resumed",
  "org.move_requested",
  "member.invited",
  "member.joined",
  "member.removed",
  "member.role_changed",
  "invitation.revoked",
  "login.succeeded",
  "login.failed",
  "session.revoked",
  "password.changed",
] as const;
export type AuditEventType = typeof AUDIT_EVENTS[number];

/** Who did it and from where: built from the request by the route. */
export interface RequestContext {
  requestId?: string;
  ip: string;
  actor?: { userId: string; email?: string };
}

interface AuditDoc {
  _id: ObjectId;
  type: AuditEventType;
  at: Date;
  actor: { userId: string | null; email: string | null };
  target: Record<string, string> | null;
  requestId: string | null;
  ip: string;
  expiresAt: Date;
}

export type AuditEvent = Omit<AuditDoc, "_id" | "expiresAt"> & { id: string };

const AUDIT_LOG = "audit_log";
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
    actor: { userId: ctx.actor?.userId ?? null, email: ctx.actor?.email ?? null },
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

/** One page of events, newest first; `before` is the id of the last event of the previous page. */
export async function listEvents(
  db: Db,
  now: Date,
  limit: number,
  before?: string,
): Promise<AuditEvent[]> {
  const docs = await auditLog(db)
    .find({
      expiresAt: { $gt: now },
      ...(before ? { _id: { $lt: new ObjectId(before) } } : {}),
    })
    .sort({ _id: -1 })
    .limit(limit)
    .toArray();
  return docs.map(({ _id, expiresAt: _, ...rest }) => ({ id: _id.toHexString(), ...rest }));
}

export async function deleteExpiredEvents(db: Db, now: Date): Promise<number> {
  return (await auditLog(db).deleteMany({ expiresAt: { $lte: now } })).deletedCount;
}
