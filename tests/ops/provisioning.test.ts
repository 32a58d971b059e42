import { assert, assertEquals } from "../support/assert.ts";
import { waitUntil } from "../../tools/lib/wait.ts";
import type { DeletionStep, ProvisioningStep } from "../../src/platform/deps.ts";
import { ORPHAN_SEARCH_EVERY, runMaintenance } from "../../src/ops/maintenance.ts";
import { deleteOrg } from "../../src/tenants/deletion.ts";
import { createOrg } from "../../src/tenants/provisioning.ts";
import { rollbackProvisioning } from "../../src/tenants/provisioning-rollback.ts";
import { LATEST_SCHEMA_VERSION, schemaVersion } from "../../src/tenants/migrations/mod.ts";
import { findOrgBySlug, type Org } from "../../src/tenants/orgs.ts";
import { writeMarker } from "../../src/tenants/meta.ts";
import { ORPHAN_CONFIRM_MS, reconcileOrgs } from "../../src/ops/reconciler.ts";
import { createTestApp, dbTest, PASSWORD, type TestApp } from "../support/app.ts";

const CTX = { ip: "127.0.0.1" };

/** A hook that freezes the work after `step`, as a crash there would: the promise never settles. */
const stopAfter = <S extends string>(target: S) => (step: S) =>
  step === target ? new Promise<void>(() => {}) : undefined;

const waitFor = (cond: () => Promise<boolean>, what: string) =>
  waitUntil(cond, what, { timeoutMs: 4000, intervalMs: 20 });

/**
 * Work started on a "crashed" instance: never awaited, and left failing quietly when that
 * instance's connection closes at the end of the test, as a killed process's would.
 */
const abandon = (work: Promise<unknown>) => void work.catch(() => {});

const counts = async (app: TestApp) => ({
  orgs: await app.deps.db.master.collection("orgs").countDocuments({}),
  users: await app.deps.db.master.collection("users").countDocuments({}),
  memberships: await app.deps.db.master.collection("memberships").countDocuments({}),
  databases: (await app.tenantDatabases()).length,
});

for (const step of ["claimed", "database", "owner"] as ProvisioningStep[]) {
  Deno.test(
    `a crash after provisioning step "${step}" leaves nothing once the reconciler runs`,
    dbTest,
    async () => {
      await using crashed = await createTestApp({
        hooks: { afterProvisioningStep: stopAfter(step) },
      });
      // The "restarted" instance: same database, no hook.
      await using app = await createTestApp({ sameDatabaseAs: crashed });
      // Started and never finished, like a process killed at that point.
      abandon(createOrg(crashed.deps, {
        name: "Half Made",
        owner: { kind: "new-user", email: "half@example.com", password: PASSWORD },
      }, CTX));
      await waitFor(async () => {
        const org = await findOrgBySlug(app.deps.db.master, "half-made");
        if (!org) return false;
        if (step === "claimed") return true;
        // The database appears with its marker, before the migrations that end the step.
        if (step === "database") {
          return await schemaVersion(app.deps.db.tenantDb(org)) === LATEST_SCHEMA_VERSION;
        }
        return (await counts(app)).memberships === 1;
      }, `step ${step}`);
      assertEquals(
        (await findOrgBySlug(app.deps.db.master, "half-made"))?.status,
        "provisioning",
      );
      const visible = await app.client().v1.orgs[":slug"].$get({ param: { slug: "half-made" } });
      assertEquals(visible.status, 404, "a half-made org is not visible");

      const report = await reconcileOrgs(app.deps);
      assertEquals(report.rolledBack, 1);
      assertEquals(await counts(app), { orgs: 0, users: 0, memberships: 0, databases: 0 });

      const again = await app.client().v1.orgs.$post({
        json: { name: "Half Made", admin: { email: "half@example.com", password: PASSWORD } },
      });
      assertEquals(again.status, 201, "the name and the email are usable again");
      assertEquals(await counts(app), { orgs: 1, users: 1, memberships: 1, databases: 1 });
    },
  );
}

