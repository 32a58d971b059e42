import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import { openService } from "../../src/bootstrap.ts";
import { loadConfig } from "../../src/platform/config.ts";
import { createLogger } from "../../src/platform/log.ts";
import { dbTest } from "../support/app.ts";

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

Deno.test("the Dockerfile copies and caches files that exist", async () => {
  const dockerfile = await Deno.readTextFile("Dockerfile");
  // Every repository path it names (src/..., console/..., deno.json, deno.lock).
  const paths = [...dockerfile.matchAll(/(?<=\s)((?:src|console)\/[\w./-]*|deno\.(?:json|lock))/g)]
    .map((m) => m[1]);
  assertEquals(paths.includes("src/main.ts"), true);
  for (const path of paths) {
    const exists = await Deno.stat(path).then(() => true, () => false);
    assertEquals(exists, true, `the Dockerfile names ${path}, which does not exist`);
  }
});

Deno.test(
  "the service's start-up log names its embedded database without the database's password",
  dbTest,
  async () => {
    const dataDir = await Deno.makeTempDir({ prefix: "orgservice-start-" });
    await Deno.chmod(dataDir, 0o711); // as root, the cluster's owner must get through
    const config = loadConfig({ MONGO_URI: "", DATA_DIR: dataDir, JWT_SECRET: "x".repeat(32) });
    const lines: string[] = [];
    const service = await openService(config, createLogger("debug", (l) => lines.push(l)), {
      embeddedLog: (l) => lines.push(l),
    });
    try {
      const password = (await Deno.readTextFile(`${dataDir}/embedded/postgresql.password`)).trim();
      assert(password.length >= 32, "the embedded database has a password");
      const started = lines.find((l) => l.includes("embedded database started"));
      assert(started, `the start is logged: ${lines.join("\n")}`);
      assertMatch(JSON.parse(started).uri, /^mongodb:\/\/ferretdb:\*\*\*@127\.0\.0\.1:\d+\//);
      for (const line of lines) assert(!line.includes(password), `a log line has it: ${line}`);
      // And the service itself signed in with it.
      await service.deps.db.master.command({ ping: 1 });
    } finally {
      await service.close();
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    }
  },
);
