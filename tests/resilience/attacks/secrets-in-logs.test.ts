/** Passwords, tokens and the JWT secret never reach the logs, in-process or in a child process. */
import { createHasher, type Hasher } from "../../../src/platform/hasher.ts";
import { assert, assertEquals } from "../../support/assert.ts";
import { bearer, createTestApp, dbTest, json, SECRET } from "../../support/app.ts";
import { dbClient, dropService, serviceEnv, spawnService } from "../../support/service.ts";

/** A sign-in flow that handles every kind of secret; returns them all. */
async function secretFlow(
  base: string,
  request: (path: string, init?: RequestInit) => Promise<Response>,
) {
  const secrets: string[] = [];
  const keep = (s: string) => {
    secrets.push(s);
    // Fragments too: the refresh secret after its session id, the JWT signature.
    if (s.includes(".")) secrets.push(s.slice(s.lastIndexOf(".") + 1));
    return s;
  };
  const post = async (path: string, body: unknown, token?: string) => {
    const res = await request(path, {
      method: "POST",
      headers: { "Content-Type": "application/json", ...(token ? bearer(token) : {}) },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  const ownerPassword = keep(`owner pass ${crypto.randomUUID()}`);
  const created = await post("/v1/orgs", {
    name: `Secret Co ${base}`,
    admin: { email: `secret-${base}@example.com`, password: ownerPassword },
  });
  assertEquals(created.status, 201);
  const slug = created.body.org.slug;
  const login = await post("/v1/auth/login", {
    email: `secret-${base}@example.com`,
    password: ownerPassword,
  });
  assertEquals(login.status, 200);
  keep(login.body.accessToken);
  keep(login.body.refreshToken);
  const refreshed = await post("/v1/auth/refresh", { refreshToken: login.body.refreshToken });
  assertEquals(refreshed.status, 200);
  const token = keep(refreshed.body.accessToken);
  keep(refreshed.body.refreshToken);
  const reused = await post("/v1/auth/refresh", { refreshToken: login.body.refreshToken });
  assertEquals(reused.status, 401);
  const again = await post("/v1/auth/login", {
    email: `secret-${base}@example.com`,
    password: ownerPassword,
  });
  const owner = keep(again.body.accessToken);
  keep(again.body.refreshToken);
  const inv = await post(`/v1/orgs/${slug}/invitations`, {
    email: `joiner-${base}@example.com`,
    role: "admin",
  }, owner);
  assertEquals(inv.status, 201);
  keep(inv.body.token);
  const joinerPassword = keep(`joiner pass ${crypto.randomUUID()}`);
  const accepted = await post("/v1/invitations/accept", {
    token: inv.body.token,
    password: joinerPassword,
  });
  assertEquals(accepted.status, 200);
  keep(accepted.body.accessToken);
  keep(accepted.body.refreshToken);
  const newPassword = keep(`new pass ${crypto.randomUUID()}`);
  const changed = await post("/v1/me/password", {
    currentPassword: joinerPassword,
    newPassword,
  }, accepted.body.accessToken);
  assertEquals(changed.status, 204);
  const wrongPassword = keep(`wrong pass ${crypto.randomUUID()}`);
  const failed = await post("/v1/auth/login", {
    email: `joiner-${base}@example.com`,
    password: wrongPassword,
  });
  assertEquals(failed.status, 401);
  const badBody = await post("/v1/auth/login", { email: "x", password: wrongPassword, extra: 1 });
  assertEquals(badBody.status, 400);
  // That session was revoked by the reuse above: its token is refused (and not logged either).
  const me = await request("/v1/me", { headers: bearer(token) });
  assertEquals(me.status, 401);
  await me.body?.cancel();
  return secrets;
}

function assertNoSecret(lines: string, secrets: string[], where: string) {
  for (const s of secrets) {
    assert(s.length >= 8, "secrets are long enough to be searched for");
    assert(!lines.includes(s), `a secret (${s.slice(0, 6)}…) appears in the ${where}`);
  }
}

Deno.test("passwords, tokens and the JWT secret never reach the logs", dbTest, async (t) => {
  await t.step("in-process, at debug level, including a 500", async () => {
    await using app = await createTestApp({ env: { LOG_LEVEL: "debug" } });
    // A real hasher whose bcrypt side fails: every sign-in and creation is a 500.
    const explode = () => Promise.reject(new Error("hasher exploded"));
    const real = createHasher({ cost: 4, workers: 1 });
    const failing: Hasher = { ...real, hash: explode, verify: explode, verifyDummy: explode };
    await using broken = await createTestApp({ hasher: failing, env: { LOG_LEVEL: "debug" } });
    const secrets = await secretFlow(
      "inproc",
      (p, init) => Promise.resolve(app.request(p, init)),
    );
    const boomPassword = `boom pass ${crypto.randomUUID()}`;
    const boom = await broken.request(
      "/v1/orgs",
      json({ name: "Boom Inc", admin: { email: "boom@example.com", password: boomPassword } }),
    );
    assertEquals(boom.status, 500);
    const boomLogin = await broken.request(
      "/v1/auth/login",
      json({ email: "boom@example.com", password: boomPassword }),
    );
    assertEquals(boomLogin.status, 500);
    assert(app.logs.length > 10 && broken.logs.some((l) => l.includes("hasher exploded")));
    assertNoSecret(app.logs.join("\n"), [...secrets, SECRET], "logs");
    assertNoSecret(broken.logs.join("\n"), [boomPassword, SECRET], "logs of the 500");
  });
  await t.step("a child process, at debug level: stdout and stderr", async () => {
    const jwtSecret = `jwt-secret-${crypto.randomUUID()}`;
    const env = serviceEnv({ LOG_LEVEL: "debug", JWT_SECRET: jwtSecret });
    const service = await spawnService(env);
    try {
      const secrets = await secretFlow("child", (p, init) => fetch(`${service.url}${p}`, init));
      const status = await service.stop();
      assertEquals(status.code, 0);
      const output = service.output();
      assert(output.includes('"msg":"request"'), "the access log was captured");
      assertNoSecret(output, [...secrets, jwtSecret], "service output");
    } finally {
      service.kill("SIGKILL");
      await service.exited;
      const mongo = dbClient();
      await dropService(mongo, env);
      await mongo.close();
    }
  });
});
