/**
 * The embedded MongoDB-compatible server: FerretDB v1 on its PostgreSQL backend, over a private
 * PostgreSQL cluster (src/platform/embedded/postgresql.ts), both run by the small Go program in
 * `tools/ferretdb`. FerretDB comes from the Go module proxy with the patch files in
 * `tools/ferretdb/patches` applied to a copy of the module; the program is built once per
 * set of patches into a cache folder outside the checkout and reused by every clone,
 * `deno task start`, the tests and the benchmark.
 *
 * Clients must sign in (FerretDB's backend authentication: PostgreSQL checks the user and
 * password each client sends with MongoDB's PLAIN mechanism). The password is random, made on the
 * data folder's first start and kept in a file only this process's user can read; the program
 * gets it on its standard input, and the URI returned carries it (print `redactedUri` instead).
 */
import { MongoClient } from "mongodb";
import { sleep } from "../async.ts";
import { sha256Hex, toHex } from "../encoding.ts";
import { keepTail, terminate } from "./child.ts";
import { cacheRoot, exists, openToClusterOwner } from "./paths.ts";
import { ensurePostgres } from "./postgresql.ts";

export { cacheRoot, exists } from "./paths.ts";

export const FERRETDB_VERSION = "v1.24.2";
const FERRETDB_MODULE = "github.com/FerretDB/FerretDB";

const SOURCE_DIR = new URL("../../../tools/ferretdb/", import.meta.url);
const PATCHES_DIR = new URL("patches/", SOURCE_DIR);
/** A file URL's path (a checkout under a folder with spaces has them percent-encoded). */
const pathOf = (url: URL) => decodeURIComponent(url.pathname);
/** What the build depends on besides the module itself. */
const SOURCES = ["main.go", "go.mod", "go.sum"];

export interface EmbeddedServer {
  /** The URI to connect with: it carries the user and password. Never log it. */
  uri: string;
  /** The same without the password, for logs. */
  redactedUri: string;
  port: number;
  dataDir: string;
  /** The Go program's process id (it runs FerretDB and owns postgres). */
  pid: number;
  /** Stop FerretDB and PostgreSQL (SIGTERM, then SIGKILL after a grace period). Safe twice. */
  stop(): Promise<void>;
  /** Resolves when the process exits, whoever stopped it. */
  exited: Promise<Deno.CommandStatus>;
}

export interface StartOptions {
  dataDir: string;
  /** A fixed port, for restarting a server where clients expect it; default: a free one. */
  port?: number;
  /** Turn PostgreSQL's fsync off, for throw-away data (tests, benchmarks). Default: on. */
  fsync?: boolean;
  /** How long to wait for the first `ping` (ms). */
  readyTimeoutMs?: number;
  /** Messages of the launcher (a build under way). */
  log?: (line: string) => void;
  /**
   * Each line the program writes (FerretDB's and PostgreSQL's log). Default: the last lines are
   * kept and shown only when it fails to start.
   */
  output?: (line: string) => void;
  /** Started as root: the system user PostgreSQL runs as, created when absent. */
  clusterUser?: string;
}

/** The user the service signs in as: the embedded cluster's one role. */
export const EMBEDDED_USER = "ferretdb";

/** `uri` with its password, if any, replaced by `***`. */
export function redactUri(uri: string): string {
  return uri.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:@/?#]*:)[^@/?#]*@/i, "$1***@");
}

/**
 * The data folder's password: read from its file, or made (32 random bytes) and written to a
 * new file that only this process's user can read. The file name is the one the program itself
 * used before it got the password from us, so existing data folders keep theirs.
 */
async function clusterPassword(dataDir: string): Promise<string> {
  const file = `${dataDir}/postgresql.password`;
  try {
    const text = (await Deno.readTextFile(file)).trim();
    await Deno.chmod(file, 0o600);
    if (text) return text;
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  const password = toHex(crypto.getRandomValues(new Uint8Array(32)));
  // Written under a private name and renamed: a start that dies half-way leaves no empty file.
  const tmp = `${file}.${crypto.randomUUID()}.tmp`;
  await Deno.writeTextFile(tmp, `${password}\n`, { mode: 0o600, createNew: true });
  await Deno.rename(tmp, file);
  return password;
}

function concat(parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  return all;
}

/** The patch files, in the order they apply. */
async function patchFiles(): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(PATCHES_DIR)) {
    if (e.isFile && e.name.endsWith(".patch")) names.push(e.name);
  }
  return names.sort().map((n) => pathOf(new URL(n, PATCHES_DIR)));
}

/** The built program's path: keyed by the patches and the program's own sources. */
export async function ferretBinaryPath(): Promise<string> {
  const enc = new TextEncoder();
  const parts: Uint8Array[] = [];
  for (
    const path of [
      ...await patchFiles(),
      ...SOURCES.map((s) => pathOf(new URL(s, SOURCE_DIR))),
    ]
  ) {
    parts.push(enc.encode(path.slice(path.lastIndexOf("/") + 1) + "\0"), await Deno.readFile(path));
  }
  const key = (await sha256Hex(concat(parts))).slice(0, 16);
  return `${cacheRoot()}/orgservice/ferretdb-${FERRETDB_VERSION}-${key}/ferretdb`;
}

async function run(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: Record<string, string> },
) {
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command(cmd, { args, ...opts, stdout: "piped", stderr: "piped" })
      .output();
  } catch (e) {
    throw new Error(`cannot run ${cmd}: ${(e as Error).message}`);
  }
  if (!out.success) {
    const dec = new TextDecoder();
    throw new Error(
      `${cmd} ${args.join(" ")} failed:\n${dec.decode(out.stdout)}${dec.decode(out.stderr)}`,
    );
  }
  return new TextDecoder().decode(out.stdout);
}

