import { okJson } from "../support/client.ts";
import { assert, assertEquals, assertProblem } from "../support/assert.ts";
import { waitUntil } from "../../tools/lib/wait.ts";
import { sign } from "hono/jwt";
import { createHasher, type Hasher } from "../../src/platform/hasher.ts";
import {
  createOrgAndLogin,
  createOrgSignedIn,
  createTestApp,
  dbTest,
  mongoUri,
  PASSWORD,
  SECRET,
} from "../support/app.ts";

/** A real hasher that counts its bcrypt comparisons. */
function countingHasher() {
  const inner = createHasher({ cost: 4, workers: 1 });
  const calls = { hash: 0, compare: 0 };
  const hasher: Hasher = {
    hash: (p) => (calls.hash++, inner.hash(p)),
    verify: (p, h) => (calls.compare++, inner.verify(p, h)),
    verifyDummy: (p) => (calls.compare++, inner.verifyDummy(p)),
    weakness: (p, inputs) => inner.weakness(p, inputs),
    close: () => inner.close(),
  };
  return { hasher, calls };
}

Deno.test(
  "login costs exactly one bcrypt comparison, for an unknown email too",
  dbTest,
  async () => {
    const { hasher, calls } = countingHasher();
    await using app = await createTestApp({ hasher });
    await createOrgAndLogin(app, "Timing Co", "known@example.com");
    const login = (email: string, password: string) =>
      app.client().v1.auth.login.$post({ json: { email, password } });

    calls.compare = 0;
    const wrong = await login("known@example.com", "not the right password");
    assertEquals(wrong.status, 401);
    assertEquals(calls.compare, 1);

    calls.compare = 0;
    const unknown = await login("nobody@example.com", "not the right password");
    assertEquals(unknown.status, 401);
    assertEquals(calls.compare, 1);
    assertEquals(await wrong.text(), await unknown.text(), "the same answer for both");

    calls.compare = 0;
    assertEquals((await login("known@example.com", PASSWORD)).status, 200);
    assertEquals(calls.compare, 1);
    assertEquals(calls.hash, 1, "only the org creation hashed");
  },
);

Deno.test(
  "a wrong password for a known email costs the same database work as an unknown email",
  dbTest,
  async () => {
    const uri = new URL(mongoUri());
    uri.searchParams.set("monitorCommands", "true");
    await using app = await createTestApp({ uri: uri.toString() });
    const commands: string[] = [];
    const client = app.deps.db.clients.default;
    client.on("commandStarted", (e) => {
      const target = e.command[e.commandName];
      commands.push(
        `${e.databaseName === app.config.masterDb ? "master" : "other"}.${
          typeof target === "string" ? target : ""
        }.${e.commandName}`,
      );
    });
    const owner = await createOrgAndLogin(app, "Work Co", "known@example.com");
    await createOrgSignedIn(app, owner.token, "Work Two");
    const attempt = async (email: string) => {
      commands.length = 0;
      const res = await app.client().v1.auth.login.$post({
        json: { email, password: "not the right password" },
      });
      assertEquals(res.status, 401);
      const done = [...commands].sort();
      await res.body?.cancel();
      return done;
    };
    // The unknown email first: the known one's audit writes come after its answer.
    const unknown = await attempt("nobody@example.com");
    const known = await attempt("known@example.com");
    assert(known.length > 0, "the commands were seen");
    assertEquals(known, unknown, "the same commands before the answer");
    // The known user's failure still reaches the audit logs of both orgs, after the answer.
    const audit = (slug: string) =>
      app.deps.db.master.collection("orgs").findOne({ slug }).then((o) =>
        app.deps.db.clients.default.db(o!.databaseName).collection("_audit_log")
          .countDocuments({ type: "login.failed" })
      );
    await waitUntil(
      async () => await audit("work-co") >= 1 && await audit("work-two") >= 1,
      "the failed login in both audit logs",
      { timeoutMs: 2000, intervalMs: 20 },
    );
    assertEquals([await audit("work-co"), await audit("work-two")], [1, 1]);
  },
);

