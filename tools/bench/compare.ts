/**
 * `deno run --allow-all tools/bench/compare.ts <git-ref> [--rounds=5] [--slice=2]
 * [--log-level=warn]`: the hot paths of the service as built from `<git-ref>` against this
 * working tree's, in one run.
 *
 * Exports `<git-ref>`'s src/ and console/ into a temporary folder, starts both builds (production mode, each
 * with a master database of its own) over one embedded database, and loads them in alternation
 * (tools/bench/measure.ts `interleaved`): `GET /v1/me`, a document got by id and a document
 * inserted, each in rounds that load both builds for the same slice (the old one first in
 * even rounds, the new one in odd ones), so that a slow spell of a shared machine falls on both. Prints each path's req/s of both builds and the
 * median of the per-round ratios new ÷ old.
 */
import { startFerretDB } from "../../src/platform/embedded/ferretdb.ts";
import { interleaved, pairedRatio, type Target } from "./measure.ts";
import { startService } from "./processes.ts";
import { createAccount, expectApi, login } from "./seed.ts";
import { ensureWrk } from "./wrk.ts";

const ROOT = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");
const LOAD = { threads: 1, connections: 8 };

const args = Deno.args;
const ref = args.find((a) => !a.startsWith("--"));
const flag = (name: string, dflt: number) =>
  Number(args.find((a) => a.startsWith(`--${name}=`))?.split("=")[1] ?? dflt);
if (!ref) {
  console.error("usage: compare.ts <git-ref> [--rounds=5] [--slice=2] [--log-level=warn]");
  Deno.exit(2);
}
const rounds = flag("rounds", 5);
const sliceS = flag("slice", 2);
// `info` (the default in production) adds the access log's line per request.
const logLevel = args.find((a) => a.startsWith("--log-level="))?.split("=")[1] ?? "warn";

await ensureWrk();
const tmp = await Deno.makeTempDir({ prefix: "orgservice-compare-" });
const stops: (() => Promise<unknown>)[] = [() => Deno.remove(tmp, { recursive: true })];
try {
  // The old build: its src/, console/ and dependencies.
  const archive = new Deno.Command("sh", {
    args: [
      "-c",
      `git -C "${ROOT}" archive "${ref}" src console deno.json deno.lock | tar -x -C "${tmp}"`,
    ],
  });
  if (!(await archive.output()).success) throw new Error(`cannot export ${ref}`);
  const commit = new TextDecoder().decode(
    (await new Deno.Command("git", { args: ["-C", ROOT, "rev-parse", "--short", ref] }).output())
      .stdout,
  ).trim();

  await Deno.chmod(tmp, 0o711);
  const ferret = await startFerretDB({ dataDir: `${tmp}/db`, fsync: false, log: () => {} });
  stops.push(ferret.stop);
  const build = async (name: string, script: string) => {
    const app = await startService({
      mongoUri: ferret.uri,
      env: {
        APP_ENV: "production",
        JWT_SECRET: crypto.randomUUID() + crypto.randomUUID(),
        LOG_LEVEL: logLevel,
        HOST: "127.0.0.1",
        MASTER_DB: `compare_${name}`,
        TENANT_DB_PREFIX: `cmp_${name}_`,
        ORG_CREATE_LIMIT: "0",
        MAIL: "off",
      },
      script,
    });
    stops.push(() => app.stop());
    const account = await createAccount(app.url, `Compare ${name}`);
    const token = await login(app.url, account);
    const docs = `/v1/orgs/${account.slug}/collections/bench/documents`;
    await expectApi(201, app.url, "POST", `/v1/orgs/${account.slug}/collections`, {
      token,
      body: { name: "bench", indexes: [{ fields: { k: 1 } }] },
    });
    const doc = await expectApi(201, app.url, "POST", docs, { token, body: { k: 7, n: 1 } });
    return { name, app, token, docs, id: doc.body._id as string };
  };
  const builds = [
    await build("old", `${tmp}/src/main.ts`),
    await build("new", "src/main.ts"),
  ];
  const paths = [
    { id: "me", name: "GET /v1/me", path: () => "/v1/me" },
    { id: "get", name: "GET …/documents/{id}", path: (b: typeof builds[0]) => `${b.docs}/${b.id}` },
    {
      id: "insert",
      name: "POST …/documents",
      path: (b: typeof builds[0]) => b.docs,
      method: "POST",
      body: JSON.stringify({ k: 3, name: "a new document", tags: ["x", "y"] }),
    },
  ];
  const target = (p: typeof paths[0], b: typeof builds[0]): Target => ({
    id: `${p.id}:${b.name}`,
    child: b.app,
    path: p.path(b),
    token: b.token,
    method: p.method,
    body: p.body,
  });
  const started = Deno.loadavg().map((n) => n.toFixed(2)).join(" ");
  // Rounds of one slice per target; the old build goes first in even rounds, the new in odd
  // ones, so that neither always follows the other.
  const rps = new Map<string, number[]>();
  const errors = new Map<string, number>();
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 ? [...builds].reverse() : builds;
    const targets = paths.flatMap((p) => order.map((b) => target(p, b)));
    const m = await interleaved(targets, LOAD, 1, sliceS, r === 0 ? 1 : 0);
    for (const [id, result] of m) {
      (rps.get(id) ?? rps.set(id, []).get(id)!).push(...result.rounds);
      const e = Object.values(result.w.errors).reduce((a, b) => a + b, 0);
      errors.set(id, (errors.get(id) ?? 0) + e);
    }
  }
  console.log(
    `\n${ref} (${commit}) against the working tree; ${rounds} rounds of wrk -t${LOAD.threads} ` +
      `-c${LOAD.connections} -d${sliceS}s per build and path, alternating (each build first in every other round), LOG_LEVEL=${logLevel}; ` +
      `load average at ` +
      `the start ${started}, at the end ${
        Deno.loadavg().map((n) => n.toFixed(2)).join(" ")
      }\n\n| path | old req/s | new req/s | new ÷ old (median of rounds) | errors |\n` +
      "| --- | ---: | ---: | ---: | ---: |",
  );
  for (const p of paths) {
    const [old, now] = [rps.get(`${p.id}:old`)!, rps.get(`${p.id}:new`)!];
    console.log(
      `| ${p.name} | ${old.join(" / ")} | ${now.join(" / ")} | ${pairedRatio(now, old)} | ` +
        `${errors.get(`${p.id}:old`)} / ${errors.get(`${p.id}:new`)} |`,
    );
  }
} finally {
  for (const stop of stops.reverse()) await stop().catch(() => {});
}
