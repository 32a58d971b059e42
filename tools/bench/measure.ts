/** Measuring: wrk loads against a child process, its CPU and memory, and time windows. */
import { type Child, cpuSeconds, procMemMiB } from "./processes.ts";
import { formatSummary, monotonicUs, profileFiles, summarize, type Window } from "./profile.ts";
import type { Row } from "./report.ts";
import { runWrk, type WrkOptions, type WrkResult } from "./wrk.ts";

export const round1 = (n: number) => Math.round(n * 10) / 10;
export const round2 = (n: number) => Math.round(n * 100) / 100;

/** Nearest-rank percentile. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil(p / 100 * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}
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

export interface Target {
  id: string;
  child: Child;
  path: string;
  token?: string;
  method?: string;
  /** A JSON body for `method`. */
  body?: string;
}

export interface Interleaved extends Load {
  /** req/s of each round, in order. */
  rounds: number[];
}

/**
 * Measure `targets` in alternation: after a warm-up of each, `rounds` rounds that each load
 * every target for `sliceS` seconds in turn, so that a slow spell of a shared machine falls on
 * all of them alike and a ratio can be taken within each round. Per target: the round with the
 * median req/s (its latencies), the errors, mean CPU and peak RSS of all rounds, and every
 * round's req/s.
 */
export async function interleaved(
  targets: Target[],
  opts: { threads: number; connections: number },
  rounds: number,
  sliceS: number,
  warmS: number,
): Promise<Map<string, Interleaved>> {
  const wrk = (t: Target, durationS: number) =>
    runWrk({
      ...opts,
      token: t.token,
      method: t.method,
      body: t.body,
      url: `${t.child.url}${t.path}`,
      durationS,
    });
  if (warmS > 0) { for (const t of targets) await wrk(t, warmS); }
  const runs = new Map(targets.map((t) => [t.id, [] as Load[]]));
  for (let r = 0; r < rounds; r++) {
    for (const t of targets) {
      const proc = watch(t.child.pid);
      try {
        const w = await timed(t.id, () => wrk(t, sliceS));
        runs.get(t.id)!.push({ w, ...proc.take(), load: "" });
      } finally {
        proc.stop();
      }
    }
  }
  const out = new Map<string, Interleaved>();
  for (const [id, list] of runs) {
    const byRps = [...list].sort((a, b) => a.w.rps - b.w.rps);
    const median = byRps[Math.floor((byRps.length - 1) / 2)];
    // Latencies of the median round; errors of every round, so that none goes unseen.
    const errors = { ...median.w.errors };
    for (const l of list) {
      if (l === median) continue;
      for (const k of Object.keys(errors) as (keyof typeof errors)[]) errors[k] += l.w.errors[k];
    }
    out.set(id, {
      w: { ...median.w, errors },
      rssMiB: Math.max(...list.map((l) => l.rssMiB)),
      cpuPct: Math.round(list.reduce((a, l) => a + l.cpuPct, 0) / list.length),
      load: `${rounds} rounds of ${wrkLine(opts, sliceS)}`,
      rounds: list.map((l) => l.w.rps),
    });
  }
  return out;
}

/** The median of the per-round ratios `a / b` (two series of one interleaved run). */
export function pairedRatio(a: number[], b: number[]): number {
  const ratios = a.map((x, i) => x / b[i]).sort((x, y) => x - y);
  const mid = ratios.length / 2;
  const m = ratios.length % 2 ? ratios[Math.floor(mid)] : (ratios[mid - 1] + ratios[mid]) / 2;
  return round2(m);
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

/** Rows for a measurement at growing sizes: each level's p50 against the first level's. */
export function ratioRows(
  id: string,
  name: string,
  unit: "docs" | "orgs",
  levels: { samples: number; p50Ms: number; p99Ms: number; docs?: number; orgs?: number }[],
  bar: number,
): Row[] {
  const size = (l: (typeof levels)[number]) => (unit === "docs" ? l.docs : l.orgs) ?? 0;
  const first = levels[0];
  return levels.map((l, i) => {
    const ratio = round2(l.p50Ms / first.p50Ms);
    const last = i === levels.length - 1;
    return {
      id: `${id}·${size(l)}`,
      name: `${name}, ${size(l).toLocaleString("en-US")} ${unit}`,
      status: "ok",
      p50Ms: l.p50Ms,
      p99Ms: l.p99Ms,
      errors: 0,
      ceiling: `${id}·${size(first)}`,
      ratio,
      load: `${l.samples} sequential requests, each for a different key`,
      ...(last ? { bar: `p50 ≤ ${bar.toFixed(2)} ×`, pass: ratio <= bar } : {}),
    };
  });
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
