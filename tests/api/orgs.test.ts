import { okJson } from "../support/client.ts";
import {
  assert,
  assertEquals,
  assertNotEquals,
  assertProblem,
  problemCode,
} from "../support/assert.ts";
import {
  createOrgAndLogin,
  createTestApp,
  dbTest,
  json,
  PASSWORD,
  requestFrom,
} from "../support/app.ts";
import { LATEST_SCHEMA_VERSION } from "../../src/tenants/migrations/mod.ts";
import { setPlatformRole } from "../../src/identity/users.ts";
import { tag } from "../../src/platform/cache.ts";

Deno.test("the whole life of an org: create, get, login, rename, delete", dbTest, async (t) => {
  await using app = await createTestApp();
  const api = app.client();
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
    const body = await okJson(res);
    assertEquals(body.org.name, "Acme Corp");
    assertEquals(body.org?.slug, "acme-corp");
    assertEquals(body.org.status, "active");
    assertEquals(body.admin?.email, email);
    assertEquals(body.org.databaseName, `${app.config.tenantDbPrefix}${body.org.id}`);
    orgId = body.org.id;
    databaseName = body.org.databaseName!;
    assertEquals(await app.tenantDatabases(), [databaseName]);
    const tenant = app.deps.db.clients.default.db(databaseName);
    const collections = (await tenant.listCollections().toArray()).map((c) => c.name).sort();
    assertEquals(collections, ["_audit_log", "_meta"]);
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
    const body = await okJson(res);
    assertEquals(body.id, orgId);
    assertEquals(body.databaseName, undefined);
  });
  await t.step("login, then get shows the member fields", async () => {
    const res = await api.v1.auth.login.$post({ json: { email, password: PASSWORD } });
    assertEquals(res.status, 200);
    if (res.status !== 200) return;
    const body = await res.json();
    assertEquals(body.role, "owner");
    assertEquals(body.org?.slug, "acme-corp");
    token = body.accessToken;
    const got = await app.client(token).v1.orgs[":slug"].$get({ param: { slug: "acme-corp" } });
    const org = await okJson(got);
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
    const org = await okJson(res);
    assertEquals(org.slug, "acme-industries");
    assertEquals(org.databaseName, databaseName);
    const old = await api.v1.orgs[":slug"].$get({ param: { slug: "acme-corp" } });
    await assertProblem(old, 404, "org_not_found");
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
      json: { name: "Acme Corp", admin: { email: "grace@example.com", password: PASSWORD } },
    });
    assertEquals(res.status, 201);
  });
});

Deno.test(
  "20 concurrent creates of one name: one 201, nineteen 409, one database",
  dbTest,
  async () => {
    await using app = await createTestApp();
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
      await assertProblem(r, 409, "org_exists");
    }
    assertEquals((await app.tenantDatabases()).length, 1);
    assertEquals(await app.deps.db.master.collection("orgs").countDocuments({}), 1);
    assertEquals(
      await app.deps.db.master.collection("users").countDocuments({}),
      1,
      "losers created no user",
    );
  },
);

Deno.test(
  "names that fold to one slug conflict; hostile names are refused or slugged",
  dbTest,
  async (t) => {
    await using app = await createTestApp();
    let owners = 0;
    const create = (name: unknown, email = `owner${++owners}@example.com`) =>
      app.request("/v1/orgs", json({ name, admin: { email, password: PASSWORD } }));
    assertEquals((await create("Café Olé", "owner@example.com")).status, 201);
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
        await assertProblem(res, 409, "org_exists", name);
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
      await assertProblem(op, 400, "validation_failed");
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
      await assertProblem(weak, 400, "weak_password");
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
      "an existing email without a token is 409 email_taken and claims nothing",
      async () => {
        const res = await app.request(
          "/v1/orgs",
          json({
            name: "Other Co",
            admin: { email: "owner@example.com", password: "a different long passphrase" },
          }),
        );
        await assertProblem(res, 409, "email_taken");
        assertEquals(
          await app.deps.db.master.collection("orgs").countDocuments({ slug: "other-co" }),
          0,
        );
      },
    );
  },
);

