/**
 * The bench installs its load generator (tools/bench/wrk.ts, called by `deno task bench`, which
 * `deno task ok` runs): Debian's wrk when it is missing and the process can (root, apt-get),
 * without a question and waiting for a package lock, else an error naming the exact command.
 * Checked over a stand-in machine, so nothing is installed here.
 */
import { assert, assertEquals, assertRejects } from "../support/assert.ts";
import type { Machine } from "../../tools/chromium.ts";
import { ensureWrk, wrkInstallCommand } from "../../tools/bench/wrk.ts";

function machine(opts: { installed: boolean; uid: number; aptGet: boolean; fails?: boolean }) {
  const ran: string[] = [];
  let installed = opts.installed;
  const m: Machine = {
    exists: () => Promise.resolve(false),
    uid: () => opts.uid,
    has: (name) => Promise.resolve(name === "wrk" ? installed : name === "apt-get" && opts.aptGet),
    run(cmd, args, env) {
      ran.push(`${env.DEBIAN_FRONTEND ?? "-"} ${cmd} ${args.join(" ")}`);
      if (opts.fails) return Promise.reject(new Error("exit 100"));
      if (args.includes("install")) installed = true;
      return Promise.resolve();
    },
  };
  return { m, ran };
}

Deno.test("the bench installs a missing wrk with apt-get as root, non-interactively", async () => {
  const { m, ran } = machine({ installed: false, uid: 0, aptGet: true });
  await ensureWrk(m);
  assertEquals(ran, [
    "noninteractive apt-get -o DPkg::Lock::Timeout=300 update",
    "noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y wrk",
  ]);
});

Deno.test("an installed wrk is used as it is", async () => {
  const { m, ran } = machine({ installed: true, uid: 1000, aptGet: false });
  await ensureWrk(m);
  assertEquals(ran, []);
});

Deno.test("without root or apt-get, a missing wrk fails with the exact command", async () => {
  for (const [uid, aptGet] of [[1000, true], [0, false]] as const) {
    const { m, ran } = machine({ installed: false, uid, aptGet });
    const e = await assertRejects(() => ensureWrk(m));
    assert(e.message.includes(wrkInstallCommand(uid === 0)), e.message);
    assertEquals(ran, []);
  }
  const failed = machine({ installed: false, uid: 0, aptGet: true, fails: true });
  const e = await assertRejects(() => ensureWrk(failed.m));
  assert(e.message.includes(wrkInstallCommand(true)), e.message);
});
