/**
 * The direction of imports (../shared/DESIGN.md, "Layers"): read from `deno info --json` over every
 * module of src/ and console/, so an import against the direction fails here, not in review.
 */
import { assert, assertEquals } from "./support/assert.ts";

const ROOT = new URL("../", import.meta.url);

/** Layers from the bottom up; a module may import its own layer or one to its left. */
const ORDER = [
  ["platform"],
  ["outbox"],
  ["audit"],
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

interface InfoModule {
  specifier: string;
  dependencies?: {
    specifier: string;
    code?: { specifier: string };
    type?: { specifier: string };
  }[];
}

Deno.test("layers: no module imports against the direction of DESIGN.md", async () => {
  const files = [...await sourceFiles("src"), ...await sourceFiles("console")];
  assert(files.length > 20, `expected the source tree, found ${files.length} files`);
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
    const found: string[] = [];
    let edges = 0;
    for (const m of info.modules) {
      const from = rel(m.specifier);
      if (!from || from.startsWith("tmp")) continue;
      for (const d of m.dependencies ?? []) {
        const to = rel(d.code?.specifier ?? d.type?.specifier ?? "");
        if (!to) continue;
        edges++;
        const why = violation(from, to, !d.code);
        if (why) found.push(`${from} → ${to}: ${why}`);
      }
    }
    assert(edges > 50, `expected the import graph, read ${edges} edges`);
    assertEquals(found, []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
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
