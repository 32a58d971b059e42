/**
 * The operator routes (docs/operating.md, "Operators") through HTTP over the real database: 403 for
 * anyone but an operator on every `/v1/admin` path of the OpenAPI document, an operator's sign-in
 * outside any org, every admin route, suspension as the members' tokens see it, and orgs created by
 * an operator with the invitation of their first owner.
 */
import { okJson } from "../support/client.ts";
import { ObjectId } from "mongodb";
import { assert, assertEquals, assertProblem } from "../support/assert.ts";
import { setOperator } from "../../src/access/operators.ts";
import { enqueueJob } from "../../src/ops/jobs.ts";
import { insertUser } from "../../src/identity/users.ts";
import {
  createOrgAndLogin,
  createTestApp,
  dbTest,
  json,
  PASSWORD,
  type TestApp,
} from "../support/app.ts";

const rand = () => crypto.randomUUID().slice(0, 8);
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
const METHODS = ["get", "post", "put", "patch", "delete"] as const;

type OpenApi = { paths: Record<string, Record<string, { requestBody?: unknown }>> };

/** A user who belongs to no org, made an operator (as `deno task operator add` does). */
async function operatorOfNoOrg(app: TestApp) {
  const email = `ops-${rand()}@example.com`;
  const user = await insertUser(app.deps.db.master, {
    id: new ObjectId().toHexString(),
    email,
    passwordHash: await app.deps.hasher.hash(PASSWORD),
  }, app.deps.now());
  await setOperator(app.deps, email, true);
  const res = await app.request("/v1/auth/login", json({ email, password: PASSWORD }));
  assertEquals(res.status, 200);
  const pair = await res.json();
  return { email, userId: user.id, pair, token: pair.accessToken as string };
}

/** Every operation under `/v1/admin` in the OpenAPI document, with its path filled in. */
async function adminOperations(app: TestApp, slug: string) {
  const doc: OpenApi = await (await app.request("/openapi.json")).json();
  const ops: { method: string; path: string; body?: unknown }[] = [];
  for (const [template, item] of Object.entries(doc.paths)) {
    if (!template.startsWith("/v1/admin")) continue;
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const path = template.replace("{slug}", slug).replace("{id}", new ObjectId().toHexString());
      ops.push({ method: method.toUpperCase(), path, body: op.requestBody ? {} : undefined });
    }
  }
  return ops;
}

async function send(
  app: TestApp,
  op: { method: string; path: string; body?: unknown },
  token?: string,
) {
  return await app.request(op.path, {
    method: op.method,
    headers: {
      ...(token ? bearer(token) : {}),
      ...(op.body !== undefined ? { "Content-Type": "application/json" } : {}),
    },
    ...(op.body !== undefined ? { body: JSON.stringify(op.body) } : {}),
  });
}

Deno.test(
  "every /v1/admin operation of the OpenAPI document: 403 for a member (even an owner), 401 without a token",
  dbTest,
  async (t) => {
    await using app = await createTestApp();
    const owner = await createOrgAndLogin(app, `Not Ops ${rand()}`);
    const ops = await adminOperations(app, owner.org.slug);
    assertEquals(ops.length, 8, `admin operations: ${ops.map((o) => o.path).join(", ")}`);
    for (const op of ops) {
      await t.step(`${op.method} ${op.path.replace(owner.org.slug, "{slug}")}`, async () => {
        // A well-formed request (a malformed one is 400 whoever sends it).
        for (const body of op.body === undefined ? [undefined] : [{ cluster: "default" }]) {
          const res = await send(app, { ...op, body }, owner.token);
          await assertProblem(res, 403, "forbidden");
        }
        const anonymous = await send(app, op);
        assertEquals(anonymous.status, 401);
        await anonymous.body?.cancel();
      });
    }
    // Nothing changed: the org is active, and no job was queued.
    const org = await app.request(`/v1/orgs/${owner.org.slug}`);
    assertEquals((await org.json()).status, "active");
    assertEquals(await app.deps.db.master.collection("jobs").countDocuments(), 0);
  },
);

