import { assert, assertEquals } from "../support/assert.ts";
import { ORPHAN_SEARCH_EVERY, runMaintenance } from "../../src/ops/maintenance.ts";
import { readMarker, writeMarker } from "../../src/tenants/meta.ts";
import { LATEST_SCHEMA_VERSION } from "../../src/tenants/migrations/mod.ts";
import { findOrgBySlug } from "../../src/tenants/orgs.ts";
import { ORPHAN_CONFIRM_MS, reconcileOrgs } from "../../src/ops/reconciler.ts";
import { TOMBSTONE_MS } from "../../src/tenants/tombstones.ts";
import {
  createOrgAndLogin,
  createTestApp,
  dbTest,
  PASSWORD,
  type TestApp,
} from "../support/app.ts";

/** A clock the test moves: the reconciler's two searches must be some time apart. */
function testClock() {
  let t = Date.now();
  return { now: () => new Date(t), advance: (ms: number) => t += ms };
}

/** A start-up pass, then passes until the next orphan search, the clock past the confirmation. */
async function runLikeAService(app: TestApp, clock: ReturnType<typeof testClock>) {
  const state = {};
  assert(await runMaintenance(app.deps, state), "the maintenance lease is free");
  clock.advance(ORPHAN_CONFIRM_MS + 1000);
  for (let pass = 1; pass <= ORPHAN_SEARCH_EVERY; pass++) {
    assert(await runMaintenance(app.deps, state));
  }
}

Deno.test(
  "two deployments (different MASTER_DB) over one database server keep each other's tenant databases",
  dbTest,
  async () => {
    const clock = testClock();
    // The worst case: the same tenant prefix too, so every name looks like the other's.
    const prefix = `t${crypto.randomUUID().slice(0, 8)}_`;
    const env = { TENANT_DB_PREFIX: prefix };
    await using a = await createTestApp({ env, now: clock.now });
    await using b = await createTestApp({ env, now: clock.now });
    const first = { a, b };
    assert(first.a.config.masterDb !== first.b.config.masterDb);
    await using restarts = new AsyncDisposableStack();
    const orgs = [];
    for (const [side, app] of Object.entries(first)) {
      for (const n of [1, 2]) {
        const o = await createOrgAndLogin(app, `Side ${side} Org ${n}`);
        await app.deps.db.clients.default.db(`${prefix}${o.org.id}`).collection("things")
          .insertOne({ side, n });
        orgs.push({ side, ...o });
      }
    }
    // An orphan of A's (its marker, no org): A's sweep must still drop it, and only it.
    const orphanId = "c".repeat(24);
    const orphan = first.a.deps.db.clients.default.db(`${prefix}${orphanId}`);
    await writeMarker(orphan, { master: first.a.config.masterDb, orgId: orphanId });
    // A database made before markers existed, that no org owns: never dropped on a guess.
    const legacy = `${prefix}${"d".repeat(24)}`;
    await first.a.deps.db.clients.default.db(legacy).collection("audit_log").insertOne({});

    // Restart A, then B, then A again: each instance's reconciler runs at start and later on.
    for (const side of ["a", "b", "a"] as const) {
      const restarted = restarts.use(
        await createTestApp({ sameDatabaseAs: first[side], now: clock.now }),
      );
      await runLikeAService(restarted, clock);
    }

    const left = await first.a.tenantDatabases();
    for (const o of orgs) {
      assert(
        left.includes(`${prefix}${o.org.id}`),
        `org ${o.org.slug} of ${o.side} kept its database`,
      );
      const app = first[o.side as "a" | "b"];
      const doc = await app.deps.db.clients.default.db(`${prefix}${o.org.id}`).collection(
        "things",
      )
        .findOne({});
      assertEquals(doc?.side, o.side, "and its data");
      const me = await app.client(o.token).v1.me.$get();
      assertEquals(me.status, 200);
      const login = await app.client().v1.auth.login.$post({
        json: { email: o.email, password: PASSWORD },
      });
      assertEquals(login.status, 200);
    }
    assert(!left.includes(`${prefix}${orphanId}`), "A's own orphan is dropped");
    assert(left.includes(legacy), "an unmarked database is left alone");
    assertEquals(left.length, orgs.length + 1);
  },
);

Deno.test(
  "an orphan is dropped only when two searches some time apart agree",
  dbTest,
  async () => {
    const clock = testClock();
    await using app = await createTestApp({ now: clock.now });
    await createOrgAndLogin(app, "Kept Co");
    const id = "a".repeat(24);
    const orphan = app.deps.db.clients.default.db(`${app.config.tenantDbPrefix}${id}`);
    await writeMarker(orphan, { master: app.config.masterDb, orgId: id });
    // Marked by this master but for another org id than its name says: not this org's.
    const mismatched = app.deps.db.clients.default.db(
      `${app.config.tenantDbPrefix}${"e".repeat(24)}`,
    );
    await writeMarker(mismatched, { master: app.config.masterDb, orgId: id });
    const candidates = new Map<string, number>();
    const search = () => reconcileOrgs(app.deps, { orphans: true, candidates });

    const first = await search();
    assertEquals([first.orphansDropped, first.orphansPending], [0, 1], "remembered, not dropped");
    clock.advance(ORPHAN_CONFIRM_MS - 1000);
    const early = await search();
    assertEquals([early.orphansDropped, early.orphansPending], [0, 1], "too soon to confirm");
    clock.advance(2000);
    const confirmed = await search();
    assertEquals(confirmed.orphansDropped, 1);
    const left = await app.tenantDatabases();
    assert(!left.includes(orphan.databaseName));
    assert(left.includes(mismatched.databaseName));
    assertEquals(left.length, 2);

    // A candidate that gets its org (or goes away) between two searches is forgotten.
    await writeMarker(orphan, { master: app.config.masterDb, orgId: id });
    await search();
    await orphan.dropDatabase();
    await search();
    await writeMarker(orphan, { master: app.config.masterDb, orgId: id });
    clock.advance(ORPHAN_CONFIRM_MS + 1000);
    assertEquals((await search()).orphansDropped, 0, "found again: a new first sighting");
  },
);