Deno.test(
  "creation is no password oracle: an existing user adds an org signed in",
  dbTest,
  async (t) => {
    await using app = await createTestApp();
    const owner = await createOrgAndLogin(app, "Home Co", "victim@example.com");
    await t.step("right or wrong password, the answer is the same 409", async () => {
      // The old oracle: an existing org's name and the victim's email, 401 for a wrong
      // password and 409 for the right one.
      const answers = [];
      for (const password of [PASSWORD, "a wrong but long passphrase"]) {
        for (const name of ["Home Co", "Fresh Co"]) {
          const res = await app.request(
            "/v1/orgs",
            json({ name, admin: { email: "victim@example.com", password } }),
          );
          answers.push([res.status, await problemCode(res)]);
        }
      }
      assertEquals(answers, Array(4).fill([409, "email_taken"]));
      assertEquals(
        await app.deps.db.master.collection("orgs").countDocuments({ slug: "fresh-co" }),
        0,
      );
    });
    await t.step("signed in, `{ name }` alone makes the user its owner", async () => {
      const res = await app.client(owner.token).v1.orgs.$post({ json: { name: "Second Co" } });
      assertEquals(res.status, 201);
      if (res.status !== 201) return;
      const body = await res.json();
      assertEquals(body.admin, { id: owner.admin.id, email: "victim@example.com" });
      assertEquals(body.org.role, "owner");
      const me = await app.client(owner.token).v1.me.$get();
      assertEquals((await okJson(me)).orgs.map((o) => o.slug).sort(), ["home-co", "second-co"]);
      assertEquals(
        await app.deps.db.master.collection("users").countDocuments({}),
        1,
        "no second user",
      );
    });
    await t.step("signed in, `admin` is 400 and a bad token is 401", async () => {
      const withAdmin = await app.request("/v1/orgs", {
        ...json({ name: "Third Co", admin: { email: "x@example.com", password: PASSWORD } }),
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${owner.token}` },
      });
      await assertProblem(withAdmin, 400, "validation_failed");
      const badToken = await app.request("/v1/orgs", {
        ...json({ name: "Third Co" }),
        headers: { "Content-Type": "application/json", Authorization: "Bearer nope" },
      });
      assertEquals(badToken.status, 401);
      const anonymous = await app.request("/v1/orgs", json({ name: "Third Co" }));
      assertEquals(anonymous.status, 400, "not signed in, `admin` is required");
      assertEquals(
        await app.deps.db.master.collection("orgs").countDocuments({ slug: "third-co" }),
        0,
      );
    });
    await t.step("a new owner's password is held to the strength check", async () => {
      const res = await app.request(
        "/v1/orgs",
        json({ name: "Weak Name Co", admin: { email: "n@example.com", password: "password1" } }),
      );
      await assertProblem(res, 400, "weak_password");
    });
    await t.step("login is not throttled by any of this", async () => {
      const res = await app.client().v1.auth.login.$post({
        json: { email: "victim@example.com", password: PASSWORD, org: "home-co" },
      });
      assertEquals(res.status, 200);
    });
  },
);

Deno.test("ORG_CREATION=operators closes creation to everyone else", dbTest, async () => {
  await using open = await createTestApp();
  await using app = await createTestApp({
    sameDatabaseAs: open,
    env: { ORG_CREATION: "operators" },
  });
  const owner = await createOrgAndLogin(open, "Before Co");
  const anonymous = await app.request(
    "/v1/orgs",
    json({ name: "Closed Co", admin: { email: "new@example.com", password: PASSWORD } }),
  );
  assertEquals(anonymous.status, 403);
  const signedIn = await app.client(owner.token).v1.orgs.$post({ json: { name: "Closed Co" } });
  assertEquals(signedIn.status, 403);
  const compat = await app.request(
    "/org/create",
    json({ organization_name: "Closed Co", email: "new@example.com", password: PASSWORD }),
  );
  await assertProblem(compat, 403, "forbidden", "the compatibility route obeys the same policy");
  assertEquals(await app.deps.db.master.collection("orgs").countDocuments({}), 1);
  assertEquals(await app.deps.db.master.collection("users").countDocuments({}), 1);
});

Deno.test(
  "ORG_CREATE_LIMIT: unauthenticated creation per client address per hour, 429 past it",
  dbTest,
  async () => {
    let offsetMs = 0;
    await using app = await createTestApp({
      env: { ORG_CREATE_LIMIT: "3" },
      now: () => new Date(Date.now() + offsetMs),
    });
    const create = (ip: string, path: string, body: unknown) =>
      requestFrom(app, ip, path, json(body));
    const v1 = (i: number) => ({
      name: `Limited ${i}`,
      admin: { email: `limited${i}@example.com`, password: PASSWORD },
    });
    // Every attempt counts, whatever its answer, on both creation routes.
    assertEquals((await create("192.0.2.1", "/v1/orgs", v1(1))).status, 201);
    assertEquals((await create("192.0.2.1", "/v1/orgs", v1(1))).status, 409);
    const compat = await create("192.0.2.1", "/org/create", {
      organization_name: "Limited 2",
      email: "limited2@example.com",
      password: PASSWORD,
    });
    assertEquals(compat.status, 201);
    const refused = await create("192.0.2.1", "/v1/orgs", v1(3));
    await assertProblem(refused, 429, "rate_limited");
    const retry = Number(refused.headers.get("Retry-After"));
    assert(retry > 0 && retry <= 3600, `Retry-After ${retry}`);
    const refusedCompat = await create("192.0.2.1", "/org/create", {
      organization_name: "Limited 3",
      email: "limited3@example.com",
      password: PASSWORD,
    });
    assertEquals(refusedCompat.status, 429);
    assertEquals(
      await app.deps.db.master.collection("orgs").countDocuments({}),
      2,
      "refused attempts create nothing",
    );
    assertEquals((await create("192.0.2.2", "/v1/orgs", v1(3))).status, 201, "another address");

    // A signed-in user is not counted against the address.
    const login = await requestFrom(
      app,
      "192.0.2.1",
      "/v1/auth/login",
      json({ email: "limited1@example.com", password: PASSWORD }),
    );
    const token = (await login.json()).accessToken;
    const signedIn = await requestFrom(app, "192.0.2.1", "/v1/orgs", {
      ...json({ name: "Limited Own" }),
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
    });
    assertEquals(signedIn.status, 201);

    offsetMs = 3600_000 + 1000;
    assertEquals((await create("192.0.2.1", "/v1/orgs", v1(4))).status, 201, "an hour later");
  },
);

Deno.test(
  "ORG_CREATE_LIMIT: signed-in creation per user per hour, 429 past it, operators exempt",
  dbTest,
  async () => {
    let offsetMs = 0;
    await using app = await createTestApp({
      env: { ORG_CREATE_LIMIT: "2" },
      now: () => new Date(Date.now() + offsetMs),
    });
    // Each from its own address: only the user's own count can refuse them.
    const user = await createOrgAndLogin(app, "Own Home", "own@example.com");
    const create = (n: number, token = user.token) =>
      requestFrom(app, `192.0.2.${100 + n}`, "/v1/orgs", {
        ...json({ name: `Own ${n}` }),
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
      });
    assertEquals((await create(1)).status, 201);
    assertEquals((await create(1)).status, 409, "a refused creation counts too");
    const refused = await create(2);
    await assertProblem(refused, 429, "rate_limited");
    const retry = Number(refused.headers.get("Retry-After"));
    assert(retry > 0 && retry <= 3600, `Retry-After ${retry}`);
    const databases = await app.tenantDatabases();
    assertEquals(databases.length, 2, "refused: no org and no database");
    assertEquals(await app.deps.db.master.collection("orgs").countDocuments({}), 2);

    // The compatibility route is no way around it: it never creates as the signed-in user.
    const compat = await requestFrom(app, "192.0.2.150", "/org/create", {
      ...json({ organization_name: "Own Compat", email: user.email, password: PASSWORD }),
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${user.token}` },
    });
    assertEquals(compat.status, 400, "the user's own email is taken there");
    assertEquals(await problemCode(compat), "email_taken");
    assertEquals(await app.deps.db.master.collection("orgs").countDocuments({}), 2);

    const other = await createOrgAndLogin(app, "Other Home", "other@example.com");
    assertEquals((await create(3, other.token)).status, 201, "another user has their own count");

    await setPlatformRole(app.deps.db.master, user.email, "operator");
    app.deps.cache.forget(tag.user(user.admin.id));
    for (let n = 4; n < 7; n++) assertEquals((await create(n)).status, 201, "an operator");

    offsetMs = 3600_000 + 1000;
    assertEquals((await create(8, other.token)).status, 201, "an hour later");
  },
);

Deno.test(
  "per-address creation limits count an IPv6 client per /64, IPv4-mapped as IPv4",
  dbTest,
  async () => {
    await using app = await createTestApp({ env: { ORG_CREATE_LIMIT: "1" } });
    const create = (ip: string, n: number) =>
      requestFrom(
        app,
        ip,
        "/v1/orgs",
        json({ name: `Six ${n}`, admin: { email: `six${n}@example.com`, password: PASSWORD } }),
      );
    assertEquals((await create("2001:db8:1:2::1", 1)).status, 201);
    await assertProblem(await create("2001:db8:1:2:ffff:ffff:ffff:fffe", 2), 429, "rate_limited");
    assertEquals((await create("2001:db8:1:3::1", 3)).status, 201, "another /64");
    assertEquals((await create("192.0.2.1", 4)).status, 201);
    assertEquals((await create("::ffff:192.0.2.1", 5)).status, 429, "the same IPv4 address");
    assertEquals((await create("192.0.2.2", 6)).status, 201, "IPv4: per address");
  },
);

Deno.test("ORG_CREATE_LIMIT=0 means no limit", dbTest, async () => {
  await using app = await createTestApp({ env: { ORG_CREATE_LIMIT: "0" } });
  for (let i = 0; i < 22; i++) {
    const res = await requestFrom(
      app,
      "192.0.2.1",
      "/v1/orgs",
      json({ name: `Bad Name ${i}`, admin: { email: "not-an-email", password: PASSWORD } }),
    );
    assertEquals(res.status, 400);
  }
  const res = await requestFrom(
    app,
    "192.0.2.1",
    "/v1/orgs",
    json({ name: "Unlimited", admin: { email: "u@example.com", password: PASSWORD } }),
  );
  assertEquals(res.status, 201);
});

Deno.test(
  "a burst of creations with an existing email checks no password and keeps to the limit",
  dbTest,
  async () => {
    await using app = await createTestApp();
    await createOrgAndLogin(app, "Burst Home", "burst@example.com");
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        requestFrom(
          app,
          "192.0.2.5",
          "/v1/orgs",
          json({
            name: `Burst ${i}`,
            admin: { email: "burst@example.com", password: `guess number ${i} here` },
          }),
        )),
    );
    const statuses = answers.map((r) => r.status);
    for (const r of answers) await r.body?.cancel();
    assertEquals(statuses.filter((s) => s === 401).length, 0, `statuses ${statuses}`);
    assert(statuses.every((s) => s === 409 || s === 429), `statuses ${statuses}`);
    assertEquals(
      statuses.filter((s) => s === 409).length,
      app.config.orgCreateLimit,
      `no more answers than ORG_CREATE_LIMIT (${app.config.orgCreateLimit}): ${statuses}`,
    );
  },
);

