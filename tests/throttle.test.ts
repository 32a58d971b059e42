import { assert, assertEquals } from "./support/assert.ts";
import { clientAddress } from "../src/http/context.ts";
import { codeOf, createOrgAndLogin, createTestApp, dbTest, json, PASSWORD } from "./support/app.ts";

Deno.test("the 6th bad login for an email is 429, across two instances", dbTest, async () => {
  const a = await createTestApp();
  const b = await createTestApp({ sameDatabaseAs: a });
  try {
    const victim = await createOrgAndLogin(a, "Throttle Co", "victim@example.com");
    const bystander = await createOrgAndLogin(a, "Bystander Co", "bystander@example.com");
    const bad = (t: typeof a, email: string) =>
      t.client().v1.auth.login.$post({ json: { email, password: "wrong password guess" } });
    for (let i = 0; i < 5; i++) assertEquals((await bad(i % 2 ? a : b, victim.email)).status, 401);

    const sixth = await bad(b, victim.email);
    assertEquals(sixth.status, 429);
    assertEquals(await codeOf(sixth), "rate_limited");
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
  } finally {
    b.deps.hasher.close();
    await a.close();
  }
});

Deno.test("a successful login resets the email's counter", dbTest, async () => {
  const app = await createTestApp();
  try {
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
  } finally {
    await app.close();
  }
});

Deno.test("50 failures from one client address throttle that address", dbTest, async () => {
  const app = await createTestApp({ env: { TRUSTED_PROXIES: "10.0.0.1" } });
  try {
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
  } finally {
    await app.close();
  }
});

Deno.test("clientAddress() believes X-Forwarded-For only from trusted proxies", () => {
  assertEquals(clientAddress("1.2.3.4", "5.6.7.8", []), "1.2.3.4");
  assertEquals(clientAddress("10.0.0.1", "5.6.7.8", ["10.0.0.1"]), "5.6.7.8");
  assertEquals(
    clientAddress("10.0.0.1", "6.6.6.6, 5.6.7.8, 10.0.0.2", ["10.0.0.1", "10.0.0.2"]),
    "5.6.7.8",
  );
  assertEquals(clientAddress("10.0.0.1", "5.6.7.8", ["*"]), "5.6.7.8");
  assertEquals(clientAddress(undefined, "5.6.7.8", ["*"]), "unknown");
});
