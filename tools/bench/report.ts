/** The bench's results: one row per scenario, a Markdown table, a JSON file in results/. */

export interface Row {
  id: string;
  name: string;
  status: "ok" | "skipped";
  reason?: string;
  rps?: number;
  p50Ms?: number;
  p99Ms?: number;
  /** Socket errors, timeouts and non-2xx answers. */
  errors?: number;
  /** Highest resident memory sampled while the scenario ran (MiB) of the process under test. */
  rssMiB?: number;
  /** CPU use of the process under test while measured (100 = one core, all its threads). */
  cpuPct?: number;
  /** What `ratio` compares with: the id of the ceiling row. */
  ceiling?: string;
  ratio?: number;
  bar?: string;
  pass?: boolean;
  /** How the load was made (wrk options, sample counts). */
  load?: string;
}

export interface Report {
  startedAt: string;
  mode: "quick" | "full";
  durationS: number;
  machine: { cores: number; loadAvgAtStart: string; deno: string };
  service: { bcryptCost: number; hashWorkers: number; env: string };
  rows: Row[];
  notes: string[];
  // deno-lint-ignore no-explicit-any
  details: Record<string, any>;
}

const fmt = (n: number | undefined, digits = 1) =>
  n === undefined ? "—" : n.toLocaleString("en-US", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });

/** CPU time per request (µs): robust to a shared machine, where req/s depends on neighbours. */
export function cpuPerRequest(row: Row): number | undefined {
  if (row.cpuPct === undefined || !row.rps) return undefined;
  return row.cpuPct / 100 / row.rps * 1e6;
}

export function markdown(r: Report): string {
  const lines = [
    "| # | scenario | req/s | p50 ms | p99 ms | errors | CPU % | CPU µs/req | RSS MiB | ratio | bar | result |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |",
  ];
  for (const row of r.rows) {
    if (row.status === "skipped") {
      lines.push(
        `| ${row.id} | ${row.name} | — | — | — | — | — | — | ${
          row.bar ?? ""
        } | skipped: ${row.reason} |`,
      );
      continue;
    }
    const ratio = row.ratio === undefined ? "—" : `${fmt(row.ratio, 2)} × ${row.ceiling}`;
    const result = row.pass === undefined ? "" : row.pass ? "pass" : "**fail**";
    lines.push(
      `| ${row.id} | ${row.name} | ${fmt(row.rps)} | ${fmt(row.p50Ms)} | ${fmt(row.p99Ms)} | ${
        row.errors ?? "—"
      } | ${fmt(row.cpuPct, 0)} | ${fmt(cpuPerRequest(row), 0)} | ${fmt(row.rssMiB)} | ${ratio} | ${
        row.bar ?? ""
      } | ${result} |`,
    );
  }
  const head =
    `bench (${r.mode}) ${r.startedAt}: ${r.machine.cores} cores, load ${r.machine.loadAvgAtStart} at start, ` +
    `deno ${r.machine.deno}; service ${r.service.env}, BCRYPT_COST ${r.service.bcryptCost}, ` +
    `HASH_WORKERS ${r.service.hashWorkers}; ${r.durationS} s`;
  return [head, "", ...lines, "", ...r.notes.map((n) => `- ${n}`)].join("\n");
}

/** Write results/bench-<timestamp>.json and results/bench-latest.json; returns the first path. */
export async function writeReport(dir: string, r: Report): Promise<string> {
  await Deno.mkdir(dir, { recursive: true });
  const stamp = r.startedAt.replace(/[:.]/g, "-");
  const path = `${dir}/bench-${stamp}.json`;
  const text = JSON.stringify(r, null, 2) + "\n";
  await Deno.writeTextFile(path, text);
  await Deno.writeTextFile(`${dir}/bench-latest.json`, text);
  return path;
}