Deno.test("a full password-hashing queue is 503 overloaded with Retry-After", dbTest, async () => {
  await using app = await createTestApp({ env: { HASH_WORKERS: "1", HASH_QUEUE_LIMIT: "1" } });
  await createOrgAndLogin(app, "Queue Co", "queue@example.com");
  // A comparison at cost 20 keeps the only worker busy for far longer than this test; one
  // more job fills the queue. The hasher is closed at the end, which stops them.
  const slowHash = `$2b$20$${"a".repeat(53)}`;
  const busy = [app.deps.hasher.verify("x", slowHash), app.deps.hasher.verify("x", slowHash)];
  for (const p of busy) p.catch(() => {});
  const created = await app.request(
    "/v1/orgs",
    json({ name: "Queued Co", admin: { email: "q@example.com", password: PASSWORD } }),
  );
  await assertProblem(created, 503, "overloaded");
  assert(Number(created.headers.get("Retry-After")) > 0, "Retry-After");
  const login = await app.client().v1.auth.login.$post({
    json: { email: "queue@example.com", password: PASSWORD },
  });
  await assertProblem(login, 503, "overloaded");
  assertEquals(
    await app.deps.db.master.collection("orgs").countDocuments({ slug: "queued-co" }),
    0,
  );
  assertEquals(await app.deps.db.master.collection("users").countDocuments({}), 1);
});

