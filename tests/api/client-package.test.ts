/**
 * The client package a frontend installs (docs/api.md, "The typed client for frontends"): built by
 * `deno task build:client`, installed with npm beside `hono` into a fresh Node project, it
 * type-checks with `tsc --strict` alone (nothing of the server's code: no Deno types, no
 * driver), refuses wrong calls at compile time, and the compiled sample talks to the service.
 */
import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import { dbTest } from "../support/app.ts";
import { API_VERSION } from "../../src/app.ts";
import { installClientPackage, sh } from "../support/client-package.ts";
import { dbClient, dropService, serviceEnv, spawnService } from "../support/service.ts";

/** The compiler of the frontend, pinned like the one tools/build-client.ts uses. */
const TYPESCRIPT = "typescript@5.9.3";

const SAMPLE = `import {
  collection,
  CollectionError,
  createClient,
  type ErrorCode,
  type Problem,
  problemOf,
} from "@orgservice/client";

export async function main(base: string): Promise<string> {
  const api = createClient(base);
  const id = Math.random().toString(36).slice(2, 10);
  const email = \`front-\${id}@example.com\`;
  const password = "correct horse battery staple";
  const created = await api.v1.orgs.$post({
    json: { name: \`Frontend \${id}\`, admin: { email, password } },
  });
  if (created.status !== 201) throw new Error(\`create: \${created.status}\`);
  const { org } = await created.json();
  const slug: string = org.slug;

  const wrong = await api.v1.auth.login.$post({ json: { email, password: "not it", org: slug } });
  const problem: Problem | null = await problemOf(wrong);

  // Errors are typed: the statuses the route declares, and the catalogue's codes.
  const twice = await api.v1.orgs.$post({
    json: { name: \`Frontend \${id}\`, admin: { email: \`other-\${email}\`, password } },
  });
  let conflict = "";
  if (!twice.ok && twice.status === 409) {
    const exists: ErrorCode = "org_exists";
    const p = await problemOf(twice);
    if (p?.code === exists) conflict = p.code;
  }

  const login = await api.v1.auth.login.$post({ json: { email, password, org: slug } });
  if (!login.ok) throw new Error(\`login: \${login.status}\`);
  const { accessToken } = await login.json();
  const signedIn = createClient(base, { token: accessToken });
  const me = await signedIn.v1.me.$get();
  if (!me.ok) throw new Error(\`me: \${me.status}\`);
  const { user } = await me.json();

  interface Customer extends Record<string, unknown> {
    name: string;
  }
  const made = await signedIn.v1.orgs[":slug"].collections.$post({
    param: { slug },
    json: { name: "customers" },
  });
  if (made.status !== 201) throw new Error(\`collection: \${made.status}\`);
  const customers = collection<Customer>(signedIn, slug, "customers");
  const ada = await customers.insert({ name: "Ada" });
  const again = await customers.get(ada._id);
  let missing = "";
  try {
    await collection<Customer>(api, slug, "customers").insert({ name: "Eve" });
  } catch (e) {
    if (e instanceof CollectionError) missing = e.code;
  }

  if (Math.random() > 2) {
    // @ts-expect-error: an unknown body field
    await api.v1.auth.login.$post({ json: { email, password, admin: true } });
    // @ts-expect-error: a wrong type
    await api.v1.orgs.$post({ json: { name: 42, admin: { email, password } } });
    // @ts-expect-error: a missing route
    await api.v1.nowhere.$get();
    // @ts-expect-error: the answer is typed (a string is no number), not \`any\`
    const n: number = org.slug;
    void n;
    // @ts-expect-error: a status POST /v1/orgs does not declare
    if (!twice.ok && twice.status === 412) void n;
    // @ts-expect-error: a code the service does not have
    const code: Problem["code"] = "no_such_code";
    void code;
  }
  return JSON.stringify({
    slug,
    wrong: problem?.code,
    email: user.email,
    customer: again?.name,
    unauthenticated: missing,
    conflict,
  });
}
`;

const RUN = `import { main } from "./out/sample.js";
console.log(await main(process.argv[2]));
`;

const TSCONFIG = {
  compilerOptions: {
    strict: true,
    target: "ES2022",
    module: "ESNext",
    moduleResolution: "bundler",
    lib: ["ES2022", "DOM", "DOM.Iterable"],
    types: [],
    outDir: "out",
    skipLibCheck: false,
  },
  files: ["sample.ts"],
};

