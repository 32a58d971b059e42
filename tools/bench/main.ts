/**
 * `deno task bench [--quick] [--profile] [--only=2,3,...]`: the service's benchmark.
 *
 * Starts the embedded database in a temporary folder and the service as a child process in
 * production mode, drives it with wrk, and compares each scenario with a ceiling measured in
 * the same run (a bare Hono hello-world; bcrypt through the service's own worker pool), since
 * absolute numbers on a shared 2-core machine are noise. Prints a Markdown table and writes
 * results/bench-<timestamp>.json and results/bench-latest.json.
 *
 * --quick    short runs, org documents without tenant databases, bcrypt cost 10 unless
 *            BCRYPT_COST is set (`deno task ok` runs it: it must run to its end)
 * --profile  run the service with --cpu-prof into results/prof/<timestamp>/ and summarise it
 * --only=    scenario numbers to run (their ceilings run too), e.g. --only=3,4
 *
 * Each scenario group is a module of tools/bench/scenarios/ (see GROUPS); 9 and 10 measure the
 * embedded database itself, 11 and 12 start embedded servers of their own; 13 (mail.ts) starts an
 * SMTP server and a service of its own that mails to it; 16 (office.ts) signs 200 users in from
 * one address.
 */
import { loadConfig } from "../../src/platform/config.ts";
import { startFerretDB } from "../../src/platform/embedded/ferretdb.ts";
import { type BenchContext, type ScenarioGroup, TIMING } from "./context.ts";
import { dataApi } from "./scenarios/data-api.ts";
import { apiKeys } from "./scenarios/api-keys.ts";
import { indexedLookup } from "./scenarios/indexed-lookup.ts";
import { logins } from "./scenarios/logins.ts";
import { summarizeProfiles } from "./measure.ts";
import { orgCreation } from "./scenarios/org-creation.ts";
import { migrateTask } from "./scenarios/migrate.ts";
import { mail } from "./scenarios/mail.ts";
import { orgMove } from "./scenarios/move.ts";
import { startService } from "./processes.ts";
import { markdown, type Report, type Row, writeReport } from "./report.ts";
import { scale } from "./scenarios/scale.ts";
import { smallGets } from "./scenarios/small-gets.ts";
import { createAccount, login } from "./seed.ts";
import { ensureWrk } from "./wrk.ts";
import { webhooks } from "./scenarios/webhooks.ts";
import { office } from "./scenarios/office.ts";

const ROOT = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");
const RESULTS = `${ROOT}/results`;

/** In the order they run and appear in the report. */
const GROUPS: ScenarioGroup[] = [
  smallGets, // 1–4
  dataApi, // 5
  logins, // 6–7
  orgCreation, // 8
  indexedLookup, // 9
  scale, // 10
  orgMove, // 11
  migrateTask, // 12
  mail, // 13 (starts a service and an SMTP server of its own)
  apiKeys, // 14
  webhooks, // 15
  office, // 16
];
const RSS_BAR_MIB = 256;

interface Flags {
  quick: boolean;
  profile: boolean;
  /** Scenario numbers from --only=, or undefined for all. */
  only?: string[];
}

function parseFlags(args: string[]): Flags {
  const set = new Set(args.filter((a) => !a.startsWith("--only=")));
  const only = args.find((a) => a.startsWith("--only="))?.slice(7).split(",");
  return { quick: set.has("--quick"), profile: set.has("--profile"), only };
}