Deno.test(
  "a crash after the outcome is decided: the reconciler finishes the activation",
  dbTest,
  async () => {
    await using crashed = await createTestApp({
      hooks: { afterProvisioningStep: stopAfter("decided") },
    });
    await using app = await createTestApp({ sameDatabaseAs: crashed });
    abandon(createOrg(crashed.deps, {
      name: "Nearly Done",
      owner: { kind: "new-user", email: "nearly@example.com", password: PASSWORD },
    }, CTX));
    await waitFor(
      async () =>
        await app.deps.db.master.collection("provisioning_outcomes").countDocuments({}) === 1,
      "the outcome",
    );
    assertEquals(
      (await findOrgBySlug(app.deps.db.master, "nearly-done"))?.status,
      "provisioning",
    );

    const report = await reconcileOrgs(app.deps);
    assertEquals({ rolledBack: report.rolledBack, activated: report.activated }, {
      rolledBack: 0,
      activated: 1,
    });
    const org = await findOrgBySlug(app.deps.db.master, "nearly-done");
    assertEquals(org?.status, "active");
    assertEquals(org?.schemaVersion, LATEST_SCHEMA_VERSION);
    assertEquals(await counts(app), { orgs: 1, users: 1, memberships: 1, databases: 1 });
    const login = await app.client().v1.auth.login.$post({
      json: { email: "nearly@example.com", password: PASSWORD },
    });
    assertEquals(login.status, 200);
  },
);

Deno.test(
  "an activation racing a rollback: one outcome holds, whole, every time",
  dbTest,
  async () => {
    const outcomes = { created: 0, rolledBack: 0 };
    for (let i = 0; i < 8; i++) {
      const reached = Promise.withResolvers<void>();
      const released = Promise.withResolvers<void>();
      await using app = await createTestApp({
        hooks: {
          afterProvisioningStep: (s) =>
            s === "owner" ? (reached.resolve(), released.promise) : undefined,
        },
      });
      const creating = app.request("/v1/orgs", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({
          name: "Racing Co",
          admin: { email: "race@example.com", password: PASSWORD },
        }),
      });
      await reached.promise;
      const stale = await findOrgBySlug(app.deps.db.master, "racing-co");
      // Both go at once: the creator decides "active", the rollback "rolled_back".
      released.resolve();
      const [res] = await Promise.all([creating, rollbackProvisioning(app.deps, stale!)]);
      // Let a loser's undo finish before counting.
      await waitFor(async () => {
        const c = await counts(app);
        return c.orgs === 0 ? c.databases === 0 && c.memberships === 0 : true;
      }, "the rollback's tail");
      const c = await counts(app);
      if (res.status === 201) {
        outcomes.created++;
        assertEquals(c, { orgs: 1, users: 1, memberships: 1, databases: 1 });
        assertEquals((await findOrgBySlug(app.deps.db.master, "racing-co"))?.status, "active");
      } else {
        outcomes.rolledBack++;
        assertEquals(res.status, 503);
        assertEquals(c, { orgs: 0, users: 0, memberships: 0, databases: 0 });
      }
    }
    console.log(`activation vs rollback: ${JSON.stringify(outcomes)}`);
  },
);

Deno.test(
  "a provisioning younger than the grace period is left to its instance",
  dbTest,
  async () => {
    await using crashed = await createTestApp({
      hooks: { afterProvisioningStep: stopAfter("database") },
    });
    await using app = await createTestApp({
      sameDatabaseAs: crashed,
      env: { PROVISIONING_GRACE_SECONDS: "600" },
    });
    abandon(createOrg(crashed.deps, {
      name: "Still Going",
      owner: { kind: "new-user", email: "s@example.com", password: PASSWORD },
    }, CTX));
    await waitFor(async () => (await app.tenantDatabases()).length === 1, "the database");
    assertEquals((await reconcileOrgs(app.deps)).rolledBack, 0);
    assertEquals((await counts(app)).orgs, 1);
  },
);