Deno.test("passwords over 72 bytes in UTF-8 are refused, never cut", dbTest, async () => {
  await using app = await createTestApp();
  // 70 ASCII characters and one "é" (2 bytes) and one more: 73 bytes in 72 characters.
  const base = "correct horse battery staple and a much longer tail of words to pad it";
  assertEquals(base.length, 70);
  const long = `${base}éx`;
  const create = await app.request(
    "/v1/orgs",
    json({ name: "Long Co", admin: { email: "long@example.com", password: long } }),
  );
  const body = await assertProblem(create, 400, "validation_failed");
  assert(JSON.stringify(body.errors).includes("72 bytes"), JSON.stringify(body.errors));
  // Exactly 72 bytes is fine, and every byte of it counts.
  const fits = `${base}é`;
  const owner = await createOrgAndLogin(app, "Fits Co", "fits@example.com");
  const changed = await app.client(owner.token).v1.me.password.$post({
    json: { currentPassword: PASSWORD, newPassword: fits },
  });
  assertEquals(changed.status, 204);
  const login = (password: string) =>
    app.client().v1.auth.login.$post({ json: { email: "fits@example.com", password } });
  assertEquals((await login(fits)).status, 200);
  assertEquals((await login(`${base}e`)).status, 401, "the last byte counts");
  assertEquals((await login(`${fits}tail`)).status, 400, "a longer one is refused, not cut");
});

