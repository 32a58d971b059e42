/** Measuring: wrk loads against a child process, its CPU and memory, and time windows. */
import { type Child, cpuSeconds, procMemMiB } from "./processes.ts";
import { formatSummary, monotonicUs, profileFiles, summarize, type Window } from "./profile.ts";
import type { Row } from "./report.ts";
import { runWrk, type WrkOptions, type WrkResult } from "./wrk.ts";

export const round2 = (n: number) => Math.round(n * 100) / 100;
const errorsOf = (w: WrkResult) => Object.values(w.errors).reduce((a, b) => a + b, 0);
export const wrkLine = (o: Partial<WrkOptions>, s: number) =>
  `wrk -t${o.threads} -c${o.connections} -d${s}s${o.delayMs ? ` (${o.delayMs} ms pause)` : ""}`;

/**
 * Watch a process: its highest VmRSS (sampled every 200 ms) and its CPU use (100 = one core).
 * `take()` returns both since the previous `take()`.
 */
export function watch(pid: number) {
  let max = 0;
  let cpu0 = cpuSeconds(pid);
  let t0 = performance.now();
  const timer = setInterval(() => max = Math.max(max, procMemMiB(pid, "VmRSS")), 200);
  return {
    take() {
      const rssMiB = Math.max(max, procMemMiB(pid, "VmRSS"));
      const cpu = cpuSeconds(pid);
      const now = performance.now();
      const cpuPct = Math.round((cpu - cpu0) / ((now - t0) / 1000) * 100);
      max = 0;
      cpu0 = cpu;
      t0 = now;
      return { rssMiB, cpuPct };
    },
    stop: () => clearInterval(timer),
  };
}

/** When each scenario's measurement ran (to cut the service's CPU profile into scenarios). */
export const windows: Record<string, Window[]> = {};

/** Run `f` and record its time range under `id`. */
export async function timed<T>(id: string, f: () => Promise<T>): Promise<T> {
  const from = monotonicUs();
  try {
    return await f();
  } finally {
    (windows[id] ??= []).push([from, monotonicUs()]);
  }
}

export interface Load {
  w: WrkResult;
  rssMiB: number;
  cpuPct: number;
  load: string;
}

/** Warm up, then measure one wrk load against `child`. */
export async function load(
  id: string,
  child: Child,
  path: string,
  opts: Partial<WrkOptions> & { threads: number; connections: number },
  durationS: number,
  warmS: number,
): Promise<Load> {
  const proc = watch(child.pid);
  try {
    const url = `${child.url}${path}`;
    if (warmS > 0) await runWrk({ ...opts, url, durationS: warmS });
    proc.take();
    const w = await timed(id, () => runWrk({ ...opts, url, durationS }));
    return { w, ...proc.take(), load: wrkLine(opts, durationS) };
  } finally {
    proc.stop();
  }
}

export function row(id: string, name: string, r: Load): Row {
  return {
    id,
    name,
    status: "ok",
    rps: r.w.rps,
    p50Ms: r.w.p50Ms,
    p99Ms: r.w.p99Ms,
    errors: errorsOf(r.w),
    rssMiB: r.rssMiB,
    cpuPct: r.cpuPct,
    load: r.load,
  };
}

/** Ratio of `r` to `ceiling` (throughput), with a "≥ bar" verdict when `bar` is given. */
export function versus(r: Row, ceiling: Row, bar?: number): Row {
  const ratio = round2((r.rps ?? 0) / (ceiling.rps ?? 1));
  return {
    ...r,
    ceiling: ceiling.id,
    ratio,
    ...(bar === undefined ? {} : { bar: `≥ ${bar.toFixed(2)} ×`, pass: ratio >= bar }),
  };
}

/**
 * Print the service's CPU profile cut into the scenarios' measurement windows (the main
 * thread), and each hash worker's whole profile briefly; returns the summaries for the JSON.
 */
export async function summarizeProfiles(dir: string) {
  const out = [];
  for (const file of profileFiles(dir)) {
    const profile = JSON.parse(await Deno.readTextFile(file));
    if (file.includes("worker")) {
      const s = summarize(profile, 5);
      out.push({ file, scenario: "whole run", ...s });
      console.log(`\n## CPU profile ${file} (hash worker, whole run)\n\n${formatSummary(s)}`);
      continue;
    }
    for (const [id, w] of Object.entries(windows)) {
      if (id === "1" || id.endsWith("f")) continue; // hello-world and floors: not the service
      const s = summarize(profile, 15, w);
      out.push({ file, scenario: id, ...s });
      console.log(`\n## CPU profile of the service during ${id} (${file})\n\n${formatSummary(s)}`);
    }
  }
  console.log();
  return out;
}
