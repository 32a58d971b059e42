/** 001: the audit log, newest first, expiring by `expiresAt` (TTL index where supported). */
import type { Migration } from "./migration.ts";
import { ensureTtlIndex } from "../../platform/db.ts";

export const migration: Migration = {
  version: 1,
  name: "init",
  async up(db, { log }) {
    const names = new Set(
      (await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name),
    );
    if (!names.has("audit_log")) await db.createCollection("audit_log");
    const audit = db.collection("audit_log");
    await audit.createIndex({ at: -1, _id: -1 }, { name: "newest_first" });
    await ensureTtlIndex(audit, "expiresAt", log);
  },
};
