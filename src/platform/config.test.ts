import { ConfigError, loadConfig } from "./config.ts";
import { assert, assertEquals, assertMatch } from "../../tests/support/assert.ts";

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
  const ok = loadConfig({
    APP_ENV: "production",
    JWT_SECRET: secret,
    MONGO_URI: "mongodb://db",
    MAIL: "off",
  });
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
    MAIL: "off",
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

Deno.test("CORS_ORIGINS takes exact origins (scheme://host[:port]) or * alone; default none", () => {
  assertEquals(loadConfig({}).corsOrigins, []);
  assertEquals(
    loadConfig({ CORS_ORIGINS: "https://app.example.com, http://localhost:5173" }).corsOrigins,
    ["https://app.example.com", "http://localhost:5173"],
  );
  assertEquals(loadConfig({ CORS_ORIGINS: "http://[::1]:8080" }).corsOrigins, [
    "http://[::1]:8080",
  ]);
  assertEquals(loadConfig({ CORS_ORIGINS: "*" }).corsOrigins, ["*"]);
  for (
    const bad of [
      "app.example.com",
      "https://app.example.com/",
      "https://app.example.com/path",
      "https://app.example.com?x=1",
      "https://user@app.example.com",
      "https://APP.example.com",
      "https://app.example.com:443",
      "ftp://app.example.com",
      "https://*.example.com",
      "null",
      "*, https://app.example.com",
    ]
  ) {
    assertMatch(configError({ CORS_ORIGINS: bad }), /CORS_ORIGINS/, bad);
  }
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

Deno.test("MONGO_CLUSTERS: a JSON object of names to MongoDB URIs, `default` excluded", () => {
  const config = loadConfig({ MONGO_CLUSTERS: '{"eu":"mongodb://eu:27017","us-2":"mongodb://x"}' });
  assertEquals(config.clusters, { eu: "mongodb://eu:27017", "us-2": "mongodb://x" });
  assertEquals(loadConfig({}).clusters, {});
  for (
    const bad of [
      "not json",
      "[]",
      '{"default":"mongodb://x"}',
      '{"Bad Name":"mongodb://x"}',
      '{"eu":"http://x"}',
      '{"eu":1}',
    ]
  ) {
    try {
      loadConfig({ MONGO_CLUSTERS: bad });
      throw new Error(`accepted ${bad}`);
    } catch (e) {
      assert(e instanceof ConfigError, String(e));
      assertMatch(e.message, /MONGO_CLUSTERS/);
      assert(!e.message.includes("mongodb://x"), "a URI (perhaps with a password) was printed");
    }
  }
});

Deno.test("the throttles' limits are configuration, with their defaults", () => {
  const d = loadConfig({});
  assertEquals(
    [d.loginEmailLimit, d.loginAddressLimit, d.invitationLimit, d.orgCreateLimit],
    [5, 50, 100, 20],
  );
  const set = loadConfig({
    LOGIN_EMAIL_LIMIT: "3",
    LOGIN_ADDRESS_LIMIT: "500",
    INVITATION_LIMIT: "0",
  });
  assertEquals([set.loginEmailLimit, set.loginAddressLimit, set.invitationLimit], [3, 500, 0]);
  for (
    const [name, bad] of [
      ["LOGIN_EMAIL_LIMIT", "0"],
      ["LOGIN_EMAIL_LIMIT", "five"],
      ["LOGIN_ADDRESS_LIMIT", "0"],
      ["LOGIN_ADDRESS_LIMIT", "2.5"],
      ["INVITATION_LIMIT", "-1"],
    ]
  ) {
    assertMatch(configError({ [name]: bad }), new RegExp(name), `${name}=${bad}`);
  }
});

Deno.test("password hashing uses every core by default, and HASH_WORKERS overrides it", () => {
  const cores = Math.max(1, navigator.hardwareConcurrency ?? 1);
  assertEquals(loadConfig({}).hashWorkers, cores);
  assertEquals(loadConfig({ HASH_WORKERS: "3" }).hashWorkers, 3);
});

const PRODUCTION = { APP_ENV: "production", JWT_SECRET: "x".repeat(32), MONGO_URI: "mongodb://db" };

Deno.test("production needs SMTP_URL, MAIL_FROM and PUBLIC_URL unless MAIL=off", () => {
  const message = configError(PRODUCTION);
  assertMatch(message, /SMTP_URL: must be set in production \(or set MAIL=off/);
  assertMatch(message, /MAIL_FROM/);
  assertMatch(message, /PUBLIC_URL/);
  assertEquals(loadConfig({ ...PRODUCTION, MAIL: "off" }).mail.mode, "off");
  const smtp = loadConfig({
    ...PRODUCTION,
    SMTP_URL: "smtps://mailer:p%40ss@smtp.example.com:465",
    MAIL_FROM: '"Acme Accounts" <accounts@acme.example>',
    PUBLIC_URL: "https://orgs.acme.example/",
  });
  assertEquals(smtp.mail, {
    mode: "smtp",
    smtpUrl: "smtps://mailer:p%40ss@smtp.example.com:465",
    from: { name: "Acme Accounts", address: "accounts@acme.example" },
    publicUrl: "https://orgs.acme.example",
    serviceName: "Org Service",
  });
  assertMatch(configError({ MAIL: "maybe" }), /MAIL/);
});

Deno.test("development without SMTP_URL writes mail to files, with links to this host", () => {
  const dev = loadConfig({ PORT: "8123" });
  assertEquals(dev.mail.mode, "files");
  assertEquals(dev.mail.publicUrl, "http://localhost:8123");
  assertEquals(dev.mail.from, { address: "noreply@localhost" });
  assertEquals(loadConfig({ SMTP_URL: "smtp://localhost:1025" }).mail.mode, "smtp");
  assertEquals(dev.outboxLeaseSeconds, 120);
});

Deno.test("a bad SMTP_URL is named without echoing it (it holds a password)", () => {
  for (
    const bad of ["http://u:hunter2@mail.example.com", "smtp//u:hunter2@x", "smtp://u:hunter2@"]
  ) {
    const message = configError({ SMTP_URL: bad });
    assertMatch(message, /SMTP_URL: must be smtp:\/\//, bad);
    assert(!message.includes("hunter2"), `the password is not repeated: ${message}`);
  }
});

Deno.test("MAIL_FROM, PUBLIC_URL and SERVICE_NAME refuse what could break a header or a link", () => {
  for (const bad of ["not an address", "a@b.c\r\nBcc: x@y.z", "Name <a@b.c", "<>"]) {
    assertMatch(configError({ MAIL_FROM: bad }), /MAIL_FROM/, bad);
  }
  assertEquals(loadConfig({ MAIL_FROM: "ops@acme.example" }).mail.from, {
    address: "ops@acme.example",
  });
  for (const bad of ["ftp://x", "https://x/?a=1", "https://x/#f", "https://u:p@x", "x"]) {
    assertMatch(configError({ PUBLIC_URL: bad }), /PUBLIC_URL/, bad);
  }
  assertEquals(
    loadConfig({ PUBLIC_URL: "https://x.example/orgs/" }).mail.publicUrl,
    "https://x.example/orgs",
  );
  assertMatch(configError({ SERVICE_NAME: "Acme\r\nBcc: x@y.z" }), /SERVICE_NAME/);
});

Deno.test("password reset links last 60 minutes and verified emails are not required by default", () => {
  const d = loadConfig({});
  assertEquals([d.passwordResetTtlMinutes, d.requireVerifiedEmail], [60, false]);
  const set = loadConfig({ PASSWORD_RESET_TTL_MINUTES: "15", REQUIRE_VERIFIED_EMAIL: "1" });
  assertEquals([set.passwordResetTtlMinutes, set.requireVerifiedEmail], [15, true]);
  assertMatch(configError({ PASSWORD_RESET_TTL_MINUTES: "0" }), /PASSWORD_RESET_TTL_MINUTES/);
  assertMatch(configError({ REQUIRE_VERIFIED_EMAIL: "yes" }), /REQUIRE_VERIFIED_EMAIL/);
});
