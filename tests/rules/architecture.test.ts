/**
 * The direction of imports (docs/architecture.md, "Layers and the direction of imports") and the
 * absence of import cycles: read from `deno info --json` over every module of src/ and console/, so
 * an import against the direction, or two files that import each other (directly or around a longer
 * circle), fail here, not in review.
 */
import { assert, assertEquals } from "../support/assert.ts";
import { type Edge, importEdges, ROOT } from "../support/module-graph.ts";

/** Layers from the bottom up; a module may import its own layer or one to its left. */
const ORDER = [
  ["platform"],
  ["outbox"],
  ["audit"],
  ["events"],
  ["identity"],
  ["tenants"],
  ["access", "data", "ops"],
  ["bootstrap", "http"],
  ["routes"],
  ["app"],
  ["main", "tasks"],
] as const;
/** Siblings of one rank that must not import each other. */
const SEALED = new Set(["access", "data", "ops"]);

/** The layer of a path relative to the repository, or null outside src/ and console/. */
export function layerOf(path: string): string | null {
  if (path.startsWith("console/")) return "console";
  const m = /^src\/([^/]+?)(\.ts|\/)/.exec(path);
  if (!m) return null;
  // The typed client and its browser-safe helpers (src/client.ts, src/client-*.ts).
  if (m[1] === "client" || m[1].startsWith("client-")) return "client";
  return m[1];
}

const rank = (layer: string) => ORDER.findIndex((r) => (r as readonly string[]).includes(layer));

/** Why the import `from` → `to` breaks the rules, or null when it is allowed. */
export function violation(from: string, to: string, typeOnly: boolean): string | null {
  const a = layerOf(from);
  const b = layerOf(to);
  if (!a || !b || a === b) return null;
  // The typed client sees the app's type and nothing else; the console sees only the client.
  if (a === "client") return b === "app" && typeOnly ? null : "the client imports only AppType";
  if (a === "console") return to === "src/client.ts" || b === "client" ? null : "console/ → client";
  if (b === "client" || b === "console") return `${a} must not import ${b}`;
  const ra = rank(a);
  const rb = rank(b);
  if (ra < 0) return `unknown layer ${a}`;
  if (rb < 0) return `unknown layer ${b}`;
  if (rb > ra) return `${a} imports ${b}, a layer above it`;
  if (ra === rb && SEALED.has(a) && SEALED.has(b)) return `${a} and ${b} are siblings`;
  return null;
}

async function sourceFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string) => {
    for await (const e of Deno.readDir(new URL(rel, ROOT))) {
      const path = `${rel}/${e.name}`;
      if (e.isDirectory) await walk(path);
      else if (/\.tsx?$/.test(e.name) && !/\.test\.tsx?$/.test(e.name)) out.push(path);
    }
  };
  try {
    await walk(dir);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return out;
}

/**
 * The import cycles among `edges` (file → file): one per group of files that reach each other
 * (a strongly connected component), as a path from its first file back to it.
 */
export function importCycles(edges: readonly (readonly [string, string])[]): string[][] {
  const next = new Map<string, string[]>();
  for (const [from, to] of edges) {
    if (!next.has(from)) next.set(from, []);
    if (!next.has(to)) next.set(to, []);
    next.get(from)!.push(to);
  }
  // Tarjan's strongly connected components.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const groups: string[][] = [];
  const connect = (v: string) => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v)!) {
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const group: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        group.push(w);
      } while (w !== v);
      if (group.length > 1 || next.get(v)!.includes(v)) groups.push(group.sort());
    }
  };
  for (const v of [...next.keys()].sort()) if (!index.has(v)) connect(v);
  // For each group, the shortest way from its first file back to it (breadth first, inside it).
  return groups.map((group) => {
    const members = new Set(group);
    const start = group[0];
    const via = new Map<string, string>();
    const queue = [start];
    for (let at = 0; at < queue.length; at++) {
      const v = queue[at];
      for (const w of next.get(v)!) {
        if (!members.has(w)) continue;
        if (w === start) {
          const path = [start];
          for (let u = v; u !== start; u = via.get(u)!) path.splice(1, 0, u);
          return [...path, start];
        }
        if (!via.has(w)) {
          via.set(w, v);
          queue.push(w);
        }
      }
    }
    throw new Error(`no way back to ${start} in ${group.join(", ")}`);
  }).sort((a, b) => a[0].localeCompare(b[0]));
}

/** Every import between two files of the repository, from `deno info --json` over src/ and console/. */
async function readImportGraph(): Promise<Edge[]> {
  const files = [...await sourceFiles("src"), ...await sourceFiles("console")];
  assert(files.length > 20, `expected the source tree, found ${files.length} files`);
  const edges = await importEdges(files);
  assert(edges.length > 50, `expected the import graph, read ${edges.length} edges`);
  return edges;
}

let graph: Promise<Edge[]> | undefined;
const importGraph = () => graph ??= readImportGraph();

Deno.test("layers: no module imports against the direction of docs/architecture.md", async () => {
  const found: string[] = [];
  for (const { from, to, typeOnly } of await importGraph()) {
    const why = violation(from, to, typeOnly);
    if (why) found.push(`${from} → ${to}: ${why}`);
  }
  assertEquals(found, []);
});

Deno.test("layers: no import cycle between files of src/ and console/", async () => {
  // Type-only imports count: a circle of types is still two files that need each other.
  const edges = (await importGraph())
    .filter((e) => layerOf(e.from) && layerOf(e.to))
    .map((e) => [e.from, e.to] as const);
  const found = importCycles(edges).map((c) => `import cycle: ${c.join(" → ")}`);
  assertEquals(found, []);
});

Deno.test("layers: the rule itself refuses upward, sibling and client imports", () => {
  assertEquals(violation("src/platform/db.ts", "src/identity/users.ts", false) !== null, true);
  assertEquals(violation("src/access/members.ts", "src/data/documents.ts", false) !== null, true);
  assertEquals(violation("src/client.ts", "src/app.ts", false) !== null, true);
  assertEquals(violation("src/client.ts", "src/app.ts", true), null);
  assertEquals(violation("console/main.ts", "src/app.ts", true) !== null, true);
  assertEquals(violation("src/routes/orgs/orgs.handlers.ts", "src/tenants/orgs.ts", false), null);
  assertEquals(violation("src/tenants/orgs.ts", "src/tenants/names.ts", false), null);
  // A folder inside a layer is that layer: the move's phases are ops, importing each other.
  assertEquals(layerOf("src/ops/move/copy.ts"), "ops");
  assertEquals(violation("src/ops/move/mod.ts", "src/ops/job-runner.ts", false), null);
  assertEquals(violation("src/ops/move/request.ts", "src/data/documents.ts", false) !== null, true);
});

Deno.test("layers: the cycle rule finds circles of any length and nothing else", () => {
  assertEquals(importCycles([["a", "b"], ["b", "c"], ["c", "d"]]), []);
  assertEquals(importCycles([["a", "b"], ["b", "a"]]), [["a", "b", "a"]]);
  assertEquals(importCycles([["a", "a"]]), [["a", "a"]]);
  assertEquals(
    importCycles([["x", "a"], ["a", "b"], ["b", "c"], ["c", "a"], ["c", "d"], ["d", "e"], [
      "e",
      "d",
    ]]),
    [["a", "b", "c", "a"], ["d", "e", "d"]],
  );
});
