/**
 * `deno task move <slug> <cluster>` (src/tasks/move.ts) as an operator runs it: a child process
 * over the same master database, moving an org to a second embedded server.
 */
import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import { startTestServer } from "../support/server.ts";
import { runTask, taskEnv } from "../support/task.ts";
import { listEvents } from "../../src/audit/audit.ts";
import { findOrgById } from "../../src/tenants/orgs.ts";
import { createOrgAndLogin, createTestApp, dbTest } from "../support/app.ts";

Deno.test(
  "deno task move <slug> <cluster> leaves org.move_requested and org.moved in the org's audit log",
  dbTest,
  async () => {
    await using b = await startTestServer();
    // A short cache: the move waits one cache period after marking the org and after the switch.
    const env = { MONGO_CLUSTERS: JSON.stringify({ b: b.uri }), AUTH_CACHE_TTL_MS: "500" };
    await using app = await createTestApp({ env });
    const owner = await createOrgAndLogin(app, `Task move ${crypto.randomUUID().slice(0, 8)}`);

    const run = await runTask("src/tasks/move.ts", [owner.org.slug, "b"], taskEnv(app, env));
    assertEquals(run.code, 0, run.stderr);
    assertMatch(run.stdout, /^succeeded/m);
    const jobId = /^job (\S+): move /m.exec(run.stdout)?.[1];

    const org = (await findOrgById(app.deps.db.master, owner.org.id))!;
    assertEquals(org.cluster, "b");
    const { items } = await listEvents(app.deps, { org }, { limit: 100 });
    const types = items.map((e) => e.type);
    assert(types.includes("org.move_requested"), types.join());
    assert(types.includes("org.moved"), types.join());
    const requested = items.find((e) => e.type === "org.move_requested")!;
    assertEquals(requested.target, { from: "default", to: "b", jobId: jobId! });
  },
);
