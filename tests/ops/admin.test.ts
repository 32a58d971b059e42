/**
 * Operators (docs/operating.md, "Operators") through their domain functions over the real database:
 * the platform role and its task, the org list and detail, suspend and resume as the API's tokens
 * see them, move requests, deployments and jobs.
 */
import { ObjectId } from "mongodb";
import {
  assert,
  assertEquals,
  assertMatch,
  assertProblem,
  assertRejects,
  problemCode,
} from "../support/assert.ts";
import { assertOperator, isOperator, setOperator } from "../../src/access/operators.ts";
import { listEvents } from "../../src/audit/audit.ts";
import { enqueueJob } from "../../src/ops/jobs.ts";
import {
  type AdminOrg,
  getJobView,
  getOrg,
  listDeployments,
  listJobsPage,
  listOrgs,
  moveOrg,
  resumeOrg,
  suspendOrg,
} from "../../src/ops/admin.ts";
import { AppError } from "../../src/platform/errors.ts";
import { LATEST_SCHEMA_VERSION } from "../../src/tenants/migrations/mod.ts";
import { createOrg } from "../../src/tenants/provisioning.ts";
import { findOrgById } from "../../src/tenants/orgs.ts";
import { findUserByEmail } from "../../src/identity/users.ts";
import {
  addMember,
  createOrgAndLogin,
  createTestApp,
  dbTest,
  PASSWORD,
  type TestApp,
} from "../support/app.ts";
import { startTestServer } from "../support/server.ts";
import { waitUntil } from "../../tools/lib/wait.ts";
import { runTask, taskEnv } from "../support/task.ts";

const rand = () => crypto.randomUUID().slice(0, 8);
const OPERATOR = { userId: new ObjectId().toHexString(), email: "ops@example.com" };
const CTX = { ip: "127.0.0.1", requestId: "req-admin", actor: OPERATOR };

async function codeOfError(p: Promise<unknown>): Promise<string> {
  const e = await assertRejects(() => p);
  assert(e instanceof AppError, `expected an AppError, got ${e}`);
  return e.code;
}

async function newOrg(app: TestApp, cluster?: string) {
  return (await createOrg(app.deps, {
    name: `Admin ${rand()}`,
    owner: { kind: "new-user", email: `${rand()}@example.com`, password: PASSWORD },
    cluster,
  }, { ip: "127.0.0.1" })).org;
}

