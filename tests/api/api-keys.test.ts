/**
 * API keys (docs/api-keys.md): created by owners and admins and shown once, listed without
 * secrets, revoked at once here and within 5 s elsewhere; scoped to their org; expiry, last use
 * at most once a minute, suspended and deleted orgs; the audit log names the key.
 */
import { ObjectId } from "mongodb";
import { assert, assertEquals, assertMatch, assertProblem } from "../support/assert.ts";
import {
  addMember,
  bearer,
  createOrgAndLogin,
  createTestApp,
  dbTest,
  json,
} from "../support/app.ts";
import { createKey } from "../support/api-keys.ts";
import { createCollection } from "../support/data.ts";
import { reconcileOrgs } from "../../src/ops/reconciler.ts";

const KEY = /^osk_[0-9a-f]{24}_[A-Za-z0-9_-]{43}$/;

Deno.test(
  "an owner creates a key, shown once with no-store; the list never shows it",
  dbTest,
  async () => {
    await using app = await createTestApp();
    const a = await createOrgAndLogin(app, "Key Makers");
    const res = await app.client(a.token).v1.orgs[":slug"]["api-keys"].$post({
      param: { slug: a.org.slug },
      json: { name: "billing backend", scopes: ["data:read", "data:write"], expiresInDays: 30 },
    });
    assertEquals(res.status, 201);
    assertEquals(res.headers.get("Cache-Control"), "no-store");
    if (res.status !== 201) return;
    const created = await res.json();
    assertMatch(created.key, KEY);
    assertEquals(created.key.slice(4, 28), created.id);
    assertEquals(created.prefix, created.key.slice(0, 12));
    assertEquals(created.name, "billing backend");
    assertEquals(created.scopes, ["data:read", "data:write"]);
    assertEquals(created.createdBy, a.admin.id);
    assertEquals(created.lastUsedAt, null);
    const days = (Date.parse(created.expiresAt!) - Date.parse(created.createdAt)) / 86_400_000;
    assertEquals(days, 30);

    const list = await app.client(a.token).v1.orgs[":slug"]["api-keys"].$get({
      param: { slug: a.org.slug },
      query: {},
    });
    assertEquals(list.status, 200);
    const text = await list.text();
    const secret = created.key.slice(29);
    assert(!text.includes(secret), "the list shows the secret");
    const { items } = JSON.parse(text);
    assertEquals(items.length, 1);
    assertEquals(items[0].key, undefined);
    assertEquals(items[0].prefix, created.prefix);

    // Only a hash of the secret is stored.
    const stored = await app.deps.db.master.collection("api_keys").findOne({
      _id: new ObjectId(created.id),
    });
    assert(stored);
    assert(!JSON.stringify(stored).includes(secret), "the secret is stored");
    const hash = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(secret));
    assertEquals(
      stored.secretHash,
      Array.from(new Uint8Array(hash), (b) => b.toString(16).padStart(2, "0")).join(""),
    );

    const none = await createKey(app, a.token, a.org.slug, ["audit:read"]);
    assertEquals(none.expiresAt, null);
  },
);

Deno.test(
  "creating a key: bad input is 400 and stores nothing; members are 403",
  dbTest,
  async (t) => {
    await using app = await createTestApp();
    const a = await createOrgAndLogin(app, "Key Rules");
    const member = await addMember(app, a.token, a.org.slug, "member");
    const admin = await addMember(app, a.token, a.org.slug, "admin");
    const path = `/v1/orgs/${a.org.slug}/api-keys`;
    const bad: Record<string, unknown>[] = [
      { name: "x", scopes: [] },
      { name: "x", scopes: ["data:admin"] },
      { name: "", scopes: ["data:read"] },
      { name: "x", scopes: ["data:read"], expiresInDays: 0 },
      { name: "x", scopes: ["data:read"], expiresInDays: 366 },
      { name: "x", scopes: ["data:read"], expiresInDays: 1.5 },
      { name: "x", scopes: ["data:read"], extra: 1 },
      { scopes: ["data:read"] },
    ];
    await t.step("bad bodies: 400", async () => {
      for (const body of bad) {
        const res = await app.request(path, json(body, bearer(a.token)));
        await assertProblem(res, 400, "validation_failed", JSON.stringify(body));
      }
      assertEquals(await app.deps.db.master.collection("api_keys").countDocuments(), 0);
    });
    await t.step("a member may not create, list or revoke keys; an admin may", async () => {
      const body = { name: "m", scopes: ["data:read"] };
      await assertProblem(
        await app.request(path, json(body, bearer(member.token))),
        403,
        "forbidden",
      );
      await assertProblem(
        await app.request(path, { headers: bearer(member.token) }),
        403,
        "forbidden",
      );
      const k = await createKey(app, admin.token, a.org.slug, ["data:read"]);
      const del = await app.request(`${path}/${k.id}`, {
        method: "DELETE",
        headers: bearer(member.token),
      });
      await assertProblem(del, 403, "forbidden");
      assertEquals((await app.request(path, { headers: bearer(admin.token) })).status, 200);
      const gone = await app.request(`${path}/${k.id}`, {
        method: "DELETE",
        headers: bearer(admin.token),
      });
      assertEquals(gone.status, 204);
      const again = await app.request(`${path}/${k.id}`, {
        method: "DELETE",
        headers: bearer(admin.token),
      });
      await assertProblem(again, 404, "api_key_not_found");
    });
  },
);

