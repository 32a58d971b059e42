/**
 * The console's script: `console/main.tsx` bundled for browsers by `deno bundle`, once per
 * process, and cached on disk under a hash of everything it is built from, so a restart with
 * unchanged sources serves the cached file and a changed source rebuilds it. The bundle holds
 * its npm dependencies (hono's client and `hono/jsx/dom`): nothing is fetched from a CDN.
 *
 * What it is built from is read from the module graph (`deno info --json`), not kept by hand:
 * every local module the entry reaches through code imports (type-only imports, such as the
 * client's `AppType`, put nothing into the bundle), and the configuration that decides how they
 * are resolved and compiled.
 */
import { sha256Hex } from "../platform/encoding.ts";
import type { Logger } from "../platform/log.ts";

const ROOT = new URL("../../", import.meta.url);
const ENTRY = "console/main.tsx";
/** The configuration the bundle is compiled under: import map, JSX settings, locked packages. */
const CONFIG = ["deno.json", "deno.lock", "console/deno.json"];

export interface ConsoleBundleOptions {
  /** Where built bundles are kept (`<DATA_DIR>/console`). */
  cacheDir: string;
  log: Logger;
}

const builds = new Map<string, Promise<Uint8Array<ArrayBuffer>>>();

/**
 * The bundled script. The first call starts the build (or the cache read); later calls with
 * the same cache folder share it. A failed build is not kept, so the next request retries.
 */
export function consoleBundle(opts: ConsoleBundleOptions): Promise<Uint8Array<ArrayBuffer>> {
  let build = builds.get(opts.cacheDir);
  if (!build) {
    build = buildOrReuse(opts);
    builds.set(opts.cacheDir, build);
    build.catch(() => builds.delete(opts.cacheDir));
  }
  return build;
}

async function buildOrReuse({ cacheDir, log }: ConsoleBundleOptions) {
  const hash = await consoleSourceKey();
  const file = `${cacheDir}/console-${hash}.js`;
  try {
    return await Deno.readFile(file);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  const started = performance.now();
  const bundle = await build();
  log.info("console bundled", { ms: Math.round(performance.now() - started) });
  try {
    await Deno.mkdir(cacheDir, { recursive: true });
    // Written beside its final name and renamed, so a concurrent reader never sees half a file.
    const tmp = `${file}.${crypto.randomUUID()}.tmp`;
    await Deno.writeFile(tmp, bundle);
    await Deno.rename(tmp, file);
    await removeStale(cacheDir, file);
  } catch (e) {
    // A read-only data folder costs a rebuild at the next start, nothing else.
    log.warn("console bundle not cached", { cacheDir, error: String(e) });
  }
  return bundle;
}

async function build(): Promise<Uint8Array<ArrayBuffer>> {
  const dir = await Deno.makeTempDir({ prefix: "orgservice-console-" });
  try {
    const output = `${dir}/app.js`;
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["bundle", "--platform", "browser", "--minify", "--quiet", "--output", output, ENTRY],
      cwd: ROOT,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) {
      const stderr = new TextDecoder().decode(out.stderr).slice(-2000);
      throw new Error(`deno bundle ${ENTRY} failed (exit ${out.code}): ${stderr}`);
    }
    return await Deno.readFile(output);
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

interface GraphModule {
  specifier: string;
  dependencies?: { code?: { specifier: string } }[];
}

/**
 * The files the bundle of `console/main.tsx` under `root` is built from, relative to `root` and
 * sorted: the local modules its code imports reach, then CONFIG. npm and remote modules are not
 * resolved here (`--no-npm --no-remote`: no cache or network needed); deno.lock pins them.
 */
export async function consoleInputs(root: URL = ROOT): Promise<string[]> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", "--no-npm", "--no-remote", "--no-lock", ENTRY],
    cwd: root,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    const stderr = new TextDecoder().decode(out.stderr).slice(-2000);
    throw new Error(`deno info ${ENTRY} failed (exit ${out.code}): ${stderr}`);
  }
  const graph = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    roots: string[];
    modules: GraphModule[];
  };
  // The root as deno reports it (with symbolic links resolved): the base of every local path.
  const entry = graph.roots[0] ?? "";
  if (!entry.startsWith("file:") || !entry.endsWith(`/${ENTRY}`)) {
    throw new Error(`deno info reported ${entry || "no root"} for ${ENTRY}`);
  }
  const base = entry.slice(0, -ENTRY.length);
  const modules = new Map(graph.modules.map((m) => [m.specifier, m]));
  const local = new Set<string>();
  const visit = (specifier: string) => {
    if (local.has(specifier) || !specifier.startsWith(base)) return;
    local.add(specifier);
    for (const d of modules.get(specifier)?.dependencies ?? []) {
      if (d.code) visit(d.code.specifier);
    }
  };
  visit(entry);
  const files = [...local].map((s) => decodeURIComponent(s.slice(base.length))).sort();
  return [...files, ...CONFIG];
}

/**
 * The bundle's cache key: SHA-256 over Deno's version and the path and content of every file in
 * consoleInputs, so a change to any of them builds a new bundle.
 */
export async function consoleSourceKey(root: URL = ROOT): Promise<string> {
  const paths = await consoleInputs(root);
  const enc = new TextEncoder();
  const parts: Uint8Array[] = [enc.encode(`deno ${Deno.version.deno}\n`)];
  for (const path of paths) {
    parts.push(enc.encode(`${path}\n`), await Deno.readFile(new URL(path, root)));
  }
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length + 1, 0));
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length + 1; // a zero byte between parts keeps their boundaries in the hash
  }
  return (await sha256Hex(all)).slice(0, 24); // 12 bytes
}

async function removeStale(cacheDir: string, keep: string) {
  for await (const entry of Deno.readDir(cacheDir)) {
    const path = `${cacheDir}/${entry.name}`;
    if (path !== keep && /^console-[0-9a-f]+\.js$/.test(entry.name)) {
      await Deno.remove(path).catch(() => {});
    }
  }
}
