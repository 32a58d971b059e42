/**
 * The test command installs what the browser tests need (tools/chromium.ts, called by
 * tests/run.ts): Debian's chromium when it is missing and the process can (root, apt-get),
 * else an error naming the exact command. Checked over a stand-in machine, so nothing is
 * installed here.
 */
import { assert, assertEquals, assertMatch, assertRejects } from "../support/assert.ts";
import {
  CHROMIUM,
  ensureChromium,
  installCommand,
  type Machine,
  runsBrowserTests,
} from "../../tools/chromium.ts";

function machine(opts: { installed: boolean; uid: number; aptGet: boolean; fails?: boolean }) {
  const ran: string[] = [];
  let installed = opts.installed;
  const m: Machine = {
    exists: (path) => Promise.resolve(path === CHROMIUM && installed),
    uid: () => opts.uid,
    has: (name) => Promise.resolve(name === "apt-get" && opts.aptGet),
    run(cmd, args, env) {
      ran.push(`${env.DEBIAN_FRONTEND ?? "-"} ${cmd} ${args.join(" ")}`);
      if (opts.fails) return Promise.reject(new Error("exit 100"));
      if (args[0] === "install") installed = true;
      return Promise.resolve();
    },
  };
  return { m, ran };
}

const quiet = () => {};

Deno.test("the test command installs a missing Chromium with apt-get as root", async () => {
  const { m, ran } = machine({ installed: false, uid: 0, aptGet: true });
  assertEquals(await ensureChromium(m, quiet), CHROMIUM);
  assertEquals(ran, [
    "noninteractive apt-get update",
    "noninteractive apt-get install -y chromium",
  ]);
});

Deno.test("an installed Chromium is used as it is", async () => {
  const { m, ran } = machine({ installed: true, uid: 1000, aptGet: false });
  assertEquals(await ensureChromium(m, quiet), CHROMIUM);
  assertEquals(ran, []);
});

Deno.test("without root or apt-get, a missing Chromium fails with the exact command", async () => {
  for (const [uid, aptGet] of [[1000, true], [0, false]] as const) {
    const { m, ran } = machine({ installed: false, uid, aptGet });
    const e = await assertRejects(() => ensureChromium(m, quiet));
    assert(e.message.includes(installCommand(uid === 0)), e.message);
    assertEquals(ran, []);
  }
  assertEquals(
    installCommand(false),
    "sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y chromium",
  );
  const failed = machine({ installed: false, uid: 0, aptGet: true, fails: true });
  const e = await assertRejects(() => ensureChromium(failed.m, quiet));
  assertMatch(e.message, /apt-get install -y chromium/);
});

Deno.test("Chromium is wanted only when a browser test is among the paths run", () => {
  for (
    const args of [["tests/"], ["./tests"], ["tests/browser"], ["tests/browser/x.test.ts"], ["."]]
  ) {
    assert(runsBrowserTests(args), args.join(" "));
  }
  for (const args of [["src/"], ["tests/cors.test.ts"], ["tests/resilience/"], ["--filter", "x"]]) {
    assert(!runsBrowserTests(args), args.join(" "));
  }
});