Deno.test(
  "a key works through the typed client; a revoked key is 401 at once",
  dbTest,
  async () => {
    await using app = await createTestApp();
    const a = await createOrgAndLogin(app, "Key Users");
    await createCollection(app, a, "orders");
    const { key, id } = await createKey(app, a.token, a.org.slug, ["data:write"]);
    const orders = app.client(key).v1.orgs[":slug"].collections[":name"].documents;
    const param = { slug: a.org.slug, name: "orders" };
    const made = await orders.$post({ param, json: { total: 12 } });
    assertEquals(made.status, 201);
    const listed = await orders.$get({ param, query: {} });
    assertEquals(listed.status, 200);
    if (listed.status === 200) assertEquals((await listed.json()).items.length, 1);

    const del = await app.client(a.token).v1.orgs[":slug"]["api-keys"][":id"].$delete({
      param: { slug: a.org.slug, id },
    });
    assertEquals(del.status, 204);
    await assertProblem(await orders.$get({ param, query: {} }), 401, "unauthorized");
    assertEquals(await app.deps.db.master.collection("api_keys").countDocuments(), 0);
  },
);

Deno.test("a revoked key stops working on another instance within 5 seconds", dbTest, async () => {
  await using one = await createTestApp();
  await using two = await createTestApp({ sameDatabaseAs: one });
  const a = await createOrgAndLogin(one, "Two Instances");
  const { key, id } = await createKey(one, a.token, a.org.slug, ["data:read"]);
  const path = `/v1/orgs/${a.org.slug}/collections`;
  assertEquals((await two.request(path, { headers: bearer(key) })).status, 200); // cached there
  const revoked = await one.request(`/v1/orgs/${a.org.slug}/api-keys/${id}`, {
    method: "DELETE",
    headers: bearer(a.token),
  });
  assertEquals(revoked.status, 204);
  assertEquals((await one.request(path, { headers: bearer(key) })).status, 401);
  const start = Date.now();
  while ((await two.request(path, { headers: bearer(key) })).status === 200) {
    assert(Date.now() - start < 5_500, "still served after 5 s");
    await new Promise((r) => setTimeout(r, 100));
  }
  assertEquals((await two.request(path, { headers: bearer(key) })).status, 401);
});

Deno.test(
  "expiry: a key works until expiresAt, then 401; lastUsedAt at most once a minute",
  dbTest,
  async (t) => {
    // The service's clock (tokens are checked against the real one, so it starts at the real time).
    let now = Date.now();
    const start = now;
    await using app = await createTestApp({ now: () => new Date(now) });
    const a = await createOrgAndLogin(app, "Clocked Keys");
    const { key, id } = await createKey(app, a.token, a.org.slug, ["data:read"], {
      expiresInDays: 1,
    });
    const path = `/v1/orgs/${a.org.slug}/collections`;
    const lastUsed = async () => {
      const doc = await app.deps.db.master.collection("api_keys").findOne({
        _id: new ObjectId(id),
      });
      return doc?.lastUsedAt?.toISOString() ?? null;
    };
    await t.step(
      "lastUsedAt: set on first use, kept within the minute, moved after it",
      async () => {
        const t0 = new Date(now).toISOString();
        assertEquals((await app.request(path, { headers: bearer(key) })).status, 200);
        assertEquals(await lastUsed(), t0);
        now += 30_000;
        assertEquals((await app.request(path, { headers: bearer(key) })).status, 200);
        assertEquals(await lastUsed(), t0);
        now += 31_000;
        assertEquals((await app.request(path, { headers: bearer(key) })).status, 200);
        assertEquals(await lastUsed(), new Date(now).toISOString());
      },
    );
    await t.step("past expiresAt: 401", async () => {
      now = start + 86_400_000 - 1;
      assertEquals((await app.request(path, { headers: bearer(key) })).status, 200);
      now += 1;
      await assertProblem(await app.request(path, { headers: bearer(key) }), 401, "unauthorized");
    });
  },
);

