/**
 * tools/ (the benchmark, the fuzzer's installer, what they share with the tests in tools/lib/)
 * imports nothing from tests/: the tests may use the tools, never the other way round. Read
 * from `deno info --json` over every module of tools/, so an import fails here, not in review.
 */
import { assert, assertEquals } from "../support/assert.ts";
import { importEdges, ROOT } from "../support/module-graph.ts";

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
  const found: string[] = [];
  let edges = 0;
  for (const { from, to } of await importEdges(files)) {
    if (!from.startsWith("tools/")) continue;
    edges++;
    if (to.startsWith("tests/")) found.push(`${from} → ${to}`);
  }
  assert(edges > 20, `expected the imports of tools/, read ${edges}`);
  assertEquals(found, []);
});
