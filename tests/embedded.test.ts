/**
 * The embedded database's launcher (src/embedded/): its processes never outlive the process
 * that started them, and its data survives a restart.
 */
import { MongoClient } from "mongodb";
import { assert, assertEquals } from "./support/assert.ts";
import { dbTest } from "./support/app.ts";
import { startFerretDB } from "../src/embedded/ferretdb.ts";

/** Whether `pid` runs (a zombie, exited but not yet reaped, counts as gone). */
const alive = (pid: number) => {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
};

async function postmasterPid(dataDir: string): Promise<number> {
  const text = await Deno.readTextFile(`${dataDir}/postgresql/postmaster.pid`);
  return Number(text.split("\n")[0]);
}

async function until(what: string, ok: () => boolean | Promise<boolean>) {
  // A generous deadline: this checks that it happens, not how fast.
  for (let i = 0; i < 600; i++) {
    if (await ok()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what}: still not so after 60 s`);
}

Deno.test(
  "killing the process that started the embedded database stops FerretDB and PostgreSQL",
  dbTest,
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "orgservice-embedded-" });
    const launcher = new URL("../src/embedded/ferretdb.ts", import.meta.url).href;
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "eval",
        `import { startFerretDB } from ${JSON.stringify(launcher)};
       const s = await startFerretDB({ dataDir: ${
          JSON.stringify(dir)
        }, fsync: false, log: () => {} });
       console.log(JSON.stringify({ pid: s.pid, uri: s.uri }));
       setInterval(() => {}, 1000);`,
      ],
      cwd: new URL("..", import.meta.url).pathname,
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    try {
      const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
      let out = "";
      while (!out.includes("\n")) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`the launcher exited before starting: ${out}`);
        out += value;
      }
      reader.releaseLock();
      const { pid, uri } = JSON.parse(out.split("\n")[0]);
      const postgres = await postmasterPid(dir);
      assert(alive(pid) && alive(postgres), "both running");
      const client = new MongoClient(uri);
      await client.db("x").collection("y").insertOne({ kept: true });
      await client.close();

      child.kill("SIGKILL");
      await child.status;
      await until("FerretDB's process is gone", () => !alive(pid));
      await until("postgres is gone", () => !alive(postgres));

      // The same folder starts again, with its data.
      const again = await startFerretDB({ dataDir: dir, fsync: false, log: () => {} });
      try {
        const c = new MongoClient(again.uri);
        assertEquals((await c.db("x").collection("y").findOne({}))?.kept, true);
        await c.close();
      } finally {
        await again.stop();
      }
      assert(!alive(again.pid), "stopped");
    } finally {
      try {
        child.kill("SIGKILL");
      } catch { /* already gone */ }
      await child.status;
      await child.stdout.cancel().catch(() => {});
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
);
