import { assert, assertEquals, assertProblem } from "./support/assert.ts";
import { EMAIL_LIMIT } from "../src/identity/throttle.ts";
import { createOrgAndLogin, createTestApp, dbTest, json, PASSWORD } from "./support/app.ts";

Deno.test("the 6th bad login for an email is 429, across two instances", dbTest, async () => {
  await using a = await createTestApp();
  await using b = await createTestApp({ sameDatabaseAs: a });
  const victim = await createOrgAndLogin(a, "Throttle Co", "victim@example.com");
  const bystander = await createOrgAndLogin(a, "Bystander Co", "bystander@example.com");
  const bad = (t: typeof a, email: string) =>
    t.client().v1.auth.login.$post({ json: { email, password: "wrong password guess" } });
  for (let i = 0; i < 5; i++) assertEquals((await bad(i % 2 ? a : b, victim.email)).status, 401);

  const sixth = await bad(b, victim.email);
  await assertProblem(sixth, 429, "rate_limited");
  const retry = Number(sixth.headers.get("Retry-After"));
  assert(retry > 0 && retry <= 15 * 60, `Retry-After ${retry}`);
  const right = await a.client().v1.auth.login.$post({
    json: { email: victim.email, password: PASSWORD },
  });
  assertEquals(right.status, 429, "even the right password waits for the window");

  const other = await b.client().v1.auth.login.$post({
    json: { email: bystander.email, password: PASSWORD },
  });
  assertEquals(other.status, 200, "another email is unaffected");
});

/** Fire `n` requests at once; the statuses, sorted. */
async function burst(n: number, send: (i: number) => Promise<Response>): Promise<number[]> {
  const answers = await Promise.all(Array.from({ length: n }, (_, i) => send(i)));
  for (const r of answers) await r.body?.cancel();
  return answers.map((r) => r.status).sort();
}

Deno.test(
  "25 concurrent wrong logins for one email get no more 401s than the limit",
  dbTest,
  async () => {
    await using app = await createTestApp();
    const s = await createOrgAndLogin(app, "Burst Co", "burst@example.com");
    const statuses = await burst(25, (i) =>
      app.request(
        "/v1/auth/login",
        json({ email: s.email, password: `wrong guess number ${i}` }),
      ));
    assert(statuses.every((x) => x === 401 || x === 429), `statuses ${statuses}`);
    assertEquals(
      statuses.filter((x) => x === 401).length,
      EMAIL_LIMIT,
      `${EMAIL_LIMIT} guesses, the rest refused: ${statuses}`,
    );
    const right = await app.client().v1.auth.login.$post({
      json: { email: s.email, password: PASSWORD },
    });
    assertEquals(right.status, 429);
  },
);

Deno.test(
  "POST /v1/me/password: wrong current passwords count against the email's throttle",
  dbTest,
  async (t) => {
    await using app = await createTestApp();
    await t.step("in sequence: the sixth is 429, and so is login", async () => {
      const s = await createOrgAndLogin(app, "Stolen Co", "stolen@example.com");
      const change = (currentPassword: string) =>
        app.client(s.token).v1.me.password.$post({
          json: { currentPassword, newPassword: "the thief's new passphrase 9" },
        });
      for (let i = 0; i < EMAIL_LIMIT; i++) {
        assertEquals((await change(`wrong guess ${i}`)).status, 401);
      }
      const sixth = await change(PASSWORD);
      assertEquals(sixth.status, 429, "even the right one waits: the guesses are spent");
      assert(Number(sixth.headers.get("Retry-After")) > 0);
      const login = await app.client().v1.auth.login.$post({
        json: { email: s.email, password: PASSWORD },
      });
      assertEquals(login.status, 429, "one throttle for every password check");
    });
    await t.step("a right one resets the count", async () => {
      const s = await createOrgAndLogin(app, "Reset Two", "reset2@example.com");
      const change = (currentPassword: string, newPassword: string) =>
        app.client(s.token).v1.me.password.$post({ json: { currentPassword, newPassword } });
      for (let i = 0; i < EMAIL_LIMIT - 1; i++) {
        assertEquals((await change(`wrong guess ${i}`, "unused passphrase 77")).status, 401);
      }
      assertEquals((await change(PASSWORD, "a second good passphrase 8")).status, 204);
      for (let i = 0; i < EMAIL_LIMIT - 1; i++) {
        assertEquals((await change(`wrong guess ${i}`, "unused passphrase 77")).status, 401);
      }
      assertEquals((await change("a second good passphrase 8", PASSWORD)).status, 204);
    });
    await t.step("25 at once get no more 401s than the limit", async () => {
      const s = await createOrgAndLogin(app, "Burst Two", "burst2@example.com");
      const statuses = await burst(25, (i) =>
        app.request("/v1/me/password", {
          ...json({ currentPassword: `wrong guess ${i}`, newPassword: "unused passphrase 77" }),
          headers: { "Content-Type": "application/json", Authorization: `Bearer ${s.token}` },
        }));
      assert(statuses.every((x) => x === 401 || x === 429), `statuses ${statuses}`);
      assertEquals(statuses.filter((x) => x === 401).length, EMAIL_LIMIT, `${statuses}`);
    });
  },
);

Deno.test("a successful login resets the email's counter", dbTest, async () => {
  await using app = await createTestApp();
  const s = await createOrgAndLogin(app, "Reset Co");
  const login = (password: string) =>
    app.client().v1.auth.login.$post({ json: { email: s.email, password } });
  for (let i = 0; i < 4; i++) assertEquals((await login("wrong password guess")).status, 401);
  assertEquals((await login(PASSWORD)).status, 200);
  for (let i = 0; i < 4; i++) assertEquals((await login("wrong password guess")).status, 401);
  assertEquals(
    (await login(PASSWORD)).status,
    200,
    "4 + 4 failures with a success between: not throttled",
  );
});

Deno.test("50 failures from one client address throttle that address", dbTest, async () => {
  await using app = await createTestApp({ env: { TRUSTED_PROXIES: "10.0.0.1" } });
  const s = await createOrgAndLogin(app, "Address Co");
  const from = (
    hostname: string,
    email: string,
    password = "wrong password guess",
    xff?: string,
  ) =>
    app.app.request(
      "/v1/auth/login",
      json({ email, password }, xff ? { "X-Forwarded-For": xff } : {}),
      { remoteAddr: { hostname } },
    );
  for (let i = 0; i < 50; i++) {
    assertEquals((await from("192.0.2.7", `u${i}@example.com`)).status, 401);
  }
  const blocked = await from("192.0.2.7", s.email, PASSWORD);
  assertEquals(blocked.status, 429);
  assertEquals(
    (await from("192.0.2.8", s.email, PASSWORD)).status,
    200,
    "another address is fine",
  );
  // Behind a trusted proxy the forwarded address counts, not the proxy's.
  assertEquals((await from("10.0.0.1", s.email, PASSWORD, "192.0.2.7")).status, 429);
  assertEquals((await from("10.0.0.1", s.email, PASSWORD, "192.0.2.9")).status, 200);
  // An untrusted connection cannot choose its address with the header.
  assertEquals((await from("192.0.2.7", s.email, PASSWORD, "192.0.2.10")).status, 429);
});