Deno.test(
  "the client package installs with npm, type-checks with tsc alone and calls the service",
  { ...dbTest, sanitizeExit: false },
  async (t) => {
    const dir = await Deno.makeTempDir({ prefix: "orgservice-client-package-" });
    try {
      const { project, dist, manifest } = await installClientPackage(dir, [TYPESCRIPT]);

      await t.step("the package: ESM, its version, hono its only peer", async () => {
        const deno = JSON.parse(
          await Deno.readTextFile(new URL("../../deno.json", import.meta.url)),
        );
        assertEquals(manifest.name, "@orgservice/client");
        assertEquals(manifest.version, API_VERSION);
        assertEquals(manifest.peerDependencies, {
          hono: deno.imports.hono.replace("npm:hono@", ""),
        });
        const full = JSON.parse(await Deno.readTextFile(`${dist}/package.json`));
        assertEquals(full.type, "module");
        assertEquals(full.dependencies, undefined);
        const dts = await Deno.readTextFile(`${dist}/index.d.ts`);
        const from = [...dts.matchAll(/\bfrom\s+"([^"]+)"|import\("([^"]+)"\)/g)].map((m) =>
          m[1] ?? m[2]
        );
        assert(from.every((m) => m === "hono" || m.startsWith("hono/")), `imports ${from}`);
        const js = await Deno.readTextFile(`${dist}/index.js`);
        const jsFrom = [...js.matchAll(/\bfrom\s+"([^"]+)"/g)].map((m) => m[1]);
        assertEquals(jsFrom, ["hono/client"]);
      });

      await Deno.writeTextFile(`${project}/sample.ts`, SAMPLE);
      await Deno.writeTextFile(`${project}/run.mjs`, RUN);
      await Deno.writeTextFile(`${project}/tsconfig.json`, JSON.stringify(TSCONFIG, null, 2));

      await t.step("tsc --strict passes, and the lines that must fail do", async () => {
        const out = await sh(
          "node",
          ["node_modules/typescript/bin/tsc", "-p", ".", "--strict", "--extendedDiagnostics"],
          project,
        );
        const stat = (name: string) => new RegExp(`^${name}:\\s+(.+)$`, "m").exec(out)?.[1];
        console.log(
          `tsc of the sample: ${stat("Total time")}, ${stat("Files")} files, ` +
            `${stat("Memory used")} memory`,
        );
        assert(Number(stat("Files")) < 200, `files ${stat("Files")}`);
        // Without its expected errors, each of those lines fails the build.
        const unmarked = SAMPLE.replaceAll(/^\s*\/\/ @ts-expect-error.*$/gm, "");
        await Deno.writeTextFile(`${project}/wrong.ts`, unmarked);
        await Deno.writeTextFile(
          `${project}/tsconfig.wrong.json`,
          JSON.stringify({
            extends: "./tsconfig.json",
            compilerOptions: { noEmit: true },
            files: ["wrong.ts"],
          }),
        );
        const wrong = await new Deno.Command("node", {
          args: ["node_modules/typescript/bin/tsc", "-p", "tsconfig.wrong.json", "--strict"],
          cwd: project,
          stdout: "piped",
          stderr: "piped",
        }).output();
        const errors = new TextDecoder().decode(wrong.stdout);
        assertEquals(wrong.code, 2, errors);
        const lines = [...errors.matchAll(/^wrong\.ts\((\d+),\d+\): error (TS\d+)/gm)];
        assertEquals(lines.length, 6, errors);
        assertMatch(errors, /'admin' does not exist/);
        assertMatch(errors, /'number' is not assignable to type 'string'/);
        assertMatch(errors, /'nowhere' does not exist/);
        assertMatch(
          errors,
          /types '400 \| 401 \| 403 \| 409 \| 413 \| 415 \| 429 \| 503' and '412' have no overlap/,
        );
        assertMatch(errors, /'"no_such_code"' is not assignable/);
      });

      await t.step("the compiled sample calls the service with Node", async () => {
        const env = serviceEnv();
        const service = await spawnService(env);
        const db = dbClient();
        try {
          const out = await sh("node", ["run.mjs", service.url], project, 60_000);
          const answer = JSON.parse(out.trim().split("\n").pop()!);
          assertMatch(answer.slug, /^frontend-/);
          assertEquals(answer.wrong, "invalid_credentials");
          assertMatch(answer.email, /^front-.*@example\.com$/);
          assertEquals(answer.customer, "Ada");
          assertEquals(answer.unauthenticated, "unauthorized");
          assertEquals(answer.conflict, "org_exists");
        } finally {
          await service.stop();
          await dropService(db, env);
          await db.close();
        }
      });
    } finally {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
);
