import { assert, assertEquals, assertNotEquals } from "./assert.ts";
import { LATEST_SCHEMA_VERSION } from "../src/tenants/migrations/mod.ts";
import { codeOf, createOrgAndLogin, createTestApp, dbTest, json, PASSWORD } from "./helpers.ts";

Deno.test("the whole life of an org: create, get, login, rename, delete", dbTest, async (t) => {
  const app = await createTestApp();
  const api = app.client();
  try {
    const email = "ada@example.com";
    let orgId = "";
    let databaseName = "";
    let token = "";
    await t.step("create: 201 with the org, its database ready", async () => {
      const res = await api.v1.orgs.$post({
        json: { name: "  Acme Corp ", admin: { email: " Ada@Example.COM ", password: PASSWORD } },
      });
      assertEquals(res.status, 201);
      if (res.status !== 201) return;
      const body = await res.json();
      assertEquals(body.org.name, "Acme Corp");
      assertEquals(body.org.slug, "acme-corp");
      assertEquals(body.org.status, "active");
      assertEquals(body.admin.email, email);
      assertEquals(body.org.databaseName, `${app.config.tenantDbPrefix}${body.org.id}`);
      orgId = body.org.id;
      databaseName = body.org.databaseName!;
      assertEquals(await app.tenantDatabases(), [databaseName]);
      const tenant = app.deps.db.clients.default.db(databaseName);
      const collections = (await tenant.listCollections().toArray()).map((c) => c.name).sort();
      assertEquals(collections, ["_meta", "audit_log"]);
      assertEquals(
        (await tenant.collection("_meta").findOne({ _id: "schema" as never }))?.version,
        LATEST_SCHEMA_VERSION,
      );
      assertEquals(
        { ...await tenant.collection("_meta").findOne({ _id: "marker" as never }) },
        { _id: "marker", master: app.config.masterDb, orgId },
      );
    });
    await t.step("get: public fields for anyone", async () => {
      const res = await api.v1.orgs[":slug"].$get({ param: { slug: "acme-corp" } });
      assertEquals(res.status, 200);
      const body = await res.json();
      assertEquals(body.id, orgId);
      assertEquals(body.databaseName, undefined);
    });
    await t.step("login, then get shows the member fields", async () => {
      const res = await api.v1.auth.login.$post({ json: { email, password: PASSWORD } });
      assertEquals(res.status, 200);
      if (res.status !== 200) return;
      const body = await res.json();
      assertEquals(body.role, "owner");
      assertEquals(body.org.slug, "acme-corp");
      token = body.accessToken;
      const got = await app.client(token).v1.orgs[":slug"].$get({ param: { slug: "acme-corp" } });
      const org = await got.json();
      assertEquals(org.databaseName, databaseName);
      assertEquals(org.role, "owner");
      assertEquals(org.memberCount, 1);
    });
    await t.step("rename: new slug, old slug 404, same database, data kept", async () => {
      const tenant = app.deps.db.clients.default.db(databaseName);
      await tenant.collection("notes").insertOne({ text: "kept" });
      const res = await app.client(token).v1.orgs[":slug"].$patch({
        param: { slug: "acme-corp" },
        json: { name: "Acme Industries" },
      });
      assertEquals(res.status, 200);
      const org = await res.json();
      assertEquals(org.slug, "acme-industries");
      assertEquals(org.databaseName, databaseName);
      const old = await api.v1.orgs[":slug"].$get({ param: { slug: "acme-corp" } });
      assertEquals(old.status, 404);
      assertEquals(await codeOf(old), "org_not_found");
      assertEquals(await app.tenantDatabases(), [databaseName], "no second database");
      assertEquals((await tenant.collection("notes").findOne({}))?.text, "kept");
    });
    await t.step("the token still works after the rename", async () => {
      const res = await app.client(token).v1.me.$get();
      assertEquals(res.status, 200);
    });
    await t.step("delete: 204, database dropped, tokens stop working", async () => {
      const res = await app.client(token).v1.orgs[":slug"].$delete({
        param: { slug: "acme-industries" },
      });
      assertEquals(res.status, 204);
      assertEquals(await app.tenantDatabases(), []);
      const me = await app.client(token).v1.me.$get();
      assertEquals(me.status, 401);
      assertEquals(
        (await api.v1.orgs[":slug"].$get({ param: { slug: "acme-industries" } })).status,
        404,
      );
      const memberships = await app.deps.db.master.collection("memberships").countDocuments({});
      assertEquals(memberships, 0);
      assertEquals(await app.deps.db.master.collection("sessions").countDocuments({}), 0);
    });
    await t.step("the name is usable again", async () => {
      const res = await api.v1.orgs.$post({
        json: { name: "Acme Corp", admin: { email, password: PASSWORD } },
      });
      assertEquals(res.status, 201, "the existing user creates it with their password");
    });
  } finally {
    await app.close();
  }
});

