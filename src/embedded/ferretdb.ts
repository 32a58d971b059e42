/**
 * The embedded MongoDB-compatible server: FerretDB v1 (SQLite backend), run by the small Go
 * program in `tools/ferretdb`. It is built once into a cache folder outside the checkout and
 * reused by every clone, `deno task start` and the tests.
 */
import { MongoClient } from "mongodb";
import { keepTail, terminate } from "./child.ts";

export const FERRETDB_VERSION = "v1.24.2";

const SOURCE_DIR = new URL("../../tools/ferretdb/", import.meta.url);

export interface EmbeddedServer {
  uri: string;
  port: number;
  dataDir: string;
  /** Stop the server (SIGTERM, then SIGKILL after a grace period). Safe to call twice. */
  stop(): Promise<void>;
  /** Resolves when the process exits, whoever stopped it. */
  exited: Promise<Deno.CommandStatus>;
}

export interface StartOptions {
  dataDir: string;
  /** A fixed port, for restarting a server where clients expect it; default: a free one. */
  port?: number;
  /** How long to wait for the first `ping` (ms). */
  readyTimeoutMs?: number;
  log?: (line: string) => void;
}

/** The folder for what is built or installed once per machine, outside the checkout. */
export function cacheRoot(): string {
  const xdg = Deno.env.get("XDG_CACHE_HOME");
  const home = Deno.env.get("HOME");
  if (xdg) return xdg;
  if (home) return `${home}/.cache`;
  return `${Deno.cwd()}/.data/cache`;
}

export function ferretBinaryPath(): string {
  return `${cacheRoot()}/orgservice/ferretdb-${FERRETDB_VERSION}/ferretdb`;
}

export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Build the FerretDB launcher unless the cache already has it; returns its path. */
export async function ensureFerretBinary(log: (line: string) => void = console.error) {
  const bin = ferretBinaryPath();
  if (await exists(bin)) return bin;
  let go: Deno.CommandOutput;
  try {
    go = await new Deno.Command("go", { args: ["version"], stdout: "piped", stderr: "piped" })
      .output();
  } catch {
    throw new Error(
      `The embedded database is not built (${bin}) and Go is not installed to build it. ` +
        "Either set MONGO_URI to a MongoDB server, or install Go (1.22 or newer) and start again",
    );
  }
  if (!go.success) throw new Error("`go version` failed; install Go or set MONGO_URI");
  const dir = bin.slice(0, bin.lastIndexOf("/"));
  await Deno.mkdir(dir, { recursive: true });
  // Build to a private name, then rename: concurrent builders never see a half-written file.
  const tmp = `${bin}.${crypto.randomUUID()}.tmp`;
  log(`building the embedded FerretDB ${FERRETDB_VERSION} into ${bin} (once; takes a minute)`);
  const out = await new Deno.Command("go", {
    args: ["build", "-trimpath", "-o", tmp, "."],
    cwd: SOURCE_DIR,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    await Deno.remove(tmp).catch(() => {});
    throw new Error(
      `Building the embedded FerretDB failed:\n${new TextDecoder().decode(out.stderr)}` +
        "\nSet MONGO_URI to use another MongoDB server instead",
    );
  }
  await Deno.rename(tmp, bin);
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
      await new Promise((r) => setTimeout(r, 100));
    } finally {
      await client.close().catch(() => {});
    }
  }
  throw new Error(`The embedded database did not answer ping within ${timeoutMs} ms: ${last}`);
}

/** Start FerretDB on loopback with its data in `dataDir`, and wait until it answers. */
export async function startFerretDB(opts: StartOptions): Promise<EmbeddedServer> {
  const log = opts.log ?? console.error;
  const bin = await ensureFerretBinary(log);
  await Deno.mkdir(opts.dataDir, { recursive: true });
  const dataDir = await Deno.realPath(opts.dataDir);
  const port = opts.port ?? freePort();
  const child = new Deno.Command(bin, {
    args: ["-listen-addr", `127.0.0.1:${port}`, "-data-dir", dataDir],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const tail = keepTail(child.stderr, 50);
  const uri = `mongodb://127.0.0.1:${port}/`;
  let stopped: Promise<unknown> | undefined;
  const stop = async () => {
    await (stopped ??= terminate(child, 5000));
  };
  try {
    await Promise.race([
      waitForPing(uri, opts.readyTimeoutMs ?? 30_000),
      child.status.then((s) => {
        throw new Error(`FerretDB exited with code ${s.code}:\n${tail().join("\n")}`);
      }),
    ]);
  } catch (e) {
    await stop();
    throw e;
  }
  return { uri, port, dataDir, stop, exited: child.status };
}
