/**
 * The service's own names in an org's database, in one place: its collections and the field it
 * adds to every document. Their names start with `_`, which the document API reserves (it also
 * refuses every name starting with `system`), so a tenant can neither read nor forge them and an
 * org's own collections never clash with them. Each collection is read and written only by its
 * module; the audit log's name belongs to src/audit/audit.ts, below this layer.
 */
import { AUDIT_LOG } from "../audit/audit.ts";

export const TENANT_COLLECTIONS = {
  /** The owner marker and the schema version (src/tenants/meta.ts). */
  meta: "_meta",
  /** The org's counters of collections and documents (src/tenants/usage.ts). */
  usage: "_usage",
  /** The audit log (src/audit/audit.ts). */
  auditLog: AUDIT_LOG,
  /** The audit log's name until migration 003 renames it to `auditLog` on every org. */
  legacyAuditLog: "audit_log",
} as const;

/**
 * The hidden write stamp of every document of the document API (a fresh ObjectId per write,
 * its `ETag`; src/data/sanitize.ts keeps clients from naming it), by which a move copies what
 * changed since a stamp.
 */
export const STAMP_FIELD = "_stamp";

export const SERVICE_COLLECTIONS: readonly string[] = Object.values(TENANT_COLLECTIONS);

export const isServiceCollection = (name: string) => SERVICE_COLLECTIONS.includes(name);