Deno.test(
  "provisioning writes the marker first; existing databases get it from migration 002",
  dbTest,
  async () => {
    const reached = Promise.withResolvers<void>();
    await using app = await createTestApp({
      hooks: {
        afterProvisioningStep: (step) => {
          if (step === "database") reached.resolve();
        },
      },
    });
    const o = await createOrgAndLogin(app, "Marked Co");
    await reached.promise;
    const tenant = app.deps.db.clients.default.db(`${app.config.tenantDbPrefix}${o.org.id}`);
    assertEquals(await readMarker(tenant), { master: app.config.masterDb, orgId: o.org.id });

    // A database from before the marker: no marker, schema version 1.
    await tenant.collection("_meta").deleteOne({ _id: "marker" as never });
    await tenant.collection("_meta").updateOne({ _id: "schema" as never }, {
      $set: { version: 1 },
    });
    await app.deps.db.master.collection("orgs").updateOne({ slug: "marked-co" }, {
      $set: { schemaVersion: 1 },
    });
    assertEquals(await readMarker(tenant), null);
    assert(await runMaintenance(app.deps));
    assertEquals(await readMarker(tenant), { master: app.config.masterDb, orgId: o.org.id });
    assertEquals(
      (await findOrgBySlug(app.deps.db.master, "marked-co"))?.schemaVersion,
      LATEST_SCHEMA_VERSION,
    );
    // A marker of someone else is never overwritten.
    let refused = false;
    await writeMarker(tenant, { master: "another", orgId: o.org.id }).catch(() => refused = true);
    assert(refused);
    assertEquals((await readMarker(tenant))?.master, app.config.masterDb);
  },
);

Deno.test(
  "deleting an org never drops a database marked as another master's",
  dbTest,
  async () => {
    await using app = await createTestApp();
    const o = await createOrgAndLogin(app, "Copied Co");
    const tenant = app.deps.db.clients.default.db(`${app.config.tenantDbPrefix}${o.org.id}`);
    // As if this master database were a copy of another deployment's, over the same server.
    await tenant.collection("_meta").updateOne({ _id: "marker" as never }, {
      $set: { master: "production" },
    });
    const deleted = await app.client(o.token).v1.orgs[":slug"].$delete({
      param: { slug: o.org.slug },
    });
    assertEquals(deleted.status, 204);
    assert((await app.tenantDatabases()).includes(tenant.databaseName), "the database is kept");
    assertEquals((await readMarker(tenant))?.master, "production");
  },
);

Deno.test(
  "a write to a deleted org's database arriving after the tombstone's period is removed by the reconciler",
  dbTest,
  async () => {
    const clock = testClock();
    // Two deployments over one server with the same prefix: each removes only its own.
    const prefix = `t${crypto.randomUUID().slice(0, 8)}_`;
    await using a = await createTestApp({ env: { TENANT_DB_PREFIX: prefix }, now: clock.now });
    await using b = await createTestApp({ env: { TENANT_DB_PREFIX: prefix }, now: clock.now });
    const kept = await createOrgAndLogin(a, "Still Here Co");
    const deleted = {
      a: await createOrgAndLogin(a, "Gone A Co"),
      b: await createOrgAndLogin(b, "Gone B Co"),
    };
    for (const [side, app] of Object.entries({ a, b })) {
      const o = deleted[side as "a" | "b"];
      const res = await app.client(o.token).v1.orgs[":slug"].$delete({
        param: { slug: o.org.slug },
      });
      assertEquals(res.status, 204);
    }
    // Long after the tombstones expired, a request that was under way writes to each deleted
    // org's database (an audit event): the database comes back, with no marker.
    clock.advance(TOMBSTONE_MS + 60_000);
    assert(await runMaintenance(a.deps), "expired tombstones go");
    const server = a.deps.db.clients.default;
    const late = (o: { org: { id: string } }) => server.db(`${prefix}${o.org.id}`);
    for (const o of Object.values(deleted)) {
      await late(o).collection("_audit_log").insertOne({ action: "late", at: clock.now() });
      assertEquals(await readMarker(late(o)), null);
    }

    await runLikeAService(a, clock);
    let left = await a.tenantDatabases();
    assert(!left.includes(late(deleted.a).databaseName), "A's deleted org's database is removed");
    assert(left.includes(late(deleted.b).databaseName), "B's is not A's to remove");
    assert(left.includes(late(kept).databaseName), "a live org keeps its database");

    await runLikeAService(b, clock);
    left = await a.tenantDatabases();
    assert(!left.includes(late(deleted.b).databaseName), "B removes its own");
    assertEquals(left, [late(kept).databaseName]);
  },
);