for (const step of ["marked", "database", "references"] as DeletionStep[]) {
  Deno.test(
    `a crash after deletion step "${step}" is finished by the reconciler`,
    dbTest,
    async () => {
      await using crashed = await createTestApp({ hooks: { afterDeletionStep: stopAfter(step) } });
      await using app = await createTestApp({ sameDatabaseAs: crashed });
      const { org } = await createOrg(app.deps, {
        name: "Doomed Co",
        owner: { kind: "new-user", email: "d@example.com", password: PASSWORD },
      }, CTX);
      await app.client().v1.auth.login.$post({
        json: { email: "d@example.com", password: PASSWORD },
      });
      abandon(deleteOrg(crashed.deps, org));
      await waitFor(async () => {
        const o = await findOrgBySlug(app.deps.db.master, "doomed-co");
        if (o?.status !== "deleting") return false;
        if (step === "marked") return true;
        if (step === "database") return (await app.tenantDatabases()).length === 0;
        return (await counts(app)).memberships === 0;
      }, `step ${step}`);
      assertEquals(
        (await app.client().v1.orgs[":slug"].$get({ param: { slug: "doomed-co" } })).status,
        404,
      );

      assert(await runMaintenance(app.deps), "the maintenance lease is free");
      const after = await counts(app);
      assertEquals({ ...after, users: 0 }, { orgs: 0, users: 0, memberships: 0, databases: 0 });
      assertEquals(await app.deps.db.master.collection("sessions").countDocuments({}), 0);
    },
  );
}

Deno.test(
  "the reconciler drops tenant databases of this master that no org owns, and only those",
  dbTest,
  async () => {
    let clock = Date.now();
    await using app = await createTestApp({ now: () => new Date(clock) });
    await createOrg(app.deps, {
      name: "Kept Co",
      owner: { kind: "new-user", email: "k@example.com", password: PASSWORD },
    }, CTX);
    const id = "a".repeat(24);
    const orphan = `${app.config.tenantDbPrefix}${id}`;
    await writeMarker(app.deps.db.clients.default.db(orphan), {
      master: app.config.masterDb,
      orgId: id,
    });
    const unrelated = `${app.config.tenantDbPrefix}notatenant`;
    await app.deps.db.clients.default.db(unrelated).collection("x").insertOne({ a: 1 });
    const candidates = new Map<string, number>();
    assertEquals(
      (await reconcileOrgs(app.deps, { orphans: true, candidates })).orphansDropped,
      0,
    );
    clock += ORPHAN_CONFIRM_MS;
    const report = await reconcileOrgs(app.deps, { orphans: true, candidates });
    assertEquals(report.orphansDropped, 1);
    const left = await app.tenantDatabases();
    assert(!left.includes(orphan));
    assert(left.includes(unrelated));
    assertEquals(left.length, 2);
  },
);

Deno.test(
  "the sweeper expires audit events a batch of orgs per pass, and keeps the live ones",
  dbTest,
  async () => {
    await using app = await createTestApp();
    const orgs: Org[] = [];
    for (const name of ["Sweep One", "Sweep Two", "Sweep Three"]) {
      const email = `${name.replace(" ", ".").toLowerCase()}@example.com`;
      orgs.push(
        (await createOrg(
          app.deps,
          { name, owner: { kind: "new-user", email, password: PASSWORD } },
          CTX,
        )).org,
      );
    }
    const now = app.deps.now();
    const log = (org: Org) => app.deps.db.tenantDb(org).collection("_audit_log");
    for (const org of orgs) {
      await log(org).insertMany([
        { type: "test.expired", at: now, expiresAt: new Date(now.getTime() - 1000) },
        { type: "test.live", at: now, expiresAt: new Date(now.getTime() + 3_600_000) },
      ]);
    }
    const expired = async () => {
      const left = [];
      for (const org of orgs) left.push(await log(org).countDocuments({ type: "test.expired" }));
      return left;
    };
    // Orgs are swept in id order, two per pass here: the first two, then the third.
    const state = {};
    assert(await runMaintenance(app.deps, state, 2));
    assertEquals(await expired(), [0, 0, 1]);
    assert(await runMaintenance(app.deps, state, 2));
    assertEquals(await expired(), [0, 0, 0]);
    for (const org of orgs) {
      assertEquals(await log(org).countDocuments({ type: "test.live" }), 1);
    }
    // The batch after the last org is short, so the next pass starts over from the first.
    await log(orgs[0]).insertOne({ type: "test.expired", at: now, expiresAt: now });
    assert(await runMaintenance(app.deps, state, 2));
    assertEquals(await expired(), [0, 0, 0]);
  },
);

