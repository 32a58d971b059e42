/**
 * The test command (`deno task test [paths...]`, by default tests/, src/ and console/): starts
 * the embedded database (FerretDB on PostgreSQL) in a fresh temporary folder unless MONGO_URI is
 * set, runs `deno test` against it, stops it, and ends with a plain `N passed, N failed` line
 * counted from the run's JUnit report.
 */
import { startFerretDB } from "../src/platform/embedded/ferretdb.ts";
import { ensureSchemathesis } from "../tools/schemathesis.ts";
import { ensureChromium, runsBrowserTests } from "../tools/chromium.ts";

// By default: the suite, and the unit tests beside their modules (the console's too, when it
// exists). A folder without test files is no error.
const defaultPaths = async () => {
  const paths = ["tests/", "src/"];
  if (await Deno.stat("console/").then((s) => s.isDirectory, () => false)) paths.push("console/");
  return paths;
};
const args = Deno.args.length ? Deno.args : await defaultPaths();
const env: Record<string, string> = {};

// The browser tests need Chromium: installed here when it is missing and this process can
// (root, apt-get). When it cannot, the reason and the command to run go to those tests, which
// fail with it; the others run as usual.
if (runsBrowserTests(args)) {
  try {
    await ensureChromium();
  } catch (e) {
    env.CHROMIUM_ERROR = (e as Error).message;
    console.error(env.CHROMIUM_ERROR);
  }
}

const tmp = await Deno.makeTempDir({ prefix: "orgservice-test-" });
let stop = async () => {};
if (!Deno.env.get("MONGO_URI")) {
  // The database's folder sits inside this one, which must let its owner through when that
  // is not us (as root, PostgreSQL runs as the system user orgservice-db).
  await Deno.chmod(tmp, 0o711);
  const server = await startFerretDB({ dataDir: `${tmp}/db`, fsync: false });
  env.MONGO_URI = server.uri;
  stop = server.stop;
  // The URI carries the database's password: printed without it.
  console.error(`embedded database at ${server.redactedUri} (data in ${server.dataDir})`);
}

const junit = `${tmp}/junit.xml`;

// The fuzz test needs Schemathesis (a pinned Python venv in the cache folder). A failure to
// install it is handed to the test, which fails with the reason instead of being skipped.
const FUZZ_TEST = "tests/resilience/fuzz.test.ts";
const covers = (arg: string) => {
  const path = arg.replace(/^\.\//, "").replace(/\/+$/, "");
  return !arg.startsWith("-") && (FUZZ_TEST === path || FUZZ_TEST.startsWith(`${path}/`));
};
if (!Deno.env.get("SCHEMATHESIS") && args.some(covers)) {
  try {
    env.SCHEMATHESIS = await ensureSchemathesis();
  } catch (e) {
    env.SCHEMATHESIS_ERROR = (e as Error).message;
    console.error(env.SCHEMATHESIS_ERROR);
  }
}
let code = 1;
try {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["test", "--allow-all", "--permit-no-files", `--junit-path=${junit}`, ...args],
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
    if (/<skipped\b/.test(m[2])) continue; // filtered out or ignored: neither passed nor failed
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