Deno.test(
  "a write with a key records the key as the actor; creation and revocation are audited",
  dbTest,
  async () => {
    await using app = await createTestApp();
    const a = await createOrgAndLogin(app, "Audited Keys");
    const { key, id } = await createKey(app, a.token, a.org.slug, ["collections:manage"], {
      name: "schema bot",
    });
    const made = await app.request(
      `/v1/orgs/${a.org.slug}/collections`,
      json({ name: "made_by_key" }, bearer(key)),
    );
    assertEquals(made.status, 201);
    const revoked = await app.request(`/v1/orgs/${a.org.slug}/api-keys/${id}`, {
      method: "DELETE",
      headers: bearer(a.token),
    });
    assertEquals(revoked.status, 204);
    const audit = await app.client(a.token).v1.orgs[":slug"].audit.$get({
      param: { slug: a.org.slug },
      query: { limit: "100" },
    });
    assertEquals(audit.status, 200);
    if (audit.status !== 200) return;
    const events = (await audit.json()).items;
    const of = (type: string) => events.find((e) => e.type === type);
    assertEquals(of("collection.created")?.actor, { type: "api_key", id, name: "schema bot" });
    assertEquals(of("api_key.created")?.actor, { userId: a.admin.id, email: null });
    assertEquals(of("api_key.created")?.target, { apiKeyId: id, name: "schema bot" });
    assertEquals(of("api_key.revoked")?.target, { apiKeyId: id, name: "schema bot" });
  },
);

Deno.test(
  "a suspended org's key is 403 org_suspended; a deleted org's keys are gone",
  dbTest,
  async (t) => {
    await using app = await createTestApp({ env: { AUTH_CACHE_TTL_MS: "0" } });
    const a = await createOrgAndLogin(app, "Suspended Keys");
    const { key } = await createKey(app, a.token, a.org.slug, ["data:read"]);
    const path = `/v1/orgs/${a.org.slug}/collections`;
    const orgs = app.deps.db.master.collection("orgs");
    await t.step("suspended: 403 org_suspended; resumed: works again", async () => {
      await orgs.updateOne({ slug: a.org.slug }, { $set: { status: "suspended" } });
      await assertProblem(await app.request(path, { headers: bearer(key) }), 403, "org_suspended");
      await orgs.updateOne({ slug: a.org.slug }, { $set: { status: "active" } });
      assertEquals((await app.request(path, { headers: bearer(key) })).status, 200);
    });
    await t.step("deleted: the key is 401 and its document gone", async () => {
      const del = await app.request(`/v1/orgs/${a.org.slug}`, {
        method: "DELETE",
        headers: bearer(a.token),
      });
      assertEquals(del.status, 204);
      await assertProblem(await app.request(path, { headers: bearer(key) }), 401, "unauthorized");
      assertEquals(await app.deps.db.master.collection("api_keys").countDocuments(), 0);
    });
    await t.step("the reconciler removes keys of an org that is gone", async () => {
      const b = await createOrgAndLogin(app, "Left Behind");
      await createKey(app, b.token, b.org.slug, ["data:read"]);
      // As if a key was made while the org's deletion was removing its references.
      await app.deps.db.master.collection("api_keys").insertOne({
        orgId: new ObjectId(),
        name: "dangling",
        scopes: ["data:read"],
        secretHash: "00",
        prefix: "osk_00000000",
        createdBy: new ObjectId(),
        createdAt: new Date(),
        expiresAt: null,
        lastUsedAt: null,
      });
      const report = await reconcileOrgs(app.deps, { orphans: true });
      assertEquals(report.danglingOrgs, 1);
      assertEquals(await app.deps.db.master.collection("api_keys").countDocuments(), 1);
    });
  },
);
