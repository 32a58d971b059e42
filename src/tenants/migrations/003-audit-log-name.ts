/**
 * 003: the audit log becomes `_audit_log` (the document API reserves names starting with `_`
 * for the service). A server that renames does it in one step, indexes included; one that
 * cannot gets a copy by `_id` and a drop. Idempotent and resumable: a run stopped part-way
 * copies what is left (upserts by `_id`) and drops the old collection only after.
 */
import type { Db } from "mongodb";
import { ensureTtlIndex } from "../../platform/db.ts";
import { TENANT_COLLECTIONS } from "../service-collections.ts";
import type { Migration } from "./migration.ts";

/** The name migration 001 gave the audit log. */
const OLD = TENANT_COLLECTIONS.legacyAuditLog;
const BATCH = 500;

async function names(db: Db): Promise<Set<string>> {
  return new Set((await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name));
}

export const migration: Migration = {
  version: 3,
  name: "audit-log-name",
  async up(db, { log }) {
    const to = TENANT_COLLECTIONS.auditLog;
    let found = await names(db);
    if (found.has(OLD) && !found.has(to)) {
      try {
        await db.renameCollection(OLD, to);
      } catch (e) {
        log?.info("renameCollection refused; copying the audit log instead", {
          database: db.databaseName,
          error: (e as Error).message,
        });
      }
      found = await names(db);
    }
    if (found.has(OLD)) {
      const source = db.collection(OLD);
      const target = db.collection(to);
      let batch = [];
      for await (const doc of source.find({}).sort({ _id: 1 })) {
        batch.push({ replaceOne: { filter: { _id: doc._id }, replacement: doc, upsert: true } });
        if (batch.length === BATCH) {
          await target.bulkWrite(batch, { ordered: false });
          batch = [];
        }
      }
      if (batch.length) await target.bulkWrite(batch, { ordered: false });
      await source.drop();
    } else if (!found.has(to)) {
      await db.createCollection(to);
    }
    const audit = db.collection(to);
    await audit.createIndex({ at: -1, _id: -1 }, { name: "newest_first" });
    await ensureTtlIndex(audit, "expiresAt", log);
  },
};