Deno.test("cross-tenant: another org's token gets 404 and changes nothing", dbTest, async (t) => {
  await using app = await createTestApp();
  const a = await createOrgAndLogin(app, "Tenant A");
  const b = await createOrgAndLogin(app, "Tenant B");
  const asB = app.client(b.token);
  await t.step("GET shows only public fields to another org's member", async () => {
    const res = await asB.v1.orgs[":slug"].$get({ param: { slug: a.org.slug } });
    assertEquals(res.status, 200);
    assertEquals((await okJson(res)).databaseName, undefined);
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
    assertEquals((await okJson(still)).name, "Tenant A");
    assertEquals((await app.tenantDatabases()).length, 2);
  });
  await t.step("the org comes from the token, never the body", async () => {
    const res = await app.request(`/v1/orgs/${a.org.slug}`, {
      method: "PATCH",
      headers: { Authorization: `Bearer ${b.token}`, "Content-Type": "application/json" },
      body: JSON.stringify({ name: "Stolen", orgId: a.org.id }),
    });
    await assertProblem(res, 400, "validation_failed", "an org id in the body is an unknown field");
    const still = await app.client().v1.orgs[":slug"].$get({ param: { slug: a.org.slug } });
    assertEquals((await okJson(still)).name, "Tenant A");
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
    assertEquals((await okJson(members)).items.length, 1, "nothing changed in org A");
  });
  await t.step("a token is not accepted for a different slug of its own user", async () => {
    assertNotEquals(a.org.id, b.org.id);
    const res = await app.client(a.token).v1.orgs[":slug"].$delete({
      param: { slug: b.org.slug },
    });
    assertEquals(res.status, 404);
  });
});

Deno.test("renaming onto a taken name is 409 and changes nothing", dbTest, async () => {
  await using app = await createTestApp();
  const a = await createOrgAndLogin(app, "Alpha Org");
  await createOrgAndLogin(app, "Beta Org");
  const res = await app.client(a.token).v1.orgs[":slug"].$patch({
    param: { slug: "alpha-org" },
    json: { name: "BETA org" },
  });
  await assertProblem(res, 409, "org_exists");
  const still = await app.client().v1.orgs[":slug"].$get({ param: { slug: "alpha-org" } });
  assertEquals((await okJson(still)).name, "Alpha Org");
});
