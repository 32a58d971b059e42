/**
 * The test command (`deno task test [files...]`): starts the embedded FerretDB in a fresh
 * temporary folder unless MONGO_URI is set, runs `deno test` against it, stops it, and ends
 * with a plain `N passed, N failed` line counted from the run's JUnit report.
 */
import { startFerretDB } from "../src/embedded/ferretdb.ts";

const tmp = await Deno.makeTempDir({ prefix: "orgservice-test-" });
const env: Record<string, string> = {};
let stop = async () => {};
if (!Deno.env.get("MONGO_URI")) {
  const server = await startFerretDB({ dataDir: `${tmp}/db` });
  env.MONGO_URI = server.uri;
  stop = server.stop;
  console.error(`embedded FerretDB at ${server.uri} (data in ${server.dataDir})`);
}

const junit = `${tmp}/junit.xml`;
const args = Deno.args.length ? Deno.args : ["tests/"];
let code = 1;
try {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["test", "--allow-all", `--junit-path=${junit}`, ...args],
    env,
    stdin: "null",
  }).spawn();
  code = (await child.status).code;
} finally {
  await stop();
}

let passed = 0;
let failed = 0;
try {
  // Count top-level tests. Deno also writes each step as a test case named "test > step";
  // a failing step fails its test, so steps are not counted again.
  const xml = await Deno.readTextFile(junit);
  for (const m of xml.matchAll(/<testcase name="([^"]*)"[^>]*>([\s\S]*?)<\/testcase>/g)) {
    if (m[1].includes(" &gt; ")) continue;
    if (/<(failure|error)\b/.test(m[2])) failed++;
    else passed++;
  }
} catch {
  // no report: counted below from the exit code
}
if (code !== 0 && failed === 0) failed = 1; // the run failed outside any test (type error, crash)
await Deno.remove(tmp, { recursive: true }).catch(() => {});
console.log(`${passed} passed, ${failed} failed`);
Deno.exit(code);
