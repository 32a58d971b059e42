/**
 * The service's own collections in a tenant database, in one place. Their names start with `_`,
 * which the document API reserves, so an org's own collections never clash with them. Each is
 * read and written only by its module (the audit log by src/audit/audit.ts, below this layer,
 * which owns its name).
 */
import { AUDIT_LOG } from "../audit/audit.ts";

export const TENANT_COLLECTIONS = {
  /** The owner marker and the schema version (src/tenants/meta.ts). */
  meta: "_meta",
  auditLog: AUDIT_LOG,
} as const;
