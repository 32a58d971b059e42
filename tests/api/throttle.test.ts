import { assert, assertEquals, assertProblem } from "../support/assert.ts";
import { loadConfig } from "../../src/platform/config.ts";
import {
  addMember,
  createOrgAndLogin,
  createTestApp,
  dbTest,
  json,
  PASSWORD,
  requestFrom,
} from "../support/app.ts";

/** The default LOGIN_EMAIL_LIMIT, which the test apps keep. */
const EMAIL_LIMIT = loadConfig({}).loginEmailLimit;

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

Deno.test(
  "120 concurrent correct sign-ins from one address never lock that address out",
  dbTest,
  async () => {
    await using app = await createTestApp();
    // An office behind one NAT: 24 people, each signing in 5 times (within their email's limit).
    const owner = await createOrgAndLogin(app, "Office Co");
    const people = [owner.email];
    for (let i = 1; i < 24; i++) {
      people.push((await addMember(app, owner.token, owner.org.slug, "member")).email);
    }
    const office = "203.0.113.80";
    const signIn = (email: string) =>
      requestFrom(app, office, "/v1/auth/login", json({ email, password: PASSWORD }));
    const statuses = await burst(120, (i) => signIn(people[i % people.length]));
    assert(statuses.every((s) => s === 200 || s === 429), `statuses ${statuses}`);
    assert(statuses.includes(200), `statuses ${statuses}`);
    assertEquals((await signIn(people[0])).status, 200, "the address is not locked out");
    const again = await burst(people.length, (i) => signIn(people[i]));
    assertEquals(again, people.map(() => 200), "nor is anyone in the office");
  },
);

Deno.test(
  "LOGIN_ADDRESS_LIMIT: 25 concurrent wrong sign-ins from one address, at most the limit checked",
  dbTest,
  async () => {
    await using app = await createTestApp({ env: { LOGIN_ADDRESS_LIMIT: "10" } });
    const s = await createOrgAndLogin(app, "Guessed Co");
    const statuses = await burst(25, (i) =>
      requestFrom(
        app,
        "203.0.113.90",
        "/v1/auth/login",
        json({ email: `guess${i}@example.com`, password: "wrong password guess" }),
      ));
    assert(statuses.every((x) => x === 401 || x === 429), `statuses ${statuses}`);
    assertEquals(statuses.filter((x) => x === 401).length, 10, `${statuses}`);
    const right = await requestFrom(
      app,
      "203.0.113.90",
      "/v1/auth/login",
      json({ email: s.email, password: PASSWORD }),
    );
    assertEquals(right.status, 429, "the window is full of wrong passwords");
  },
);

Deno.test("LOGIN_EMAIL_LIMIT sets the wrong passwords allowed per email", dbTest, async () => {
  await using app = await createTestApp({ env: { LOGIN_EMAIL_LIMIT: "2" } });
  const s = await createOrgAndLogin(app, "Two Tries Co");
  const login = (password: string) =>
    app.client().v1.auth.login.$post({ json: { email: s.email, password } });
  for (let i = 0; i < 2; i++) assertEquals((await login("wrong password guess")).status, 401);
  assertEquals((await login("wrong password guess")).status, 429);
});

Deno.test(
  "an attempt refused by the throttle checks no password and is not counted",
  dbTest,
  async () => {
    await using app = await createTestApp({ env: { LOGIN_ADDRESS_LIMIT: "3" } });
    const s = await createOrgAndLogin(app, "Refused Co");
    const from = (email: string, password: string) =>
      requestFrom(app, "198.51.100.77", "/v1/auth/login", json({ email, password }));
    for (let i = 0; i < 2; i++) {
      assertEquals((await from(`nobody${i}@example.com`, "wrong password guess")).status, 401);
    }
    // Two wrong: one more is allowed. A correct burst beyond the limit: the refused ones give
    // their counts back, the right ones undo theirs.
    const statuses = await burst(20, () => from(s.email, PASSWORD));
    assert(statuses.every((x) => x === 200 || x === 429), `statuses ${statuses}`);
    assertEquals((await from("nobody2@example.com", "wrong password guess")).status, 401);
    assertEquals((await from("nobody3@example.com", "wrong password guess")).status, 429);
    const stored = await app.deps.db.master.collection("login_throttle").findOne({
      _id: "ip:198.51.100.77" as never,
    });
    assertEquals(stored?.count, 3, "three wrong passwords, nothing else");
  },
);

Deno.test(
  "password throttles count an IPv6 client per /64, IPv4-mapped as IPv4",
  dbTest,
  async () => {
    await using app = await createTestApp({ env: { LOGIN_ADDRESS_LIMIT: "3" } });
    const s = await createOrgAndLogin(app, "Sixty Four Co");
    const wrong = (ip: string, i: number) =>
      requestFrom(
        app,
        ip,
        "/v1/auth/login",
        json({ email: `v6guess${i}@example.com`, password: "wrong password guess" }),
      );
    const right = (ip: string) =>
      requestFrom(app, ip, "/v1/auth/login", json({ email: s.email, password: PASSWORD }));
    for (let i = 0; i < 3; i++) {
      assertEquals((await wrong(`2001:db8:a:b::${i + 1}`, i)).status, 401);
    }
    assertEquals((await wrong("2001:db8:a:b:1234:5678:9abc:def0", 3)).status, 429, "same /64");
    assertEquals((await right("2001:db8:a:b:ffff::1")).status, 429, "same /64");
    assertEquals((await right("2001:db8:a:c::1")).status, 200, "another /64");
    for (let i = 0; i < 3; i++) assertEquals((await wrong("192.0.2.33", 10 + i)).status, 401);
    assertEquals((await right("::ffff:192.0.2.33")).status, 429, "the same IPv4 address");
    assertEquals((await right("192.0.2.34")).status, 200, "IPv4: per address");
  },
);