/** Build the embedded database's program unless the cache already has it; returns its path. */
export async function ensureFerretBinary(log: (line: string) => void = console.error) {
  const bin = await ferretBinaryPath();
  if (await exists(bin)) return bin;
  try {
    await run("go", ["version"], {});
  } catch {
    throw new Error(
      `The embedded database is not built (${bin}) and Go is not installed to build it. ` +
        "Either set MONGO_URI to a MongoDB server, or install Go (1.24 or newer) and start again",
    );
  }
  const dir = bin.slice(0, bin.lastIndexOf("/"));
  await Deno.mkdir(dir, { recursive: true });
  log(`building the embedded FerretDB ${FERRETDB_VERSION} into ${bin} (once; takes a minute)`);
  // Each build works in a private folder and renames its result into place: concurrent
  // builders never see a half-written file.
  const work = await Deno.makeTempDir({ dir, prefix: "build-" });
  try {
    const source = pathOf(SOURCE_DIR);
    const { Dir: moduleDir } = JSON.parse(
      await run("go", ["mod", "download", "-json", `${FERRETDB_MODULE}@${FERRETDB_VERSION}`], {
        cwd: source,
      }),
    );
    // The module cache is read-only: patch a copy.
    const patched = `${work}/FerretDB`;
    await run("cp", ["-R", moduleDir, patched], {});
    await run("chmod", ["-R", "u+w", patched], {});
    for (const patch of await patchFiles()) {
      // git apply works outside a repository; the ceiling keeps it from finding one above.
      await run("git", ["apply", "-p1", patch], {
        cwd: patched,
        env: { GIT_CEILING_DIRECTORIES: work },
      });
    }
    const program = `${work}/program`;
    await Deno.mkdir(program);
    for (const s of SOURCES) await Deno.copyFile(`${source}${s}`, `${program}/${s}`);
    await run("go", ["mod", "edit", `-replace=${FERRETDB_MODULE}=${patched}`], { cwd: program });
    const tmp = `${work}/ferretdb`;
    await run("go", ["build", "-trimpath", "-o", tmp, "."], { cwd: program });
    await Deno.rename(tmp, bin);
  } catch (e) {
    throw new Error(
      `Building the embedded FerretDB failed: ${(e as Error).message}\n` +
        "Set MONGO_URI to use another MongoDB server instead",
    );
  } finally {
    await Deno.remove(work, { recursive: true }).catch(() => {});
  }
  return bin;
}

export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** Wait until a MongoDB-compatible server at `uri` answers `ping`. */
export async function waitForPing(uri: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    const client = new MongoClient(uri, { serverSelectionTimeoutMS: 500, connectTimeoutMS: 500 });
    try {
      await client.db("admin").command({ ping: 1 });
      return;
    } catch (e) {
      last = e;
      await sleep(100);
    } finally {
      await client.close().catch(() => {});
    }
  }
  throw new Error(`The embedded database did not answer ping within ${timeoutMs} ms: ${last}`);
}

/**
 * Start PostgreSQL and FerretDB on loopback with their data in `dataDir`, and wait until
 * FerretDB answers.
 */
export async function startFerretDB(opts: StartOptions): Promise<EmbeddedServer> {
  const log = opts.log ?? console.error;
  const bin = await ensureFerretBinary(log);
  await Deno.mkdir(opts.dataDir, { recursive: true });
  const dataDir = await Deno.realPath(opts.dataDir);
  // Private, except that as root the cluster's owner must be let through.
  await Deno.chmod(dataDir, 0o700);
  await openToClusterOwner(dataDir);
  const postgres = await ensurePostgres(dataDir);
  const password = await clusterPassword(dataDir);
  const port = opts.port ?? freePort();
  const args = [
    "-listen-addr",
    `127.0.0.1:${port}`,
    "-data-dir",
    dataDir,
    "-postgresql",
    postgres,
    "-postgresql-port",
    String(freePort()),
    // The program stops when this pipe closes: it never outlives us, even when we are killed.
    "-exit-on-stdin-eof",
  ];
  if (opts.fsync === false) args.push("-no-fsync");
  if (opts.clusterUser) args.push("-cluster-user", opts.clusterUser);
  const child = new Deno.Command(bin, {
    args,
    stdin: "piped",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const tail = keepTail(child.stderr, 50, opts.output);
  // The password is the first line of the program's input; the pipe stays open after it.
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(`${password}\n`)).catch(() => {});
  writer.releaseLock();
  // The password is hexadecimal: nothing in it needs encoding.
  const uri = `mongodb://${EMBEDDED_USER}:${password}@127.0.0.1:${port}/?authMechanism=PLAIN`;
  let stopped: Promise<unknown> | undefined;
  const stop = async () => {
    await (stopped ??= (async () => {
      // PostgreSQL's fast shutdown writes a checkpoint: give it time before SIGKILL.
      await terminate(child, 30_000);
      await child.stdin.close().catch(() => {});
    })());
  };
  try {
    await Promise.race([
      waitForPing(uri, opts.readyTimeoutMs ?? 60_000),
      child.status.then((s) => {
        throw new Error(`The embedded database exited with code ${s.code}:\n${tail().join("\n")}`);
      }),
    ]);
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    uri,
    redactedUri: redactUri(uri),
    port,
    dataDir,
    pid: child.pid,
    stop,
    exited: child.status,
  };
}