async function allPages(
  app: TestApp,
  query: Parameters<typeof listOrgs>[1],
): Promise<AdminOrg[]> {
  const seen: AdminOrg[] = [];
  let cursor: string | undefined;
  do {
    const page = await listOrgs(app.deps, { ...query, cursor });
    seen.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return seen;
}

Deno.test(
  "deno task operator add|remove: only for an existing user, says what it did, exit codes",
  dbTest,
  async (t) => {
    // A short cache: the instance that did not make the change sees it within the period.
    await using app = await createTestApp({ env: { AUTH_CACHE_TTL_MS: "300" } });
    const { email } = await createOrgAndLogin(app, `Ops ${rand()}`);
    const user = (await findUserByEmail(app.deps.db.master, email))!;
    const env = taskEnv(app);
    const task = (...args: string[]) => runTask("src/tasks/operator.ts", args, env);

    await t.step(
      "add grants the role; a running instance sees it within its cache period",
      async () => {
        assertEquals(await isOperator(app.deps, user.id), false);
        await assertRejects(() => assertOperator(app.deps, user.id), "operators");
        const added = await task("add", email.toUpperCase());
        assertEquals(added.code, 0, added.stderr);
        assertMatch(added.stdout, new RegExp(`${email} \\(${user.id}\\) is now an operator`));
        assertEquals(
          (await findUserByEmail(app.deps.db.master, email))?.platformRole,
          "operator",
        );
        await waitUntil(() => isOperator(app.deps, user.id), "the role to reach the instance", {
          timeoutMs: 5000,
        });
        await assertOperator(app.deps, user.id);
        const again = await task("add", email);
        assertEquals(again.code, 0);
        assertMatch(again.stdout, /was already an operator/);
      },
    );

    await t.step("remove revokes it", async () => {
      const removed = await task("remove", email);
      assertEquals(removed.code, 0, removed.stderr);
      assertMatch(removed.stdout, /is no longer an operator/);
      assertEquals((await findUserByEmail(app.deps.db.master, email))?.platformRole, undefined);
      await waitUntil(async () => !await isOperator(app.deps, user.id), "the revocation", {
        timeoutMs: 5000,
      });
      const again = await task("remove", email);
      assertEquals(again.code, 0);
      assertMatch(again.stdout, /was not an operator/);
    });

    await t.step("an unknown email is exit 1 and creates nobody; bad usage is 64", async () => {
      const unknown = await task("add", "nobody@example.com");
      assertEquals(unknown.code, 1);
      assertMatch(unknown.stderr, /no user with the email nobody@example\.com/);
      assertEquals(await findUserByEmail(app.deps.db.master, "nobody@example.com"), null);
      for (const args of [[], ["add"], ["promote", email], ["add", email, "extra"]]) {
        const bad = await task(...args);
        assertEquals(bad.code, 64, `args ${args.join(" ")}`);
        assertMatch(bad.stderr, /usage: deno task operator add\|remove <email>/);
      }
    });

    await t.step("the same change made in-process shows at once", async () => {
      assertEquals((await setOperator(app.deps, email, true)).changed, true);
      assertEquals(await isOperator(app.deps, user.id), true);
      assertEquals((await setOperator(app.deps, email, false)).changed, true);
      assertEquals(await isOperator(app.deps, user.id), false);
      assertEquals((await setOperator(app.deps, "nobody@example.com", true)).user, null);
    });
  },
);

Deno.test(
  "the org list: every status, filters, member counts, pages each org once, cursors signed",
  dbTest,
  async () => {
    await using app = await createTestApp({ env: { ORG_CREATE_LIMIT: "0" } });
    const owner = await createOrgAndLogin(app, `Listed ${rand()}`);
    await addMember(app, owner.token, owner.org.slug, "member");
    const others = [];
    for (let i = 0; i < 4; i++) others.push(await newOrg(app));
    await suspendOrg(app.deps, others[0].slug, CTX);
    // An org stuck half-way through provisioning is listed too, with its status.
    await app.deps.db.master.collection("orgs").updateOne(
      { _id: new ObjectId(others[1].id) },
      { $set: { status: "provisioning" } },
    );

    const all = await allPages(app, { limit: 2 });
    assertEquals(all.length, 5);
    assertEquals(new Set(all.map((o) => o.id)).size, 5, "an org was listed twice");
    const byId = new Map(all.map((o) => [o.id, o]));
    assertEquals(byId.get(owner.org.id)?.memberCount, 2);
    assertEquals(byId.get(others[2].id)?.memberCount, 1);
    assertEquals(byId.get(others[0].id)?.status, "suspended");
    assertEquals(byId.get(others[1].id)?.status, "provisioning");
    for (const o of all) {
      assertEquals(o.cluster, "default");
      assertEquals(o.schemaVersion, LATEST_SCHEMA_VERSION);
    }

    const suspended = await allPages(app, { status: "suspended" });
    assertEquals(suspended.map((o) => o.id), [others[0].id]);
    assertEquals((await allPages(app, { status: "active", limit: 1 })).length, 3);
    assertEquals((await allPages(app, { cluster: "default" })).length, 5);
    assertEquals((await allPages(app, { cluster: "elsewhere" })).length, 0);

    const first = await listOrgs(app.deps, { limit: 2 });
    assert(first.nextCursor);
    const tampered = first.nextCursor.slice(0, -2) +
      (first.nextCursor.endsWith("A") ? "BB" : "AA");
    assertEquals(
      await codeOfError(listOrgs(app.deps, { cursor: tampered })),
      "invalid_cursor",
    );
    // A cursor of one filter is refused under another.
    assertEquals(
      await codeOfError(listOrgs(app.deps, { status: "active", cursor: first.nextCursor })),
      "invalid_cursor",
    );
  },
);

Deno.test(
  "suspend and resume: 403 org_suspended at once here and within 5 s elsewhere, data untouched, audited",
  dbTest,
  async () => {
    await using a = await createTestApp();
    await using b = await createTestApp({ sameDatabaseAs: a });
    const owner = await createOrgAndLogin(a, `Suspended ${rand()}`);
    const slug = owner.org.slug;
    const org = (await findOrgById(a.deps.db.master, owner.org.id))!;
    const tenant = a.deps.db.tenantDb(org);
    await tenant.collection("notes").insertMany([{ n: 1 }, { n: 2 }, { n: 3 }]);
    // The status as a number: the typed client types only the route's success.
    const members = async (t: TestApp) => {
      const res = await t.client(owner.token).v1.orgs[":slug"].members.$get({
        param: { slug },
        query: {},
      });
      return res as unknown as Response;
    };
    // Both instances have the org's check cached.
    assertEquals((await members(a)).status, 200);
    assertEquals((await members(b)).status, 200);

    const suspended = await suspendOrg(a.deps, slug, CTX);
    assertEquals(suspended.status, "suspended");
    const onA = await members(a);
    await assertProblem(onA, 403, "org_suspended");
    await waitUntil(
      async () => {
        const res = await members(b);
        return res.status === 403 && await problemCode(res) === "org_suspended";
      },
      "the other instance to refuse the suspended org",
      { timeoutMs: 5500, intervalMs: 200 },
    );
    // Suspending again changes nothing and records nothing.
    assertEquals((await suspendOrg(a.deps, slug, CTX)).status, "suspended");

    assertEquals(await tenant.collection("notes").countDocuments(), 3);
    const detail = await getOrg(a.deps, slug);
    assertEquals(detail.status, "suspended");

    const resumed = await resumeOrg(a.deps, slug, CTX);
    assertEquals(resumed.status, "active");
    assertEquals((await members(a)).status, 200);
    await waitUntil(async () => (await members(b)).status === 200, "the resume elsewhere", {
      timeoutMs: 5500,
      intervalMs: 200,
    });
    assertEquals((await resumeOrg(a.deps, slug, CTX)).status, "active");
    assertEquals(await tenant.collection("notes").countDocuments(), 3);

    const { items: events } = await listEvents(a.deps, { org }, { limit: 50 });
    const ours = events.filter((e) => e.type === "org.suspended" || e.type === "org.resumed");
    assertEquals(ours.map((e) => e.type), ["org.resumed", "org.suspended"]);
    for (const e of ours) {
      assertEquals(e.actor, { userId: OPERATOR.userId, email: OPERATOR.email });
      assertEquals(e.requestId, "req-admin");
    }

    for (const action of [suspendOrg, resumeOrg]) {
      assertEquals(await codeOfError(action(a.deps, "no-such-org", CTX)), "org_not_found");
    }
  },
);

Deno.test(
  "org detail, deployments and moves over two deployments; one down is unreachable, not an error",
  dbTest,
  async () => {
    // Deployment b's databases go with its data folder when the server is disposed.
    await using server = await startTestServer();
    await using app = await createTestApp({
      env: { MONGO_CLUSTERS: JSON.stringify({ b: server.uri }), DB_TIMEOUT_MS: "1000" },
    });
    const here = await newOrg(app, "default");
    const there = await newOrg(app, "b");
    await newOrg(app, "b");
    const docs = Array.from({ length: 500 }, (_, i) => ({ i, text: "x".repeat(200) }));
    await app.deps.db.tenantDb(here).collection("notes").insertMany(docs);
    await app.deps.db.tenantDb(here).collection("notes").createIndex({ i: 1 });

    const detail = await getOrg(app.deps, here.slug);
    assertEquals(detail.id, here.id);
    assertEquals(detail.deployment, { name: "default", reachable: true });
    assertEquals(detail.schema, {
      version: LATEST_SCHEMA_VERSION,
      latest: LATEST_SCHEMA_VERSION,
    });
    assertEquals(detail.memberCount, 1);
    assert(detail.storage, "storage figures");
    // The 500 documents, and the service's own (its marker, the audit log's first event).
    assert(detail.storage.documents >= 500, `documents ${detail.storage.documents}`);
    assert(detail.storage.collections >= 2);
    assert(detail.storage.dataBytes >= 500 * 200, `dataBytes ${detail.storage.dataBytes}`);
    assert(detail.storage.indexBytes > 0);
    assert(detail.storage.bytes >= detail.storage.dataBytes);
    assertEquals(await codeOfError(getOrg(app.deps, "no-such-org")), "org_not_found");

    assertEquals((await listDeployments(app.deps)).items, [
      { name: "default", orgCount: 1, reachable: true },
      { name: "b", orgCount: 2, reachable: true },
    ]);
    assertEquals((await allPages(app, { cluster: "b" })).length, 2);

    // A move request: a queued job, an audit event, and the refusals of a second request.
    const { jobId } = await moveOrg(app.deps, here.slug, "b", CTX);
    const job = await getJobView(app.deps, jobId);
    assertEquals(job.kind, "move");
    assertEquals(job.status, "queued");
    assertEquals(job.progress, { done: 0, total: 0 });
    const event = (await listEvents(app.deps, { org: here }, { limit: 10 })).items
      .find((e) => e.type === "org.move_requested");
    assertEquals(event?.target, { from: "default", to: "b", jobId });
    assertEquals(event && "userId" in event.actor ? event.actor.userId : null, OPERATOR.userId);
    assertEquals(
      await codeOfError(moveOrg(app.deps, here.slug, "b", CTX)),
      "move_in_progress",
    );
    assertEquals(await codeOfError(moveOrg(app.deps, there.slug, "b", CTX)), "already_there");
    assertEquals(
      await codeOfError(moveOrg(app.deps, there.slug, "nowhere", CTX)),
      "validation_failed",
    );
    assertEquals(await codeOfError(moveOrg(app.deps, "no-such-org", "b", CTX)), "org_not_found");

    // Deployment b goes down: it is listed as unreachable, and the detail of an org on it
    // still answers, without storage figures.
    await server.stop();
    assertEquals((await listDeployments(app.deps)).items, [
      { name: "default", orgCount: 1, reachable: true },
      { name: "b", orgCount: 2, reachable: false },
    ]);
    const down = await getOrg(app.deps, there.slug);
    assertEquals(down.deployment, { name: "b", reachable: false });
    assertEquals(down.storage, null);
    assertEquals((await getOrg(app.deps, here.slug)).deployment.reachable, true);
  },
);

Deno.test(
  "jobs: newest first, filtered, paged once each; an unknown id is 404",
  dbTest,
  async () => {
    await using app = await createTestApp();
    const master = app.deps.db.master;
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push((await enqueueJob(master, i % 2 ? "move" : "migrate", { i }, new Date())).id);
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await listJobsPage(app.deps, { limit: 2, cursor });
      seen.push(...page.items.map((j) => j.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    assertEquals(seen, [...ids].reverse());
    const moves = await listJobsPage(app.deps, { kind: "move" });
    assertEquals(moves.items.map((j) => j.id), [ids[3], ids[1]]);
    assertEquals((await listJobsPage(app.deps, { status: "running" })).items, []);
    const view = await getJobView(app.deps, ids[0]);
    assertEquals(Object.keys(view).sort(), [
      "createdAt",
      "id",
      "kind",
      "progress",
      "status",
      "updatedAt",
    ]);
    for (const id of [new ObjectId().toHexString(), "not-an-id"]) {
      assertEquals(await codeOfError(getJobView(app.deps, id)), "job_not_found");
    }
    const first = await listJobsPage(app.deps, { limit: 2 });
    assertEquals(
      await codeOfError(listJobsPage(app.deps, { kind: "move", cursor: first.nextCursor! })),
      "invalid_cursor",
    );
  },
);