async function main(flags: Flags): Promise<number> {
  const { quick } = flags;
  const wanted = (n: number) => !flags.only || flags.only.includes(String(n));
  const started = new Date();
  const t0 = performance.now();
  const loadAvgAtStart = Deno.loadavg().map((n) => n.toFixed(2)).join(" ");
  let service = { bcryptCost: 0, hashWorkers: 0, env: "production" };
  await ensureWrk();
  const rows: Row[] = [];
  const notes: string[] = [];
  // deno-lint-ignore no-explicit-any
  const details: Record<string, any> = {};
  const cleanups: (() => Promise<unknown>)[] = [];
  const cleanup = async () => {
    for (const c of cleanups.reverse()) await c().catch(() => {});
    cleanups.length = 0;
  };
  const onSigint = () => cleanup().finally(() => Deno.exit(130));
  Deno.addSignalListener("SIGINT", onSigint);

  const tmp = await Deno.makeTempDir({ prefix: "orgservice-bench-" });
  cleanups.push(() => Deno.remove(tmp, { recursive: true }));
  const stamp = started.toISOString().replace(/[:.]/g, "-");
  const profileDir = flags.profile ? `${RESULTS}/prof/${stamp}` : undefined;

  try {
    // The database's folder must let PostgreSQL's owner through (orgservice-db, when we are root).
    await Deno.chmod(tmp, 0o711);
    const ferret = await startFerretDB({ dataDir: `${tmp}/db`, fsync: false, log: () => {} });
    cleanups.push(ferret.stop);

    const env: Record<string, string> = {
      APP_ENV: "production",
      JWT_SECRET: crypto.randomUUID() + crypto.randomUUID(),
      LOG_LEVEL: "warn",
      HOST: "127.0.0.1",
      MASTER_DB: "orgservice",
      TENANT_DB_PREFIX: "org_",
      // Org creation from one address is what scenarios 8 and 10 do: no per-address limit.
      ORG_CREATE_LIMIT: "0",
      // Production needs an SMTP server otherwise; no scenario sends mail yet.
      MAIL: "off",
      // --quick (run by `deno task ok`): production's lowest cost, a quarter of the default 12's
      // work per hash, for the org creations of 8 and 10; 6 and 7 compare with a ceiling
      // measured at the same cost.
      ...(quick && !Deno.env.get("BCRYPT_COST") ? { BCRYPT_COST: "10" } : {}),
    };
    // The child inherits this environment too, so this is exactly the service's configuration.
    const config = loadConfig({ ...Deno.env.toObject(), ...env, MONGO_URI: ferret.uri });
    service = { bcryptCost: config.bcryptCost, hashWorkers: config.hashWorkers, env: config.env };

    const app = await startService({ mongoUri: ferret.uri, env, profileDir });
    cleanups.push(() => app.stop());
    const account = await createAccount(app.url, "Bench Org");
    const ctx: BenchContext = {
      quick,
      timing: TIMING[quick ? "quick" : "full"],
      wanted,
      config,
      ferret: { uri: ferret.uri, pid: ferret.pid },
      service: app,
      account,
      token: await login(app.url, account),
      rows,
      notes,
      details,
      defer: (c) => cleanups.push(c),
    };
    // How long each group took: what `--quick` must keep short (it runs in `deno task ok`).
    const seconds: Record<string, number> = details.groupSeconds = {};
    for (const group of GROUPS) {
      if (!group.ids.some(wanted)) continue;
      const g0 = performance.now();
      ctx.token = await login(app.url, account);
      await group.run(ctx);
      seconds[group.ids.join(",")] = Math.round((performance.now() - g0) / 1000);
      console.error(`  ${group.ids.join(", ")}: ${seconds[group.ids.join(",")]} s`);
    }

    const peak = app.peakRssMiB();
    rows.push({
      id: "M",
      name: "service peak RSS (VmHWM, whole run)",
      status: "ok",
      rssMiB: peak,
      bar: `≤ ${RSS_BAR_MIB} MiB`,
      pass: peak <= RSS_BAR_MIB,
    });
    await app.stop();
    const tail = app.outputTail();
    if (tail.length) details.serviceOutputTail = tail;

    for (const r of rows) if (r.load) notes.push(`${r.id}: ${r.load}`);
    if (details.hashing) {
      notes.push(
        "6/7L: each login is one bcrypt compare plus ~7 database round trips (throttle, user, " +
          "memberships, orgs, session, audit) on the same cores as the hash workers; compare " +
          "their CPU µs/req with 6c's",
      );
    }
    if (details.ferretdb) {
      notes.push(
        `FerretDB at the end: peak RSS ${details.ferretdb.peakRssMiB} MiB, ` +
          `${details.ferretdb.openFiles} open files (limit ${details.ferretdb.openFilesLimit})`,
      );
    }
    if (tail.length) notes.push(`the service wrote ${tail.length} line(s) of output (see JSON)`);

    if (profileDir) details.profiles = await summarizeProfiles(profileDir);
  } finally {
    await cleanup();
    Deno.removeSignalListener("SIGINT", onSigint);
  }

  const report: Report = {
    startedAt: started.toISOString(),
    mode: quick ? "quick" : "full",
    durationS: Math.round((performance.now() - t0) / 1000),
    machine: {
      cores: navigator.hardwareConcurrency,
      loadAvgAtStart,
      deno: Deno.version.deno,
    },
    service,
    rows,
    notes,
    details,
  };
  const path = await writeReport(RESULTS, report);
  console.log(markdown(report));
  console.log(`\nresults: ${path}`);
  return 0;
}

Deno.exit(await main(parseFlags(Deno.args)));
