/**
 * Fuzzing from the API's own description: Schemathesis (pinned, installed by tests/run.ts into a
 * venv outside the checkout, path in SCHEMATHESIS) runs against /openapi.json of the app served
 * over real HTTP, with a valid bearer token, checking that no answer is a 5xx and that every
 * status, body and content type is the documented one.
 *
 * Three runs, so that the generated requests reach the logic behind the validation too:
 * 1. free: every non-destructive operation, path parameters generated;
 * 2. pinned: path parameters fixed to a real org, member, invitation, collection and document
 *    of the token's org;
 * 3. destructive: rename, delete and sign-out, pinned too (they end the token's usefulness).
 *
 * FUZZ_EXAMPLES (per operation and run) and FUZZ_SEED size and replay a run.
 */
import { assert } from "../support/assert.ts";
import { addMember, createOrgAndLogin, createTestApp, dbTest } from "../support/app.ts";
import { allPathParameters, openapi } from "../support/openapi.ts";
import { param, serveApp } from "../support/service.ts";

const EXAMPLES = param("FUZZ_EXAMPLES", 30, 300);
const SEED = param("FUZZ_SEED", 20261125, 20261125);
const CHECKS = [
  "not_a_server_error",
  "status_code_conformance",
  "response_schema_conformance",
  "content_type_conformance",
].join(",");

/** Operations that end the token's session or the org: run last, on their own. */
const DESTRUCTIVE = [
  ["PATCH", "/v1/orgs/{slug}"],
  ["DELETE", "/v1/orgs/{slug}"],
  ["POST", "/v1/auth/logout"],
  ["DELETE", "/org/delete"],
  ["PUT", "/org/update"],
] as const;

function schemathesis(): string {
  const bin = Deno.env.get("SCHEMATHESIS");
  if (!bin) {
    const why = Deno.env.get("SCHEMATHESIS_ERROR") ??
      "SCHEMATHESIS is not set: run the tests with `deno task test`, which installs it";
    throw new Error(`Schemathesis is not available, so the API cannot be fuzzed:\n${why}`);
  }
  return bin;
}

interface RunResult {
  code: number;
  output: string;
  generated: number;
}

async function runSchemathesis(
  bin: string,
  args: { url: string; token: string; cwd: string; config?: string; filters: string[] },
): Promise<RunResult> {
  const out = await new Deno.Command(bin, {
    args: [
      "--no-color",
      ...(args.config ? ["--config-file", args.config] : []),
      "run",
      `${args.url}/openapi.json`,
      "--header",
      `Authorization: Bearer ${args.token}`,
      "--checks",
      CHECKS,
      "--max-examples",
      String(EXAMPLES),
      "--seed",
      String(SEED),
      "--request-timeout",
      "30",
      "--generation-database",
      "none",
      ...args.filters,
    ],
    cwd: args.cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const output = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  const generated = Number(/(\d+) generated/.exec(output)?.[1] ?? 0);
  return { code: out.code, output, generated };
}

Deno.test("fuzzing from the OpenAPI document finds no 5xx and no undocumented answer", {
  ...dbTest,
}, async (t) => {
  const bin = schemathesis();
  console.log(`fuzz test: ${EXAMPLES} examples per operation and run, seed ${SEED}`);
  // Every generated creation comes from this one address; the limit would end them early.
  await using app = await createTestApp({ env: { LOG_LEVEL: "warn", ORG_CREATE_LIMIT: "0" } });
  await using server = serveApp(app.app);
  const cwd = await Deno.makeTempDir({ prefix: "orgservice-fuzz-" });
  const totals = { generated: 0 };
  try {
    const owner = await createOrgAndLogin(app, "Fuzz Home");
    const member = await addMember(app, owner.token, owner.org.slug, "admin");
    const inv = await app.client(owner.token).v1.orgs[":slug"].invitations.$post({
      param: { slug: owner.org.slug },
      json: { email: "pending@example.com", role: "member" },
    });
    assert(inv.status === 201);
    const invitation = await inv.json();
    const col = await app.client(owner.token).v1.orgs[":slug"].collections.$post({
      param: { slug: owner.org.slug },
      json: { name: "fuzzed", indexes: [{ fields: { email: 1 }, unique: true }] },
    });
    assert(col.status === 201);
    const created = await app.client(owner.token).v1.orgs[":slug"].collections[":name"].documents
      .$post({ param: { slug: owner.org.slug, name: "fuzzed" }, json: { email: "x@example.com" } });
    assert(created.status === 201);
    const document = await created.json();
    // Pinned by parameter name, for the names the document uses: a value meant for one
    // parameter never lands in another.
    const values: Record<string, string> = {
      slug: owner.org.slug,
      userId: member.userId,
      id: invitation.id,
      invitationId: invitation.id,
      name: "fuzzed",
      documentId: String(document._id),
    };
    const used = allPathParameters(await openapi(app));
    const config = `${cwd}/schemathesis.toml`;
    await Deno.writeTextFile(
      config,
      [
        "[parameters]",
        ...Object.entries(values).filter(([name]) => used.has(name)).map(([name, value]) =>
          `"path.${name}" = "${value}"`
        ),
        "",
      ].join("\n"),
    );
    const runs: { name: string; config?: string; filters: string[]; token: string }[] = [
      { name: "free", filters: names("--exclude-name"), token: owner.token },
      { name: "pinned", config, filters: names("--exclude-name"), token: owner.token },
      { name: "destructive", config, filters: names("--include-name"), token: owner.token },
    ];
    for (const run of runs) {
      await t.step(`${run.name} run`, async () => {
        const r = await runSchemathesis(bin, { url: server.url, cwd, ...run, config: run.config });
        totals.generated += r.generated;
        assert(r.generated > 0, `the ${run.name} run generated no test case:\n${r.output}`);
        const crashes = app.logs.filter((l) => l.includes('"unhandled error"')).slice(0, 5);
        assert(
          r.code === 0,
          `Schemathesis found failures (seed ${SEED}):\n${r.output}\n${crashes.join("\n")}`,
        );
      });
    }
    const crashes = app.logs.filter((l) => l.includes('"unhandled error"'));
    assert(crashes.length === 0, `unhandled errors were logged:\n${crashes.join("\n")}`);
    console.log(`fuzz test: ${totals.generated} generated test cases, no failure`);
  } finally {
    await Deno.remove(cwd, { recursive: true }).catch(() => {});
  }
});

const names = (flag: string) => DESTRUCTIVE.flatMap(([m, p]) => [flag, `${m} ${p}`]);