Deno.test(
  "an operator of no org signs in without an org: /v1/me, refresh and sign-out work, every org route is 404",
  dbTest,
  async () => {
    await using app = await createTestApp();
    const owner = await createOrgAndLogin(app, `Someone ${rand()}`);
    const ops = await operatorOfNoOrg(app);
    assertEquals(ops.pair.org, null);
    assertEquals(ops.pair.role, null);
    const claims = JSON.parse(atob(ops.token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
    assertEquals("org" in claims, false, "the token carries no org claim");

    const me = await app.request("/v1/me", { headers: bearer(ops.token) });
    assertEquals(me.status, 200);
    const view = await me.json();
    // /v1/me shows whether the email is verified (the operator never was).
    assertEquals(view.user, { id: ops.userId, email: ops.email, emailVerified: false });
    assertEquals(view.org, null);
    assertEquals(view.role, null);
    assertEquals(view.orgs, []);

    // Org routes: 404 as for any org not the caller's, whichever org is named.
    for (
      const path of [
        `/v1/orgs/${owner.org.slug}/members`,
        `/v1/orgs/${owner.org.slug}/collections`,
        `/v1/orgs/${owner.org.slug}/audit`,
      ]
    ) {
      const res = await app.request(path, { headers: bearer(ops.token) });
      await assertProblem(res, 404, "org_not_found");
    }
    const admin = await app.request("/v1/admin/orgs", { headers: bearer(ops.token) });
    assertEquals(admin.status, 200);
    await admin.body?.cancel();

    const refreshed = await app.request(
      "/v1/auth/refresh",
      json({ refreshToken: ops.pair.refreshToken }),
    );
    assertEquals(refreshed.status, 200);
    const pair = await refreshed.json();
    assertEquals([pair.org, pair.role], [null, null]);
    assertEquals(
      (await app.request("/v1/admin/deployments", { headers: bearer(pair.accessToken) })).status,
      200,
    );

    // A revoked operator's org-less session ends: its refresh is refused.
    await setOperator(app.deps, ops.email, false);
    const denied = await app.request("/v1/auth/refresh", json({ refreshToken: pair.refreshToken }));
    assertEquals(denied.status, 401);
    await denied.body?.cancel();
    const gone = await app.request("/v1/me", { headers: bearer(pair.accessToken) });
    assertEquals(gone.status, 401);
    await gone.body?.cancel();

    // Sign-out of an org-less session.
    await setOperator(app.deps, ops.email, true);
    const again = await operatorOfNoOrg(app);
    const out = await app.request("/v1/auth/logout", {
      method: "POST",
      headers: bearer(again.token),
    });
    assertEquals(out.status, 204);
    const after = await app.request("/v1/me", { headers: bearer(again.token) });
    assertEquals(after.status, 401);
    await after.body?.cancel();

    // A user of no org who is not an operator still cannot sign in.
    const plain = `plain-${rand()}@example.com`;
    await insertUser(app.deps.db.master, {
      id: new ObjectId().toHexString(),
      email: plain,
      passwordHash: await app.deps.hasher.hash(PASSWORD),
    }, app.deps.now());
    const refused = await app.request("/v1/auth/login", json({ email: plain, password: PASSWORD }));
    await assertProblem(refused, 403, "no_membership");
  },
);

Deno.test(
  "every admin route through HTTP: orgs with filters, one org with storage, suspend and resume, move requests, deployments, jobs",
  dbTest,
  async (t) => {
    await using app = await createTestApp({ env: { ORG_CREATE_LIMIT: "0" } });
    const ops = await operatorOfNoOrg(app);
    const get = async (path: string) => {
      const res = await app.request(path, { headers: bearer(ops.token) });
      return { status: res.status, body: await res.json() };
    };
    const post = async (path: string, body?: unknown) => {
      const res = await app.request(path, {
        method: "POST",
        headers: { ...bearer(ops.token), "Content-Type": "application/json" },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      return { status: res.status, body: await res.json(), headers: res.headers };
    };
    const a = await createOrgAndLogin(app, `Listed A ${rand()}`);
    const b = await createOrgAndLogin(app, `Listed B ${rand()}`);
    const created = await app.client(a.token).v1.orgs[":slug"].collections.$post({
      param: { slug: a.org.slug },
      json: { name: "notes" },
    });
    assertEquals(created.status, 201);
    const doc = await app.client(a.token).v1.orgs[":slug"].collections[":name"].documents.$post({
      param: { slug: a.org.slug, name: "notes" },
      json: { text: "kept while suspended" },
    });
    assertEquals(doc.status, 201);
    const docId = (await okJson(doc))._id;

    await t.step("orgs: paged, every org once, filters by status and cluster", async () => {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const q: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : "";
        const page = await get(`/v1/admin/orgs?limit=1${q}`);
        assertEquals(page.status, 200);
        assertEquals(page.body.items.length, 1);
        seen.push(...page.body.items.map((o: { slug: string }) => o.slug));
        cursor = page.body.nextCursor;
      } while (cursor);
      assertEquals(seen.sort(), [a.org.slug, b.org.slug].sort());
      const one = (await get("/v1/admin/orgs")).body.items.find((o: { slug: string }) =>
        o.slug === a.org.slug
      );
      assertEquals(one.status, "active");
      assertEquals(one.cluster, "default");
      assertEquals(one.memberCount, 1);
      assert(one.schemaVersion >= 1);
      assertEquals((await get("/v1/admin/orgs?status=suspended")).body.items, []);
      assertEquals((await get("/v1/admin/orgs?cluster=default")).body.items.length, 2);
      assertEquals((await get("/v1/admin/orgs?cluster=elsewhere")).body.items, []);
      const bad = await get("/v1/admin/orgs?status=sleeping");
      assertEquals(bad.status, 400);
      assertEquals(bad.body.code, "validation_failed");
      assertEquals((await get("/v1/admin/orgs?cursor=forged")).body.code, "invalid_cursor");
    });

    await t.step("one org: deployment, schema version, storage figures; 404 for none", async () => {
      const { status, body } = await get(`/v1/admin/orgs/${a.org.slug}`);
      assertEquals(status, 200);
      assertEquals(body.deployment, { name: "default", reachable: true });
      assertEquals(body.schema.version, body.schema.latest);
      assertEquals(body.databaseName, `${app.config.tenantDbPrefix}${a.org.id}`);
      assert(body.storage.documents >= 1, "the org's document is counted");
      assert(body.storage.bytes > 0);
      const none = await get("/v1/admin/orgs/no-such-org");
      assertEquals([none.status, none.body.code], [404, "org_not_found"]);
    });

    await t.step(
      "suspend: the org's tokens get 403 org_suspended; resume: back, data untouched",
      async () => {
        const s = await post(`/v1/admin/orgs/${a.org.slug}/suspend`);
        assertEquals(s.status, 200);
        assertEquals(s.body.status, "suspended");
        const refused = await app.request(`/v1/orgs/${a.org.slug}/collections/notes/documents`, {
          headers: bearer(a.token),
        });
        await assertProblem(refused, 403, "org_suspended");
        // Another org is untouched.
        const other = await app.request(`/v1/orgs/${b.org.slug}/members`, {
          headers: bearer(b.token),
        });
        assertEquals(other.status, 200);
        await other.body?.cancel();
        assertEquals((await get("/v1/admin/orgs?status=suspended")).body.items.length, 1);
        assertEquals((await post(`/v1/admin/orgs/${a.org.slug}/suspend`)).body.status, "suspended");

        const r = await post(`/v1/admin/orgs/${a.org.slug}/resume`);
        assertEquals([r.status, r.body.status], [200, "active"]);
        const back = await app.request(
          `/v1/orgs/${a.org.slug}/collections/notes/documents/${docId}`,
          { headers: bearer(a.token) },
        );
        assertEquals(back.status, 200);
        assertEquals((await back.json()).text, "kept while suspended");
        const audit = await app.request(`/v1/orgs/${a.org.slug}/audit?limit=100`, {
          headers: bearer(a.token),
        });
        const types = (await audit.json()).items.map((e: { type: string }) => e.type);
        assert(types.includes("org.suspended") && types.includes("org.resumed"), types.join());
        assertEquals((await post("/v1/admin/orgs/no-such-org/suspend")).status, 404);
      },
    );

    await t.step("move requests: 400 unknown deployment or body, 409 already there", async () => {
      const unknown = await post(`/v1/admin/orgs/${a.org.slug}/move`, { cluster: "nowhere" });
      assertEquals([unknown.status, unknown.body.code], [400, "validation_failed"]);
      const extra = await post(`/v1/admin/orgs/${a.org.slug}/move`, { cluster: "b", x: 1 });
      assertEquals(extra.status, 400);
      const there = await post(`/v1/admin/orgs/${a.org.slug}/move`, { cluster: "default" });
      assertEquals([there.status, there.body.code], [409, "already_there"]);
      const none = await post("/v1/admin/orgs/no-such-org/move", { cluster: "default" });
      assertEquals(none.status, 404);
    });

    await t.step("deployments", async () => {
      const { status, body } = await get("/v1/admin/deployments");
      assertEquals(status, 200);
      assertEquals(body.items, [{ name: "default", orgCount: 2, reachable: true }]);
    });

    await t.step("jobs: newest first, filters, one job, 404 for none", async () => {
      const now = app.deps.now();
      const first = await enqueueJob(app.deps.db.master, "move", { orgId: a.org.id }, now);
      const second = await enqueueJob(app.deps.db.master, "migrate", {}, now);
      const all = await get("/v1/admin/jobs");
      assertEquals(all.status, 200);
      assertEquals(all.body.items.map((j: { id: string }) => j.id), [second.id, first.id]);
      const moves = await get("/v1/admin/jobs?kind=move&status=queued");
      assertEquals(moves.body.items.map((j: { id: string }) => j.id), [first.id]);
      assertEquals((await get("/v1/admin/jobs?status=failed")).body.items, []);
      const one = await get(`/v1/admin/jobs/${first.id}`);
      assertEquals(one.status, 200);
      assertEquals(one.body.kind, "move");
      assertEquals(one.body.status, "queued");
      assertEquals(one.body.progress, { done: 0, total: 0 });
      const none = await get(`/v1/admin/jobs/${new ObjectId().toHexString()}`);
      assertEquals([none.status, none.body.code], [404, "job_not_found"]);
      assertEquals((await get("/v1/admin/jobs/not-an-id")).status, 404);
    });

    await t.step(
      "an operator who is also a member uses the admin routes with an org token",
      async () => {
        await setOperator(app.deps, b.email, true);
        const res = await app.request("/v1/admin/deployments", { headers: bearer(b.token) });
        assertEquals(res.status, 200);
        await res.body?.cancel();
      },
    );
  },
);

Deno.test(
  "an operator creates an org for someone: named or least-loaded deployment, an owner invitation; ORG_CREATION=operators lets only operators in",
  dbTest,
  async (t) => {
    await using app = await createTestApp({ env: { ORG_CREATION: "operators" } });
    const ops = await operatorOfNoOrg(app);
    const create = (body: unknown, token?: string) =>
      app.request("/v1/orgs", json(body, token ? bearer(token) : {}));

    await t.step("anyone else is 403; only an operator names a cluster", async () => {
      const anonymous = await create({
        name: "Closed Door",
        admin: { email: "x@example.com", password: PASSWORD },
      });
      assertEquals(anonymous.status, 403);
      await anonymous.body?.cancel();
      const badCluster = await create({
        name: "Nowhere Org",
        admin: { email: "o@example.com" },
        cluster: "nowhere",
      }, ops.token);
      assertEquals(badCluster.status, 400);
      const withPassword = await create({
        name: "Password Org",
        admin: { email: "o@example.com", password: PASSWORD },
      }, ops.token);
      assertEquals(withPassword.status, 400);
      assertEquals(await app.deps.db.master.collection("orgs").countDocuments(), 0);
    });

    await t.step("201 with the invitation; accepting it makes the owner", async () => {
      const email = `owner-${rand()}@example.com`;
      const res = await create(
        { name: "Invited Org", admin: { email }, cluster: "default" },
        ops.token,
      );
      assertEquals(res.status, 201);
      const body = await res.json();
      assertEquals(body.org.slug, "invited-org");
      assertEquals(body.org.cluster, "default");
      assertEquals(body.org.memberCount, 0);
      assertEquals(body.admin, undefined);
      assertEquals(body.invitation.email, email);
      assertEquals(body.invitation.role, "owner");
      assert(body.invitation.token.startsWith("inv_"));
      const accepted = await app.request(
        "/v1/invitations/accept",
        json({ token: body.invitation.token, password: PASSWORD }),
      );
      assertEquals(accepted.status, 200);
      const pair = await accepted.json();
      assertEquals(pair.org.slug, "invited-org");
      assertEquals(pair.role, "owner");
      const members = await app.request("/v1/orgs/invited-org/members", {
        headers: bearer(pair.accessToken),
      });
      assertEquals((await members.json()).items.map((m: { email: string }) => m.email), [email]);
      const audit = await app.request("/v1/orgs/invited-org/audit?limit=100", {
        headers: bearer(pair.accessToken),
      });
      const types = (await audit.json()).items.map((e: { type: string }) => e.type);
      for (const type of ["org.created", "member.invited", "member.joined"]) {
        assert(types.includes(type), `${type} in ${types.join()}`);
      }
    });

    await t.step("an operator without a cluster gets the least-loaded one", async () => {
      const res = await create(
        { name: "Placed Org", admin: { email: "p@example.com" } },
        ops.token,
      );
      assertEquals(res.status, 201);
      assertEquals((await res.json()).org.cluster, "default");
    });
  },
);

/** A test app closed (and its databases dropped) when the `await using` scope ends. */
