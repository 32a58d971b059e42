/**
 * `deno task migrate` over 50 orgs, run as a child process (its output is not a terminal, so
 * it prints plain lines) with migrations the test adds (tests/support/migrate-task.ts): a
 * failing org, `--status`, a run killed part-way and run again, two runs at once.
 */
import type { Db } from "mongodb";
import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import { createOrg } from "../../src/tenants/provisioning.ts";
import { LATEST_SCHEMA_VERSION } from "../../src/tenants/migrations/mod.ts";
import { findOrgById, type Org } from "../../src/tenants/orgs.ts";
import { createTestApp, dbTest, PASSWORD, type TestApp } from "../support/app.ts";
import { runTask, startTask, taskEnv, type TaskRun } from "../support/task.ts";
import { waitUntil } from "../../tools/lib/wait.ts";

const ORGS = 50;
/** The service's own latest schema version, and the three the fixture adds after it. */
const V = LATEST_SCHEMA_VERSION;
const [V1, V2, V3] = [V + 1, V + 2, V + 3];
const FIXTURE = "tests/support/migrate-task.ts";
const rand = () => crypto.randomUUID().slice(0, 8);

async function createOrgs(app: TestApp, n: number): Promise<Org[]> {
  const orgs: Org[] = [];
  for (let i = 0; i < n; i += 5) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(5, n - i) }, () =>
        createOrg(app.deps, {
          name: `Migrated ${rand()}`,
          owner: { kind: "new-user", email: `${rand()}@example.com`, password: PASSWORD },
        }, { ip: "127.0.0.1" })),
    );
    orgs.push(...batch.map((b) => b.org));
  }
  return orgs.sort((a, b) => a.id < b.id ? -1 : 1);
}

/** Orgs per schema version, as the master records them. */
async function versions(app: TestApp): Promise<Record<number, number>> {
  const rows = await app.deps.db.master.collection("orgs")
    .aggregate<{ _id: number; n: number }>([
      { $group: { _id: "$schemaVersion", n: { $sum: 1 } } },
    ]).toArray();
  return Object.fromEntries(rows.map((r) => [r._id, r.n]));
}

/** How many times migration `version` ran in the org's database (0: never). */
async function runsOf(db: Db, version: number): Promise<number> {
  const d = await db.collection<{ _id: string; runs: number }>(`v${version}`)
    .findOne({ _id: "applied" });
  return d?.runs ?? 0;
}

/** Org leases held now: released ones are deleted, a killed run's lapse. */
const heldLeases = (app: TestApp) =>
  app.deps.db.master.collection<{ _id: string; expiresAt: Date }>("leases").countDocuments({
    _id: { $regex: "^migrate:" },
    expiresAt: { $gt: new Date() },
  });

