/**
 * tools/ (the benchmark, the fuzzer's installer, what they share with the tests in tools/lib/)
 * imports nothing from tests/: the tests may use the tools, never the other way round. Read
 * from `deno info --json` over every module of tools/, so an import fails here, not in review.
 */
import { assert, assertEquals } from "../support/assert.ts";

const ROOT = new URL("../../", import.meta.url);

async function toolFiles(): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string) => {
    for await (const e of Deno.readDir(new URL(rel, ROOT))) {
      const path = `${rel}/${e.name}`;
      if (e.isDirectory) await walk(path);
      else if (/\.tsx?$/.test(e.name)) out.push(path);
    }
  };
  await walk("tools");
  return out.sort();
}

Deno.test("tools: no file under tools/ imports from tests/", async () => {
  const files = await toolFiles();
  assert(files.length > 10, `expected the tools, found ${files.length} files`);
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
    const info = JSON.parse(new TextDecoder().decode(out.stdout)) as {
      modules: {
        specifier: string;
        dependencies?: { code?: { specifier: string }; type?: { specifier: string } }[];
      }[];
    };
    const rel = (spec: string) => spec.startsWith(ROOT.href) ? spec.slice(ROOT.href.length) : "";
    const found: string[] = [];
    let edges = 0;
    for (const m of info.modules) {
      const from = rel(m.specifier);
      if (!from.startsWith("tools/")) continue;
      for (const d of m.dependencies ?? []) {
        const to = rel(d.code?.specifier ?? d.type?.specifier ?? "");
        edges++;
        if (to.startsWith("tests/")) found.push(`${from} → ${to}`);
      }
    }
    assert(edges > 20, `expected the imports of tools/, read ${edges}`);
    assertEquals(found, []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
