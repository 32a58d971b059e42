/**
 * The console bundle's cache key (src/http/console-bundle.ts): every file the bundle is built
 * from is read from the module graph of console/main.tsx, so a change to any of them builds a
 * new bundle instead of serving a stale one. Run over a copy of the repository's sources, which
 * the tests change freely.
 */
import { consoleInputs, consoleSourceKey } from "../../src/http/console-bundle.ts";
import { assert, assertEquals } from "../support/assert.ts";

const REPO = new URL("../../", import.meta.url);

async function copyTree(from: URL, to: URL) {
  await Deno.mkdir(to, { recursive: true });
  for await (const e of Deno.readDir(from)) {
    if (e.isDirectory) await copyTree(new URL(`${e.name}/`, from), new URL(`${e.name}/`, to));
    else if (e.isFile) await Deno.copyFile(new URL(e.name, from), new URL(e.name, to));
  }
}

/** A temporary copy of what the console is built from: src/, console/ and the configuration. */
async function withCopy(fn: (root: URL) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "orgservice-console-key-" });
  const root = new URL(`file://${dir}/`);
  try {
    for (const d of ["src/", "console/"]) await copyTree(new URL(d, REPO), new URL(d, root));
    for (const f of ["deno.json", "deno.lock"]) {
      await Deno.copyFile(new URL(f, REPO), new URL(f, root));
    }
    await fn(root);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Appends a line comment (valid in TypeScript and in deno.json's JSONC) to a file. */
const touch = async (root: URL, path: string) =>
  await Deno.writeTextFile(new URL(path, root), "\n// changed\n", { append: true });

Deno.test("console bundle: a change to src/client-collection.ts changes the bundle's cache key", async () => {
  await withCopy(async (root) => {
    const before = await consoleSourceKey(root);
    await touch(root, "src/client-collection.ts");
    assert(
      (await consoleSourceKey(root)) !== before,
      "the key did not change: a changed src/client-collection.ts would serve a stale console",
    );
  });
});

Deno.test("console bundle: a change to any file it is built from changes the cache key", async () => {
  await withCopy(async (root) => {
    const inputs = await consoleInputs(root);
    // The console's own modules and the typed client's browser-side files are all inputs.
    for (const path of ["console/main.tsx", "src/client.ts", "src/client-problem.ts"]) {
      assert(inputs.includes(path), `${path} is missing from ${inputs.join(", ")}`);
    }
    const before = await consoleSourceKey(root);
    for (const path of inputs) {
      const original = await Deno.readFile(new URL(path, root));
      await touch(root, path);
      assert((await consoleSourceKey(root)) !== before, `a change to ${path} kept the key`);
      await Deno.writeFile(new URL(path, root), original);
    }
    assertEquals(await consoleSourceKey(root), before, "restored sources give the same key");
  });
});

Deno.test("console bundle: a module the console starts to import joins its inputs", async () => {
  await withCopy(async (root) => {
    const before = await consoleSourceKey(root);
    await Deno.writeTextFile(new URL("src/client-extra.ts", root), "export const extra = 1;\n");
    assertEquals(await consoleSourceKey(root), before, "a file nothing imports is no input");
    await Deno.writeTextFile(
      new URL("console/main.tsx", root),
      `import "../src/client-extra.ts";\n${await Deno.readTextFile(
        new URL("console/main.tsx", root),
      )}`,
    );
    assert((await consoleInputs(root)).includes("src/client-extra.ts"));
    const after = await consoleSourceKey(root);
    assert(after !== before);
    await touch(root, "src/client-extra.ts");
    assert((await consoleSourceKey(root)) !== after, "a change to the new module keeps the key");
  });
});

Deno.test("console bundle: server modules it only takes types from leave the key alone", async () => {
  await withCopy(async (root) => {
    // The client imports `type AppType` from src/app.ts: nothing of the server is bundled, so
    // editing the server does not rebuild the console at every restart.
    const inputs = await consoleInputs(root);
    assert(!inputs.includes("src/app.ts"), `src/app.ts is among ${inputs.join(", ")}`);
    const before = await consoleSourceKey(root);
    await touch(root, "src/app.ts");
    assertEquals(await consoleSourceKey(root), before);
  });
});