Deno.test(
  `deno task migrate over ${ORGS} orgs: a failing org, --status, resume after a kill, two runs at once`,
  dbTest,
  async (t) => {
    await using app = await createTestApp({ env: { ORG_CREATE_LIMIT: "0" } });
    const gateDir = await Deno.makeTempDir({ prefix: "orgservice-gate-" });
    const running: TaskRun[] = [];
    try {
      const orgs = await createOrgs(app, ORGS);
      assertEquals(await versions(app), { [V]: ORGS });
      const poisoned = orgs[7];
      const db = (org: Org) => app.deps.db.tenantDb(org);
      await db(poisoned).collection("poison").insertOne({ why: "the test" });
      const env = (extra: Record<string, string>) => taskEnv(app, { LEASE_MS: "1500", ...extra });

      await t.step(
        "a failing org does not stop the others; exit 1; plain progress lines",
        async () => {
          const run = await runTask(FIXTURE, [], env({ MIGRATE_UP_TO: `${V1}` }));
          assertEquals(run.code, 1, run.stderr);
          assert(
            !run.stdout.includes("\x1b["),
            "terminal escapes in output that is not a terminal",
          );
          assertMatch(
            run.stdout,
            new RegExp(`^failed: ${poisoned.slug}: ${V1}_test-${V1}: poisoned for the test$`, "m"),
          );
          assertMatch(
            run.stdout,
            /^50\/50 orgs · migrated 49 · failed 1 · skipped 0 · [\d.]+ orgs\/s · ETA 0s$/m,
          );
          assertMatch(run.stdout, /^done in \d+s: migrated 49, failed 1, skipped 0 of 50 \(job /m);
          assertEquals(await versions(app), { [V]: 1, [V1]: ORGS - 1 });
          for (const org of orgs) {
            assertEquals(await runsOf(db(org), V1), org === poisoned ? 0 : 1, org.slug);
          }
        },
      );

      await t.step("--status lists orgs per schema version and the failure", async () => {
        const status = await runTask(FIXTURE, ["--status"], env({ MIGRATE_UP_TO: `${V1}` }));
        assertEquals(status.code, 1, status.stderr);
        assertMatch(status.stdout, new RegExp(`^latest schema version: ${V1}$`, "m"));
        assertMatch(status.stdout, new RegExp(`^ {2}version ${V}: 1 org$`, "m"));
        assertMatch(status.stdout, new RegExp(`^ {2}version ${V1}: 49 orgs$`, "m"));
        assertMatch(status.stdout, /^failures: 1$/m);
        assertMatch(
          status.stdout,
          new RegExp(
            `^ {2}${poisoned.slug} \\(${poisoned.id}\\): ${V1}_test-${V1}: poisoned for the test`,
            "m",
          ),
        );
      });

      await t.step("killed part-way, run again: every org done, each migration once", async () => {
        await db(poisoned).collection("poison").drop();
        // Ten migrations pass; then the run's four workers wait at a gate that never opens,
        // holding four orgs' leases, and the process is killed.
        const killed = await startTask(
          FIXTURE,
          [],
          env({
            MIGRATE_UP_TO: `${V2}`,
            GATE_FILE: `${gateDir}/never`,
            GATE_AFTER: "10",
          }),
        );
        running.push(killed);
        // All four workers at the gate: no migration is half-done when the kill comes.
        await waitUntil(
          () => killed.stderr().split("waiting at the gate").length - 1 === 4,
          "the run to stop at the gate",
          { timeoutMs: 60_000 },
        );
        assertEquals(await heldLeases(app), 4);
        killed.child.kill("SIGKILL");
        await killed.done;
        const before = await versions(app);
        assert(
          (before[V2] ?? 0) < ORGS,
          `the run finished before the kill: ${Deno.inspect(before)}`,
        );

        const rerun = await runTask(FIXTURE, [], env({ MIGRATE_UP_TO: `${V2}` }));
        assertEquals(rerun.code, 0, rerun.stdout + rerun.stderr);
        // What was left: at least the four orgs the killed run held (a write it had sent before
        // the kill may still land, so the exact number is not known in advance).
        const summary = /^done in \d+s: migrated (\d+), failed 0, skipped (\d+) of (\d+) /m
          .exec(rerun.stdout);
        assert(summary, rerun.stdout);
        const [migrated, skipped, total] = summary.slice(1).map(Number);
        assertEquals(migrated + skipped, total);
        assert(migrated >= 4 && total < ORGS, rerun.stdout);
        assertEquals(await versions(app), { [V2]: ORGS });
        for (const org of orgs) {
          assertEquals(await runsOf(db(org), V1), 1, `${org.slug}: migration ${V1}`);
          assertEquals(await runsOf(db(org), V2), 1, `${org.slug}: migration ${V2}`);
        }
        const status = await runTask(FIXTURE, ["--status"], env({ MIGRATE_UP_TO: `${V2}` }));
        assertEquals(status.code, 0);
        assertMatch(status.stdout, new RegExp(`^ {2}version ${V2}: 50 orgs$`, "m"));
        assertMatch(status.stdout, /^failures: 0$/m);
        assertEquals((await findOrgById(app.deps.db.master, poisoned.id))?.schemaVersion, V2);
      });

      await t.step(
        "a second run at the same time skips the orgs under the first's leases",
        async () => {
          const gate = `${gateDir}/open`;
          // Run A takes four orgs and waits at the gate with their leases held.
          const a = await startTask(FIXTURE, [], env({ MIGRATE_UP_TO: `${V3}`, GATE_FILE: gate }));
          running.push(a);
          await waitUntil(async () => await heldLeases(app) === 4, "run A to hold four orgs", {
            timeoutMs: 60_000,
          });
          // Run B migrates every other org, then waits for A's four.
          const b = await startTask(FIXTURE, [], env({ MIGRATE_UP_TO: `${V3}` }));
          running.push(b);
          // B's last org is recorded before its lease is released: wait for both.
          await waitUntil(
            async () => (await versions(app))[V3] === ORGS - 4 && await heldLeases(app) === 4,
            "run B to migrate the orgs A does not hold",
            { timeoutMs: 60_000 },
          );
          await Deno.writeTextFile(gate, "");
          const [codeA, codeB] = await Promise.all([a.done, b.done]);
          assertEquals(codeA, 0, a.stdout() + a.stderr());
          assertEquals(codeB, 0, b.stdout() + b.stderr());
          assertMatch(a.stdout(), /^done in \d+s: migrated 4, failed 0, skipped 46 of 50 /m);
          assertMatch(b.stdout(), /^done in \d+s: migrated 46, failed 0, skipped 4 of 50 /m);
          assertEquals(await versions(app), { [V3]: ORGS });
          for (const org of orgs) assertEquals(await runsOf(db(org), V3), 1, org.slug);
          assertEquals(await heldLeases(app), 0);
        },
      );
    } finally {
      for (const r of running) await r.child[Symbol.asyncDispose]();
      await Deno.remove(gateDir, { recursive: true }).catch(() => {});
    }
  },
);