Deno.test(
  "maintenance searches for orphan databases on its first pass and every tenth",
  dbTest,
  async () => {
    let clock = Date.now();
    await using app = await createTestApp({ now: () => new Date(clock) });
    const id = "b".repeat(24);
    const orphan = `${app.config.tenantDbPrefix}${id}`;
    const make = () =>
      writeMarker(app.deps.db.clients.default.db(orphan), {
        master: app.config.masterDb,
        orgId: id,
      });
    const present = async () => (await app.tenantDatabases()).includes(orphan);
    const state = {};
    await make();
    assert(await runMaintenance(app.deps, state));
    assertEquals(await present(), true, "the first pass finds it and remembers it");
    clock += ORPHAN_CONFIRM_MS;
    for (let pass = 1; pass < ORPHAN_SEARCH_EVERY; pass++) {
      assert(await runMaintenance(app.deps, state));
    }
    assertEquals(await present(), true, "passes 1–9 do not search");
    assert(await runMaintenance(app.deps, state));
    assertEquals(await present(), false, "the tenth pass after the first confirms and drops it");
  },
);

Deno.test("only one instance holds the maintenance lease at a time", dbTest, async () => {
  await using a = await createTestApp();
  await using b = await createTestApp({ sameDatabaseAs: a });
  assert(await runMaintenance(a.deps));
  assertEquals(await runMaintenance(b.deps), false);
  assert(await runMaintenance(a.deps), "the holder may run again");
});

Deno.test(
  "a creator that decides while a rollback finishes never brings the rolled-back org back",
  dbTest,
  async () => {
    const creatorStalled = Promise.withResolvers<void>();
    const creatorGoes = Promise.withResolvers<void>();
    await using creator = await createTestApp({
      hooks: {
        afterProvisioningStep: (s) =>
          s === "owner" ? (creatorStalled.resolve(), creatorGoes.promise) : undefined,
      },
    });
    // The rollback stops one write before its end: after the first of its two last writes
    // (the org's document and its outcome), whichever it makes first.
    const rollbackPaused = Promise.withResolvers<void>();
    const rollbackGoes = Promise.withResolvers<void>();
    let paused = false;
    await using reconciler = await createTestApp({
      sameDatabaseAs: creator,
      hooks: {
        afterDeletionStep: (s) => {
          if ((s !== "document" && s !== "outcome") || paused) return;
          paused = true;
          rollbackPaused.resolve();
          return rollbackGoes.promise;
        },
      },
    });
    const creating = creator.request("/v1/orgs", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        name: "Late Deciders",
        admin: { email: "late@example.com", password: PASSWORD },
      }),
    });
    // The creator stalls past the grace period (0 here); the reconciler rolls it back.
    await creatorStalled.promise;
    const reconciling = reconcileOrgs(reconciler.deps, { orphans: false });
    await rollbackPaused.promise;
    // The creator decides its outcome and activates while the rollback is one write from done.
    creatorGoes.resolve();
    const res = await creating;
    rollbackGoes.resolve();
    assertEquals((await reconciling).rolledBack, 1);

    assertEquals(res.status, 503, "the creator learns it was rolled back");
    assertEquals(await counts(reconciler), { orgs: 0, users: 0, memberships: 0, databases: 0 });
    assertEquals(
      await reconciler.deps.db.master.collection("provisioning_outcomes").countDocuments({}),
      0,
    );
    const again = await reconciler.client().v1.orgs.$post({
      json: { name: "Late Deciders", admin: { email: "late@example.com", password: PASSWORD } },
    });
    assertEquals(again.status, 201, "the name and the email are usable again");
  },
);

Deno.test(
  "a creator stalled after deciding active keeps its org when the reconciler finishes the activation",
  dbTest,
  async () => {
    const stalled = Promise.withResolvers<void>();
    const goes = Promise.withResolvers<void>();
    await using creator = await createTestApp({
      hooks: {
        afterProvisioningStep: (s) =>
          s === "decided" ? (stalled.resolve(), goes.promise) : undefined,
      },
    });
    await using app = await createTestApp({ sameDatabaseAs: creator });
    const creating = creator.client().v1.orgs.$post({
      json: { name: "Slow Finisher", admin: { email: "slow@example.com", password: PASSWORD } },
    });
    await stalled.promise;
    assertEquals((await reconcileOrgs(app.deps, { orphans: false })).activated, 1);
    goes.resolve();
    const res = await creating;
    assertEquals(res.status, 201);
    assertEquals(await counts(app), { orgs: 1, users: 1, memberships: 1, databases: 1 });
    const login = await app.client().v1.auth.login.$post({
      json: { email: "slow@example.com", password: PASSWORD },
    });
    assertEquals(login.status, 200);
  },
);
