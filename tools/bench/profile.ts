/**
 * Summarise a V8 `.cpuprofile` (from `deno run --cpu-prof`): self time by function and by
 * module (a file of src/, an npm package, Deno's runtime).
 *
 * Usage: deno run --allow-read tools/bench/profile.ts <file.cpuprofile | folder> [--top=25]
 */

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface CpuProfile {
  nodes: { id: number; callFrame: CallFrame }[];
  /** Microseconds on the monotonic clock (the clock of /proc/uptime on Linux). */
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** A time range on the monotonic clock, in microseconds. */
export type Window = [number, number];

/** Now on the clock of the profiles' timestamps (/proc/uptime: 10 ms resolution). */
export function monotonicUs(): number {
  return Number(Deno.readTextFileSync("/proc/uptime").split(" ")[0]) * 1e6;
}

export interface Row {
  name: string;
  ms: number;
  /** Share of the busy (non-idle) time, in %. */
  pct: number;
}

export interface ProfileSummary {
  totalMs: number;
  idleMs: number;
  busyMs: number;
  byFunction: Row[];
  byModule: Row[];
}

const IDLE = "(idle)";

/** Where a frame comes from: `src/...`, `npm:<package>`, `deno:<ext>` or a V8 category. */
export function moduleOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith("(") ? functionName : "(native)";
  const npm = /\/(?:registry\.npmjs\.org|node_modules\/\.deno)\/((?:@[^/]+\/)?[^/@]+)/.exec(url);
  if (npm) return `npm:${npm[1]}`;
  const local = /\/((?:src|tools|tests)\/.*)$/.exec(url);
  if (local) return local[1];
  if (url.startsWith("ext:")) return `deno:${url.slice(4).split("/")[0]}`;
  return url;
}

function shortUrl(url: string): string {
  const m = moduleOf(url, "");
  if (!m.startsWith("npm:")) return m;
  // .../registry.npmjs.org/<package>/<version>/<path> → npm:<package>/<path>
  const rest = url.split(`/${m.slice(4)}/`).pop()!.split("/").slice(1).join("/");
  return `${m}/${rest}`;
}

/** Self time by function and by module; only samples inside `windows` when given. */
export function summarize(p: CpuProfile, top = 25, windows?: Window[]): ProfileSummary {
  const frames = new Map(p.nodes.map((n) => [n.id, n.callFrame]));
  const byFn = new Map<string, number>();
  const byMod = new Map<string, number>();
  let total = 0;
  let idle = 0;
  // timeDeltas[i] is the time from sample i-1 to sample i: the time of sample i-1's frame.
  let at = p.startTime;
  for (let i = 0; i < p.samples.length; i++) {
    at += p.timeDeltas[i];
    if (windows && !windows.some(([from, to]) => at >= from && at <= to)) continue;
    const us = p.timeDeltas[i + 1] ?? 0;
    const f = frames.get(p.samples[i]);
    if (!f) continue;
    total += us;
    if (f.functionName === IDLE) {
      idle += us;
      continue;
    }
    const fn = f.url
      ? `${f.functionName || "(anonymous)"} ${shortUrl(f.url)}:${f.lineNumber + 1}`
      : f.functionName;
    byFn.set(fn, (byFn.get(fn) ?? 0) + us);
    const mod = moduleOf(f.url, f.functionName);
    byMod.set(mod, (byMod.get(mod) ?? 0) + us);
  }
  const busy = total - idle;
  const rows = (m: Map<string, number>) =>
    [...m].sort((a, b) => b[1] - a[1]).slice(0, top).map(([name, us]) => ({
      name,
      ms: Math.round(us / 1000),
      pct: Math.round(us / busy * 1000) / 10,
    }));
  return {
    totalMs: Math.round(total / 1000),
    idleMs: Math.round(idle / 1000),
    busyMs: Math.round(busy / 1000),
    byFunction: rows(byFn),
    byModule: rows(byMod),
  };
}

export function formatSummary(s: ProfileSummary): string {
  const table = (title: string, rows: Row[]) =>
    [
      `| ${title} | self ms | % of busy |`,
      "| --- | ---: | ---: |",
      ...rows.map((r) => `| ${r.name.replaceAll("|", "\\|")} | ${r.ms} | ${r.pct} |`),
    ].join("\n");
  return [
    `profiled ${s.totalMs} ms: busy ${s.busyMs} ms, idle ${s.idleMs} ms`,
    "",
    table("module", s.byModule),
    "",
    table("function", s.byFunction),
  ].join("\n");
}

/** The `.cpuprofile` files at `path` (a file or a folder). */
export function profileFiles(path: string): string[] {
  if (Deno.statSync(path).isFile) return [path];
  return [...Deno.readDirSync(path)]
    .filter((e) => e.isFile && e.name.endsWith(".cpuprofile"))
    .map((e) => `${path}/${e.name}`)
    .sort();
}

if (import.meta.main) {
  const path = Deno.args.find((a) => !a.startsWith("--"));
  const top = Number(Deno.args.find((a) => a.startsWith("--top="))?.slice(6) ?? 25);
  if (!path) {
    console.error("usage: profile.ts <file.cpuprofile | folder> [--top=25]");
    Deno.exit(2);
  }
  for (const file of profileFiles(path)) {
    console.log(`## ${file}\n`);
    console.log(formatSummary(summarize(JSON.parse(Deno.readTextFileSync(file)), top)));
    console.log();
  }
}
