/** 001: the audit log, newest first, expiring by `expiresAt` (TTL index where supported). */
import type { Migration } from "./migration.ts";
import { ensureTtlIndex } from "../../platform/db.ts";
import { TENANT_COLLECTIONS } from "../service-collections.ts";

/** The audit log's first name (migration 003 renames it). */
const AUDIT_LOG = TENANT_COLLECTIONS.legacyAuditLog;

export const migration: Migration = {
  version: 1,
  name: "init",
  async up(db, { log }) {
    const names = new Set(
      (await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name),
    );
    if (!names.has(AUDIT_LOG)) await db.createCollection(AUDIT_LOG);
    const audit = db.collection(AUDIT_LOG);
    await audit.createIndex({ at: -1, _id: -1 }, { name: "newest_first" });
    await ensureTtlIndex(audit, "expiresAt", log);
  },
};
