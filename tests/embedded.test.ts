/**
 * The embedded database's launcher (src/platform/embedded/): its processes never outlive the process
 * that started them, and its data survives a restart.
 */
import { MongoClient } from "mongodb";
import { assert, assertEquals } from "./support/assert.ts";
import { dbTest } from "./support/app.ts";
import { startFerretDB } from "../src/platform/embedded/ferretdb.ts";
import { spawnDeno } from "./support/spawn.ts";
import { waitUntil } from "./support/wait.ts";

/** A generous bound: this checks that it happens, not how fast. */
const GONE = { timeoutMs: 60_000 };

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

Deno.test(
  "killing the process that started the embedded database stops FerretDB and PostgreSQL",
  dbTest,
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "orgservice-embedded-" });
    const launcher = new URL("../src/platform/embedded/ferretdb.ts", import.meta.url).href;
    const script = await Deno.makeTempFile({ prefix: "orgservice-launcher-", suffix: ".ts" });
    await Deno.writeTextFile(
      script,
      `import { startFerretDB } from ${JSON.stringify(launcher)};
       const s = await startFerretDB({ dataDir: ${
        JSON.stringify(dir)
      }, fsync: false, log: () => {} });
       console.log(JSON.stringify({ pid: s.pid, uri: s.uri }));
       setInterval(() => {}, 1000);`,
    );
    // The script lies outside the repository: deno.json's import map is named explicitly.
    const child = await spawnDeno(script, {
      flags: ["--allow-all", "--config", "deno.json"],
      waitPath: null,
    });
    let exited = false;
    child.exited.then(() => exited = true);
    try {
      const started = () => child.stdout().includes("\n");
      await waitUntil(() => exited || started(), "the launcher to start the database", {
        timeoutMs: 120_000,
      });
      assert(started(), `the launcher exited before starting:\n${child.output()}`);
      const { pid, uri } = JSON.parse(child.stdout().split("\n")[0]);
      const postgres = await postmasterPid(dir);
      assert(alive(pid) && alive(postgres), "both running");
      const client = new MongoClient(uri);
      await client.db("x").collection("y").insertOne({ kept: true });
      await client.close();

      child.kill("SIGKILL");
      await child.exited;
      await waitUntil(() => !alive(pid), "FerretDB's process to be gone", GONE);
      await waitUntil(() => !alive(postgres), "postgres to be gone", GONE);

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
      await child[Symbol.asyncDispose]();
      await Deno.remove(script).catch(() => {});
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
);
