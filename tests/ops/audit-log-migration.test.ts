/** Migration 003: the audit log moves from `audit_log` to `_audit_log`, resumably. */
import { ObjectId } from "mongodb";
import { migration as m001 } from "../../src/tenants/migrations/001-init.ts";
import { migration as m003 } from "../../src/tenants/migrations/003-audit-log-name.ts";
import { TENANT_COLLECTIONS } from "../../src/tenants/service-collections.ts";
import { assertEquals } from "../support/assert.ts";
import { createTestApp, dbTest } from "../support/app.ts";

Deno.test(
  "003 renames the audit log, keeps every event, and runs again harmlessly",
  dbTest,
  async () => {
    // A database of the app's tenant prefix: dropped with the app.
    await using t = await createTestApp();
    const db = t.deps.db.clients.default.db(
      `${t.config.tenantDbPrefix}${new ObjectId().toHexString()}`,
    );
    const ctx = { now: () => new Date(), owner: { master: t.config.masterDb, orgId: "x" } };
    await m001.up(db, ctx);
    const ids = Array.from({ length: 7 }, () => new ObjectId());
    await db.collection("audit_log").insertMany(ids.map((_id) => ({ _id, type: "org.created" })));
    // A run stopped part-way: some events already copied to the new name.
    await db.collection(TENANT_COLLECTIONS.auditLog).insertOne({
      _id: ids[0],
      type: "org.created",
    })
      .catch(() => {});
    await m003.up(db, ctx);
    await m003.up(db, ctx);
    const names = (await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name);
    assertEquals(names.includes("audit_log"), false);
    const copied = await db.collection(TENANT_COLLECTIONS.auditLog).find({}).sort({ _id: 1 })
      .toArray();
    assertEquals(copied.map((d) => d._id.toHexString()), ids.map((i) => i.toHexString()));
  },
);