Deno.test(
  "20 concurrent creates of one name: one 201, nineteen 409, one database",
  dbTest,
  async () => {
    const app = await createTestApp();
    try {
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          app.request(
            "/v1/orgs",
            json({
              name: "Race Corp",
              admin: { email: `racer${i}@example.com`, password: PASSWORD },
            }),
          )),
      );
      const statuses = results.map((r) => r.status).sort();
      assertEquals(statuses.filter((s) => s === 201).length, 1, `statuses: ${statuses}`);
      assertEquals(statuses.filter((s) => s === 409).length, 19, `statuses: ${statuses}`);
      for (const r of results.filter((r) => r.status === 409)) {
        assertEquals((await r.json()).code, "org_exists");
      }
      assertEquals((await app.tenantDatabases()).length, 1);
      assertEquals(await app.deps.db.master.collection("orgs").countDocuments({}), 1);
      assertEquals(
        await app.deps.db.master.collection("users").countDocuments({}),
        1,
        "losers created no user",
      );
    } finally {
      await app.close();
    }
  },
);

Deno.test(
  "names that fold to one slug conflict; hostile names are refused or slugged",
  dbTest,
  async (t) => {
    const app = await createTestApp();
    const create = (name: unknown) =>
      app.request(
        "/v1/orgs",
        json({ name, admin: { email: "owner@example.com", password: PASSWORD } }),
      );
    try {
      assertEquals((await create("Café Olé")).status, 201);
      await t.step("case, spaces, punctuation and diacritics conflict", async () => {
        for (
          const name of [
            "cafe ole",
            "CAFÉ   OLÉ",
            "Cafe-Ole",
            "  café olé!  ",
            "Cafe\u0301 Ole\u0301",
          ]
        ) {
          const res = await create(name);
          assertEquals(res.status, 409, name);
          assertEquals((await res.json()).code, "org_exists");
        }
      });
      await t.step("hostile names", async () => {
        const dots = await create("../x");
        assertEquals(dots.status, 400, "'../x' has a one-letter slug");
        const dollar = await create("a.b$c");
        assertEquals(dollar.status, 201);
        assertEquals((await dollar.json()).org.slug, "a-b-c");
        assertEquals((await create("x".repeat(300))).status, 400);
        const op = await create({ $gt: "" });
        assertEquals(op.status, 400);
        assertEquals((await op.json()).code, "validation_failed");
        assertEquals((await create("日本語の会社")).status, 400, "no letters usable in a slug");
        assertEquals((await create("ab")).status, 400);
        assertEquals((await create("bad\u0000name")).status, 400);
      });
      await t.step("every tenant database name is the prefix plus an id", async () => {
        for (const name of await app.tenantDatabases()) {
          assert(new RegExp(`^${app.config.tenantDbPrefix}[0-9a-f]{24}$`).test(name), name);
        }
        assertEquals((await app.tenantDatabases()).length, 2);
      });
      await t.step("weak passwords and bad emails are refused, changing nothing", async () => {
        const weak = await app.request(
          "/v1/orgs",
          json({ name: "Weak Co", admin: { email: "w@example.com", password: "password1" } }),
        );
        assertEquals(weak.status, 400);
        assertEquals((await weak.json()).code, "weak_password");
        const email = await app.request(
          "/v1/orgs",
          json({ name: "Weak Co", admin: { email: "not-an-email", password: PASSWORD } }),
        );
        assertEquals(email.status, 400);
        assertEquals(
          await app.deps.db.master.collection("orgs").countDocuments({ slug: "weak-co" }),
          0,
        );
        assertEquals(
          await app.deps.db.master.collection("users").countDocuments({ email: "w@example.com" }),
          0,
        );
      });
      await t.step(
        "an existing email with a wrong password is 401 and claims nothing",
        async () => {
          const res = await app.request(
            "/v1/orgs",
            json({
              name: "Other Co",
              admin: { email: "owner@example.com", password: "a different long passphrase" },
            }),
          );
          assertEquals(res.status, 401);
          assertEquals((await res.json()).code, "invalid_credentials");
          assertEquals(
            await app.deps.db.master.collection("orgs").countDocuments({ slug: "other-co" }),
            0,
          );
        },
      );
      await t.step(
        "an existing owner is not held to the strength check, which now runs beside the lookup",
        async () => {
          // The org name equals the password: weak for a new user, but this user exists.
          const res = await create(PASSWORD);
          assertEquals(res.status, 201);
          const users = app.deps.db.master.collection("users");
          assertEquals(await users.countDocuments({ email: "owner@example.com" }), 1);
        },
      );
    } finally {
      await app.close();
    }
  },
);

