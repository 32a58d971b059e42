import { ConfigError, loadConfig } from "../src/platform/config.ts";
import { assert, assertEquals, assertMatch } from "./support/assert.ts";

function configError(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (e) {
    assert(e instanceof ConfigError);
    return e.message;
  }
  throw new Error("expected a ConfigError");
}

Deno.test("loadConfig() names each bad variable", () => {
  assertMatch(configError({ PORT: "eighty" }), /PORT/);
  assertMatch(configError({ BCRYPT_COST: "3" }), /BCRYPT_COST/);
  assertMatch(configError({ APP_ENV: "staging" }), /APP_ENV/);
  assertMatch(configError({ MONGO_URI: "http://x" }), /MONGO_URI/);
  assertMatch(configError({ MASTER_DB: "a.b" }), /MASTER_DB/);
  assertMatch(configError({ LOG_LEVEL: "loud" }), /LOG_LEVEL/);
});

Deno.test("production needs a strong secret and a bcrypt cost of at least 10", () => {
  assertMatch(configError({ APP_ENV: "production" }), /JWT_SECRET/);
  assertMatch(configError({ APP_ENV: "production", JWT_SECRET: "short" }), /JWT_SECRET/);
  const secret = "x".repeat(32);
  assertMatch(
    configError({ APP_ENV: "production", JWT_SECRET: secret, BCRYPT_COST: "8" }),
    /BCRYPT_COST/,
  );
  const ok = loadConfig({ APP_ENV: "production", JWT_SECRET: secret, MONGO_URI: "mongodb://db" });
  assertEquals(ok.bcryptCost, 12);
  assertEquals(ok.jwtSecretGenerated, false);
});

Deno.test("production never falls back to the embedded database without being asked", () => {
  const secret = "x".repeat(32);
  const message = configError({ APP_ENV: "production", JWT_SECRET: secret });
  assertMatch(message, /MONGO_URI/);
  assertMatch(message, /EMBEDDED_DATABASE=1/);
  const embedded = loadConfig({
    APP_ENV: "production",
    JWT_SECRET: secret,
    EMBEDDED_DATABASE: "1",
  });
  assertEquals(embedded.mongoUri, undefined);
  assertMatch(configError({ EMBEDDED_DATABASE: "yes" }), /EMBEDDED_DATABASE/);
  assertEquals(loadConfig({}).mongoUri, undefined, "development still starts it by default");
});

Deno.test("TRUSTED_PROXIES takes addresses, CIDR ranges (IPv4, IPv6) and *", () => {
  const ok = loadConfig({ TRUSTED_PROXIES: "10.0.0.1, 10.0.0.0/8,fd00::/8, ::1, *" });
  assertEquals(ok.trustedProxies, ["10.0.0.1", "10.0.0.0/8", "fd00::/8", "::1", "*"]);
  for (const bad of ["10.0.0.0/33", "proxy.internal", "10.0.0", "fd00::/129", "1.2.3.4/8/8"]) {
    assertMatch(configError({ TRUSTED_PROXIES: bad }), /TRUSTED_PROXIES/, bad);
  }
});

Deno.test("production without MONGO_URI stops at start, naming the variables", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "src/main.ts"],
    env: { APP_ENV: "production", JWT_SECRET: "x".repeat(32), MONGO_URI: "" },
    stdout: "piped",
    stderr: "piped",
    // Had it started the embedded database instead, it would serve until stopped.
    signal: AbortSignal.timeout(60_000),
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assertEquals(out.code, 1);
  assertMatch(stderr, /MONGO_URI/);
  assertMatch(stderr, /EMBEDDED_DATABASE/);
});

Deno.test("development generates a secret for the process and has working defaults", () => {
  const a = loadConfig({});
  const b = loadConfig({});
  assert(a.jwtSecretGenerated);
  assert(a.jwtSecret.length >= 32 && a.jwtSecret !== b.jwtSecret);
  assertEquals(a.port, 8000);
  assertEquals(a.bodyLimitBytes, 1024 * 1024);
  assertEquals(a.mongoUri, undefined);
});

Deno.test("an invalid configuration stops the service at start, naming the variable", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "src/main.ts"],
    env: { PORT: "99999", BCRYPT_COST: "2", MONGO_URI: "" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assertEquals(out.code, 1);
  assertMatch(stderr, /PORT/);
  assertMatch(stderr, /BCRYPT_COST/);
});