Deno.test("tokens: forged, expired, wrong-algorithm and malformed are 401", dbTest, async (t) => {
  await using app = await createTestApp();
  const { token, admin, org } = await createOrgAndLogin(app, "Token Co");
  const sid = JSON.parse(atob(token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/"))).sid;
  const now = Math.floor(Date.now() / 1000);
  const claims = { sub: admin.id, org: org.id, role: "owner", sid, iat: now, exp: now + 600 };
  const b64 = (o: unknown) =>
    btoa(JSON.stringify(o)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
  const cases: Record<string, string> = {
    "alg none": `${b64({ alg: "none", typ: "JWT" })}.${b64(claims)}.`,
    "another secret": await sign(claims, "another-secret-that-is-long-enough-000", "HS256"),
    "HS512": await sign(claims, SECRET, "HS512"),
    "expired": await sign({ ...claims, iat: now - 1000, exp: now - 10 }, SECRET, "HS256"),
    "not yet valid": await sign({ ...claims, nbf: now + 600 }, SECRET, "HS256"),
    "garbage": "abc.def.ghi",
    "huge": "a".repeat(10_000),
  };
  for (const [name, bad] of Object.entries(cases)) {
    await t.step(name, async () => {
      const res = await app.request("/v1/me", { headers: { Authorization: `Bearer ${bad}` } });
      await assertProblem(res, 401, "unauthorized", name);
    });
  }
  await t.step("the real token works", async () => {
    assertEquals((await app.client(token).v1.me.$get()).status, 200);
    assertEquals(
      (await app.request("/v1/me", { headers: { Authorization: `Basic ${token}` } })).status,
      401,
    );
  });
});

Deno.test("a user in several orgs names one at login", dbTest, async () => {
  await using app = await createTestApp();
  const a = await createOrgAndLogin(app, "First Org", "multi@example.com");
  await createOrgSignedIn(app, a.token, "Second Org");
  const res = await app.client().v1.auth.login.$post({
    json: { email: "multi@example.com", password: PASSWORD },
  });
  const body = await assertProblem(res, 400, "org_required");
  assertEquals((body.orgs as string[]).sort(), ["first-org", "second-org"]);
  const named = await app.client().v1.auth.login.$post({
    json: { email: "multi@example.com", password: PASSWORD, org: "second-org" },
  });
  assertEquals(named.status, 200);
  const notMine = await app.client().v1.auth.login.$post({
    json: { email: "multi@example.com", password: PASSWORD, org: "nope-org" },
  });
  assertEquals(notMine.status, 404);
  const me = await app.client(a.token).v1.me.$get();
  assertEquals(me.status, 200);
  if (me.status === 200) {
    const body = await me.json();
    assertEquals(body.org?.slug, "first-org");
    assertEquals(body.orgs.length, 2);
    assert(body.orgs.every((o) => o.role === "owner"));
  }
});

Deno.test(
  "every response that hands out tokens carries Cache-Control: no-store",
  dbTest,
  async (t) => {
    await using app = await createTestApp();
    const s = await createOrgAndLogin(app, "No Store Co");
    const second = await createOrgSignedIn(app, s.token, "No Store Two");
    const invited = await app.client(s.token).v1.orgs[":slug"].invitations.$post({
      param: { slug: s.org.slug },
      json: { email: "no-store-invitee@example.com", role: "member" },
    });
    const { token: invitation } = await okJson(invited);
    const post = (path: string, body: unknown, token?: string) =>
      app.request(path, {
        method: "POST",
        headers: {
          "Content-Type": "application/json",
          ...(token ? { Authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify(body),
      });
    const routes: [string, () => Promise<Response>][] = [
      [
        "POST /v1/auth/login",
        () => post("/v1/auth/login", { email: s.email, password: PASSWORD, org: s.org.slug }),
      ],
      [
        "POST /v1/auth/refresh",
        () => post("/v1/auth/refresh", { refreshToken: second.refreshToken }),
      ],
      ["POST /v1/auth/switch", () => post("/v1/auth/switch", { org: s.org.slug }, second.token)],
      [
        "POST /v1/invitations/accept",
        () => post("/v1/invitations/accept", { token: invitation, password: PASSWORD }),
      ],
      ["POST /admin/login", () => post("/admin/login", { email: s.email, password: PASSWORD })],
    ];
    for (const [name, send] of routes) {
      await t.step(name, async () => {
        const res = await send();
        assertEquals(res.status, 200, `${name}: ${await res.clone().text()}`);
        assertEquals(res.headers.get("Cache-Control"), "no-store");
        await res.body?.cancel();
      });
    }
  },
);
