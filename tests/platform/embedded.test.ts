/**
 * The embedded database's launcher (src/platform/embedded/): its processes never outlive the process
 * that started them, and its data survives a restart.
 */
import { MongoClient } from "mongodb";
import { assert, assertEquals } from "../support/assert.ts";
import { dbTest } from "../support/app.ts";
import { startFerretDB } from "../../src/platform/embedded/ferretdb.ts";
import { spawnDeno } from "../../tools/lib/spawn.ts";
import { waitUntil } from "../../tools/lib/wait.ts";

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
    const launcher = new URL("../../src/platform/embedded/ferretdb.ts", import.meta.url).href;
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

/** Every regular file under `dir` that others may read (symbolic links not followed). */
async function worldReadableFiles(dir: string): Promise<string[]> {
  const found: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    const path = `${dir}/${e.name}`;
    const info = await Deno.lstat(path).catch(() => null);
    if (!info || info.isSymlink || info.mode === null) continue;
    if (info.isDirectory) found.push(...await worldReadableFiles(path));
    else if (info.isFile && (info.mode & 0o004) !== 0) found.push(path);
  }
  return found;
}

/** Whether the bytes of `path` contain `text`. */
async function fileContains(path: string, text: string): Promise<boolean> {
  const bytes = await Deno.readFile(path).catch(() => new Uint8Array());
  return new TextDecoder("latin1").decode(bytes).includes(text);
}

/** The command lines of every process on the machine, by process id. */
function allCommandLines(): Map<number, string> {
  const lines = new Map<number, string>();
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      lines.set(Number(e.name), Deno.readTextFileSync(`/proc/${e.name}/cmdline`));
    } catch { /* gone meanwhile */ }
  }
  return lines;
}

/** listDatabases through `uri`: the error's message, or null when it answered. */
async function listDatabasesError(uri: string): Promise<string | null> {
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 5000 });
  try {
    await client.db("admin").admin().listDatabases({ nameOnly: true });
    return null;
  } catch (e) {
    return (e as Error).message;
  } finally {
    await client.close().catch(() => {});
  }
}

Deno.test(
  "the embedded database answers only its own password, which no log line, process argument or world-readable file shows",
  dbTest,
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "orgservice-auth-" });
    await Deno.chmod(dir, 0o711); // as root, the cluster's owner must get through
    const lines: string[] = [];
    const server = await startFerretDB({
      dataDir: `${dir}/db`,
      fsync: false,
      log: (l) => lines.push(l),
      output: (l) => lines.push(l),
    });
    try {
      const url = new URL(server.uri);
      const password = decodeURIComponent(url.password);
      assert(password.length >= 32, `a long random password in the URI (${server.redactedUri})`);
      assert(!server.redactedUri.includes(password), "the redacted URI hides it");

      const anonymous = `mongodb://127.0.0.1:${server.port}/`;
      assert(await listDatabasesError(anonymous) !== null, "no credentials: refused");
      const wrong = new URL(server.uri);
      wrong.password = "0".repeat(password.length);
      assert(await listDatabasesError(wrong.href) !== null, "a wrong password: refused");
      const otherUser = new URL(server.uri);
      otherUser.username = "postgres";
      assert(await listDatabasesError(otherUser.href) !== null, "another user: refused");
      assertEquals(await listDatabasesError(server.uri), null, "its own password: served");
      const c = new MongoClient(server.uri);
      await c.db("x").collection("y").insertOne({ kept: true });
      await c.close();

      for (const [pid, cmdline] of allCommandLines()) {
        assert(!cmdline.includes(password), `process ${pid}'s arguments show the password`);
      }
      const postgres = await postmasterPid(server.dataDir);
      assert(allCommandLines().get(postgres)?.includes("postgres"), "postgres was looked at");
      for (const file of await worldReadableFiles(dir)) {
        assert(!await fileContains(file, password), `${file} is world-readable and has it`);
      }
      // What the program and PostgreSQL logged, the refusals included.
      assert(lines.length > 0, "the program's output was seen");
      for (const line of lines) assert(!line.includes(password), `a log line has it: ${line}`);
    } finally {
      await server.stop();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
);

/** The real user id a process runs as. */
const uidOf = (pid: number) =>
  Number(/^Uid:\s+(\d+)/m.exec(Deno.readTextFileSync(`/proc/${pid}/status`))![1]);

async function userId(name: string): Promise<number | null> {
  const out = await new Deno.Command("id", { args: ["-u", name], stderr: "null" }).output();
  return out.success ? Number(new TextDecoder().decode(out.stdout)) : null;
}

Deno.test(
  "started as root, PostgreSQL runs as a system user of its own, which concurrent starts create once",
  { ...dbTest, ignore: Deno.uid() !== 0 },
  async () => {
    // A user name of this test's own, so that the shared one is never removed under others.
    const clusterUser = `orgsvc-t${crypto.randomUUID().slice(0, 8)}`;
    const dir = await Deno.makeTempDir({ prefix: "orgservice-owner-" });
    await Deno.chmod(dir, 0o711);
    const servers = [];
    try {
      assertEquals(await userId(clusterUser), null, "absent at first");
      const started = await Promise.allSettled(
        ["a", "b"].map((n) =>
          startFerretDB({ dataDir: `${dir}/${n}`, fsync: false, log: () => {}, clusterUser })
        ),
      );
      for (const s of started) if (s.status === "fulfilled") servers.push(s.value);
      for (const s of started) if (s.status === "rejected") throw s.reason;
      const uid = await userId(clusterUser);
      assert(uid !== null && uid !== 0, "the user exists");
      assert(uid !== (await userId("nobody")), "and is not nobody");
      for (const s of servers) {
        assertEquals(uidOf(await postmasterPid(s.dataDir)), uid, "postgres runs as it");
      }
      // Started again, it is found, not made anew.
      await servers[0].stop();
      servers[0] = await startFerretDB({
        dataDir: `${dir}/a`,
        fsync: false,
        log: () => {},
        clusterUser,
      });
      assertEquals(await userId(clusterUser), uid);
    } finally {
      for (const s of servers) await s.stop();
      await new Deno.Command("userdel", { args: [clusterUser], stderr: "null" }).output()
        .catch(() => {});
      await new Deno.Command("groupdel", { args: [clusterUser], stderr: "null" }).output()
        .catch(() => {});
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
);
