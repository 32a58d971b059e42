/**
 * The repository's import graph as `deno info --json` reads it, for the rule tests: every import
 * between two files of the repository reached from `files` (paths relative to the root).
 */
import { assert } from "./assert.ts";

export const ROOT = new URL("../../", import.meta.url);

export interface Edge {
  from: string;
  to: string;
  /** Only types cross it (`import type`): nothing runs. */
  typeOnly: boolean;
}

interface InfoModule {
  specifier: string;
  dependencies?: { code?: { specifier: string }; type?: { specifier: string } }[];
}

export async function importEdges(files: string[]): Promise<Edge[]> {
  const dir = await Deno.makeTempDir();
  try {
    const entry = `${dir}/all.ts`;
    const lines = files.map((f) => `import ${JSON.stringify(new URL(f, ROOT).href)};`);
    await Deno.writeTextFile(entry, lines.join("\n") + "\n");
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", entry],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert(out.success, new TextDecoder().decode(out.stderr));
    const info = JSON.parse(new TextDecoder().decode(out.stdout)) as { modules: InfoModule[] };
    const rel = (spec: string) => spec.startsWith(ROOT.href) ? spec.slice(ROOT.href.length) : null;
    const edges: Edge[] = [];
    for (const m of info.modules) {
      const from = rel(m.specifier);
      if (!from) continue;
      for (const d of m.dependencies ?? []) {
        const to = rel(d.code?.specifier ?? d.type?.specifier ?? "");
        if (to) edges.push({ from, to, typeOnly: !d.code });
      }
    }
    return edges;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
