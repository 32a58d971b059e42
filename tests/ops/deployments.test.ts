import { assert, assertEquals, assertProblem } from "../support/assert.ts";
import { AppError } from "../../src/platform/errors.ts";
import { createOrg } from "../../src/tenants/provisioning.ts";
import { chooseCluster, orgCountsByCluster } from "../../src/tenants/placement.ts";
import { createOrgAndLogin, createTestApp, dbTest, PASSWORD } from "../support/app.ts";
import { startTestServer } from "../support/server.ts";

const CTX = { ip: "127.0.0.1" };
const rand = () => crypto.randomUUID().slice(0, 8);

Deno.test(
  "placement: new orgs go to the deployment with the fewest orgs, or the one named",
  dbTest,
  async () => {
    await using b = await startTestServer();
    await using app = await createTestApp({
      env: { MONGO_CLUSTERS: JSON.stringify({ b: b.uri }) },
    });
    const create = (cluster?: string) =>
      createOrg(app.deps, {
        name: `Placed ${rand()}`,
        owner: { kind: "new-user", email: `${rand()}@example.com`, password: PASSWORD },
        cluster,
      }, CTX);
    // Ties go to `default`, then each new org to the emptier one.
    const placed = [];
    for (let i = 0; i < 4; i++) placed.push((await create()).org.cluster);
    assertEquals(placed, ["default", "b", "default", "b"]);
    assertEquals((await create("b")).org.cluster, "b");
    assertEquals((await create("b")).org.cluster, "b");
    assertEquals(Object.fromEntries(await orgCountsByCluster(app.deps.db)), { default: 2, b: 4 });
    assertEquals(await chooseCluster(app.deps.db), "default");
    // The org's database is on its deployment, and only there.
    const { org } = await create();
    assertEquals(org.cluster, "default");
    const onB = await app.deps.db.clients.b.db("admin").admin().listDatabases({ nameOnly: true });
    const bNames = onB.databases.map((d) => d.name).filter((n) =>
      n.startsWith(app.config.tenantDbPrefix)
    );
    assertEquals(bNames.length, 4);
    assert(!bNames.includes(org.databaseName));
    // An unknown deployment is a validation error, and nothing is created.
    const before = await app.deps.db.master.collection("orgs").countDocuments();
    try {
      await create("nowhere");
      throw new Error("accepted an unknown deployment");
    } catch (e) {
      assert(e instanceof AppError);
      assertEquals(e.code, "validation_failed");
    }
    assertEquals(await app.deps.db.master.collection("orgs").countDocuments(), before);
    for (const name of bNames) await app.deps.db.clients.b.db(name).dropDatabase();
  },
);

Deno.test(
  "/ready is 503 while one deployment is down, and orgs on the other keep working",
  dbTest,
  async () => {
    await using b = await startTestServer();
    await using app = await createTestApp({
      env: { MONGO_CLUSTERS: JSON.stringify({ b: b.uri }), DB_TIMEOUT_MS: "500" },
    });
    assertEquals((await app.request("/ready")).status, 200);
    const owner = await createOrgAndLogin(app, `Stays ${rand()}`);
    assertEquals(owner.org.cluster, "default");
    await b.stop();
    const ready = await app.request("/ready");
    await assertProblem(ready, 503, "unavailable");
    assert(ready.headers.get("Retry-After"));
    const me = await app.client(owner.token).v1.me.$get();
    assertEquals(me.status, 200);
    // Orgs are still created on the deployment that is up.
    const created = await createOrg(app.deps, {
      name: `Named ${rand()}`,
      owner: { kind: "new-user", email: `${rand()}@example.com`, password: PASSWORD },
      cluster: "default",
    }, CTX);
    assertEquals(created.org.cluster, "default");
  },
);
