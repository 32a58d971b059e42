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
  const ok = loadConfig({ APP_ENV: "production", JWT_SECRET: secret });
  assertEquals(ok.bcryptCost, 12);
  assertEquals(ok.jwtSecretGenerated, false);
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
