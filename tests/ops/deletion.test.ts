import { ObjectId } from "mongodb";
import { assert, assertEquals } from "../support/assert.ts";
import { runMaintenance } from "../../src/ops/maintenance.ts";
import { failedOrgMigrations, recordOrgMigration } from "../../src/tenants/migration-records.ts";
import { createOrgAndLogin, createTestApp, dbTest } from "../support/app.ts";

Deno.test(
  "a request under way while its org is deleted recreates no database and leaves no references",
  dbTest,
  async () => {
    // Instance A's clock stands still, so its cache keeps the org for as long as the test needs:
    // A answers as an instance does in the seconds before it sees another instance's change.
    const frozen = new Date();
    await using a = await createTestApp({ now: () => frozen });
    await using b = await createTestApp({ sameDatabaseAs: a });
    const owner = await createOrgAndLogin(a, "In Flight Co");
    const orgDb = `${a.config.tenantDbPrefix}${owner.org.id}`;
    const warm = await a.client(owner.token).v1.orgs[":slug"].members.$get({
      param: { slug: owner.org.slug },
      query: {},
    });
    assertEquals(warm.status, 200);

    const deleted = await b.client(owner.token).v1.orgs[":slug"].$delete({
      param: { slug: owner.org.slug },
    });
    assertEquals(deleted.status, 204);
    assert(!(await b.tenantDatabases()).includes(orgDb));

    // A still believes the org is there: it writes an invitation and an audit event.
    const invited = await a.client(owner.token).v1.orgs[":slug"].invitations.$post({
      param: { slug: owner.org.slug },
      json: { email: "late@example.com", role: "member" },
    });
    assertEquals(invited.status, 201, "served from A's cache, as a request under way would be");
    assert(
      !(await b.tenantDatabases()).includes(orgDb),
      "the audit write did not bring the database back",
    );

    const refs = async () => {
      const master = b.deps.db.master;
      const orgId = { orgId: new ObjectId(owner.org.id) };
      return {
        memberships: await master.collection("memberships").countDocuments(orgId),
        sessions: await master.collection("sessions").countDocuments(orgId),
        invitations: await master.collection("invitations").countDocuments(orgId),
      };
    };
    assertEquals((await refs()).invitations, 1, "the late invitation is in the master database");
    // A session and a membership written as late, by a sign-in and an acceptance under way.
    await b.deps.db.master.collection("memberships").insertOne({
      userId: new ObjectId(owner.admin.id),
      orgId: new ObjectId(owner.org.id),
      role: "member",
      joinedAt: new Date(),
    });
    await b.deps.db.master.collection("sessions").insertOne({
      userId: new ObjectId(owner.admin.id),
      orgId: new ObjectId(owner.org.id),
      refreshHash: "x",
      createdAt: new Date(),
      lastUsedAt: new Date(),
      expiresAt: new Date(Date.now() + 86_400_000),
      revokedAt: null,
    });
    // Another org's references are kept.
    const other = await createOrgAndLogin(b, "Other Co");

    assert(await runMaintenance(b.deps), "the maintenance lease is free");
    assertEquals(await refs(), { memberships: 0, sessions: 0, invitations: 0 });
    const me = await b.client(other.token).v1.me.$get();
    assertEquals(me.status, 200, "the other org's member and session are intact");
  },
);

Deno.test(
  "a document written after its org's deletion does not keep the database: the next pass drops it",
  dbTest,
  async () => {
    // Instance A's clock stands still, so it still serves the org B deletes (a write under way).
    const frozen = new Date();
    await using a = await createTestApp({ now: () => frozen });
    await using b = await createTestApp({ sameDatabaseAs: a });
    const owner = await createOrgAndLogin(a, "Late Writer Co");
    const orgDb = `${a.config.tenantDbPrefix}${owner.org.id}`;
    const slug = owner.org.slug;
    const made = await a.client(owner.token).v1.orgs[":slug"].collections.$post({
      param: { slug },
      json: { name: "notes" },
    });
    assertEquals(made.status, 201);

    const deleted = await b.client(owner.token).v1.orgs[":slug"].$delete({ param: { slug } });
    assertEquals(deleted.status, 204);
    assert(!(await b.tenantDatabases()).includes(orgDb));

    // A write that was under way lands after the drop and creates the database again.
    const late = await a.client(owner.token).v1.orgs[":slug"].collections[":name"].documents
      .$post({ param: { slug, name: "notes" }, json: { text: "late" } });
    assert(late.status === 201 || late.status === 404, `a late write: ${late.status}`);
    await a.deps.db.tenantDb({ cluster: "default", databaseName: orgDb })
      .collection("notes").insertOne({ text: "landed after the drop" });
    assert((await b.tenantDatabases()).includes(orgDb), "the late write made the database");

    assert(await runMaintenance(b.deps), "the maintenance lease is free");
    assert(!(await b.tenantDatabases()).includes(orgDb), "the pass dropped it again");
  },
);

Deno.test("deleting an org removes its record of migration runs", dbTest, async () => {
  await using app = await createTestApp();
  const owner = await createOrgAndLogin(app, "Migrated Then Gone");
  const kept = await createOrgAndLogin(app, "Migrated And Kept");
  const master = app.deps.db.master;
  for (const o of [owner, kept]) {
    await recordOrgMigration(master, o.org.id, {
      slug: o.org.slug,
      schemaVersion: 2,
      ran: [],
      failed: { version: 3, name: "003-example", error: "it failed", at: new Date() },
      startedAt: new Date(),
      durationMs: 1,
    });
  }
  const failedIds = async () => (await failedOrgMigrations(master)).map((f) => f.orgId);
  assert((await failedIds()).includes(owner.org.id));

  const deleted = await app.client(owner.token).v1.orgs[":slug"].$delete({
    param: { slug: owner.org.slug },
  });
  assertEquals(deleted.status, 204);
  const left = await failedIds();
  assert(!left.includes(owner.org.id), "no failure of a deleted org is listed");
  assert(left.includes(kept.org.id), "another org's record stays");
});