Deno.test("cross-tenant: another org's token gets 404 and changes nothing", dbTest, async (t) => {
  const app = await createTestApp();
  try {
    const a = await createOrgAndLogin(app, "Tenant A");
    const b = await createOrgAndLogin(app, "Tenant B");
    const asB = app.client(b.token);
    await t.step("GET shows only public fields to another org's member", async () => {
      const res = await asB.v1.orgs[":slug"].$get({ param: { slug: a.org.slug } });
      assertEquals(res.status, 200);
      assertEquals((await res.json()).databaseName, undefined);
    });
    await t.step("PATCH and DELETE of another org are 404 and change nothing", async () => {
      const patch = await asB.v1.orgs[":slug"].$patch({
        param: { slug: a.org.slug },
        json: { name: "Stolen" },
      });
      assertEquals(patch.status, 404);
      const del = await asB.v1.orgs[":slug"].$delete({ param: { slug: a.org.slug } });
      assertEquals(del.status, 404);
      const still = await app.client().v1.orgs[":slug"].$get({ param: { slug: a.org.slug } });
      assertEquals((await still.json()).name, "Tenant A");
      assertEquals((await app.tenantDatabases()).length, 2);
    });
    await t.step("the org comes from the token, never the body", async () => {
      const res = await app.request(`/v1/orgs/${a.org.slug}`, {
        method: "PATCH",
        headers: { Authorization: `Bearer ${b.token}`, "Content-Type": "application/json" },
        body: JSON.stringify({ name: "Stolen", orgId: a.org.id }),
      });
      assertEquals(res.status, 400, "an org id in the body is an unknown field");
      assertEquals((await res.json()).code, "validation_failed");
      const still = await app.client().v1.orgs[":slug"].$get({ param: { slug: a.org.slug } });
      assertEquals((await still.json()).name, "Tenant A");
    });
    await t.step("every org-scoped route with another org's token is 404", async () => {
      const h = { Authorization: `Bearer ${b.token}`, "Content-Type": "application/json" };
      const s = a.org.slug;
      const calls: [string, string, unknown?][] = [
        ["GET", `/v1/orgs/${s}/members`],
        ["PATCH", `/v1/orgs/${s}/members/${a.admin.id}`, { role: "member" }],
        ["DELETE", `/v1/orgs/${s}/members/${a.admin.id}`],
        ["POST", `/v1/orgs/${s}/invitations`, { email: "spy@example.com", role: "owner" }],
        ["GET", `/v1/orgs/${s}/invitations`],
        ["DELETE", `/v1/orgs/${s}/invitations/${a.admin.id}`],
        ["GET", `/v1/orgs/${s}/audit`],
      ];
      for (const [method, path, body] of calls) {
        const res = await app.request(path, {
          method,
          headers: h,
          body: body ? JSON.stringify(body) : undefined,
        });
        assertEquals(res.status, 404, `${method} ${path}`);
      }
      const members = await app.client(a.token).v1.orgs[":slug"].members.$get({
        param: { slug: s },
        query: {},
      });
      assertEquals((await members.json()).items.length, 1, "nothing changed in org A");
    });
    await t.step("a token is not accepted for a different slug of its own user", async () => {
      assertNotEquals(a.org.id, b.org.id);
      const res = await app.client(a.token).v1.orgs[":slug"].$delete({
        param: { slug: b.org.slug },
      });
      assertEquals(res.status, 404);
    });
  } finally {
    await app.close();
  }
});

Deno.test("renaming onto a taken name is 409 and changes nothing", dbTest, async () => {
  const app = await createTestApp();
  try {
    const a = await createOrgAndLogin(app, "Alpha Org");
    await createOrgAndLogin(app, "Beta Org");
    const res = await app.client(a.token).v1.orgs[":slug"].$patch({
      param: { slug: "alpha-org" },
      json: { name: "BETA org" },
    });
    assertEquals(res.status, 409);
    assertEquals(await codeOf(res), "org_exists");
    const still = await app.client().v1.orgs[":slug"].$get({ param: { slug: "alpha-org" } });
    assertEquals((await still.json()).name, "Alpha Org");
  } finally {
    await app.close();
  }
});
