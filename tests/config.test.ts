import { assertEquals, assertMatch } from "./support/assert.ts";

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
