/**
 * `deno task bench [--quick] [--profile] [--only=2,3,...]`: the service's benchmark.
 *
 * Starts an embedded FerretDB in a temporary folder and the service as a child process in
 * production mode, drives it with wrk, and compares each scenario with a ceiling measured in
 * the same run (a bare Hono hello-world; bcrypt through the service's own worker pool), since
 * absolute numbers on a shared 2-core machine are noise. Prints a Markdown table and writes
 * results/bench-<timestamp>.json and results/bench-latest.json.
 *
 * --quick    short runs, org documents without tenant databases (under 2 minutes)
 * --profile  run the service with --cpu-prof into results/prof/<timestamp>/ and summarise it
 * --only=    scenario numbers to run (their ceilings run too), e.g. --only=3,4
 */
import { MongoClient } from "mongodb";
import { loadConfig } from "../../src/platform/config.ts";
import { startFerretDB } from "../../src/embedded/ferretdb.ts";
import { createHasher } from "../../src/platform/hasher.ts";
import { measureHashing } from "./hashing.ts";
import { measureOrgCreation } from "./org-creation.ts";
import {
  interleaved,
  load as measure,
  pairedRatio,
  round2,
  row,
  summarizeProfiles,
  type Target,
  timed,
  versus,
  watch,
  wrkLine,
} from "./measure.ts";
import {
  childProcesses,
  procMemMiB,
  record,
  startHello,
  startReplay,
  startService,
} from "./processes.ts";
import { markdown, type Report, type Row, writeReport } from "./report.ts";
import { createAccount, expectApi, login } from "./seed.ts";
import { ensureWrk, runWrk } from "./wrk.ts";

const ROOT = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");
const RESULTS = `${ROOT}/results`;

const args = new Set(Deno.args.filter((a) => !a.startsWith("--only=")));
const quick = args.has("--quick");
const profile = args.has("--profile");
const only = Deno.args.find((a) => a.startsWith("--only="))?.slice(7).split(",");
const wanted = (n: number) => !only || only.includes(String(n));

const T = quick
  ? { rounds: 3, sliceS: 1, warmS: 1, loginS: 5, samples: 5 }
  : { rounds: 5, sliceS: 2, warmS: 2, loginS: 15, samples: 20 };
// Small client settings for 2 cores: one wrk thread leaves the other core to the server.
const SATURATE = { threads: 1, connections: 32 };
const LOGIN = { threads: 1, connections: 8, timeoutS: 30 };
// A paced probe (4 connections, 10 ms pause each) measures latency, not its own queueing.
const PROBE = { threads: 1, connections: 4, delayMs: 10 };
const LEVELS = [100, 1000, 5000];
const BARS = { health: 0.6, me: 0.5, org: 0.4, login: 0.9, probeP99Ms: 25, creation: 1.5 };
const RSS_BAR_MIB = 256;

function openFilesLimit(pid: number): number {
  try {
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(
      Deno.readTextFileSync(`/proc/${pid}/limits`),
    );
    return !m || m[1] === "unlimited" ? Infinity : Number(m[1]);
  } catch {
    return 0;
  }
}

async function main(): Promise<number> {
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
  const profileDir = profile ? `${RESULTS}/prof/${stamp}` : undefined;

  try {
    const ferret = await startFerretDB({ dataDir: `${tmp}/db`, log: () => {} });
    cleanups.push(ferret.stop);
    const ferretPid = childProcesses().find((c) => c.cmd.includes("ferretdb"))?.pid;

    const env: Record<string, string> = {
      APP_ENV: "production",
      JWT_SECRET: crypto.randomUUID() + crypto.randomUUID(),
      LOG_LEVEL: "warn",
      HOST: "127.0.0.1",
      MASTER_DB: "orgservice",
      TENANT_DB_PREFIX: "org_",
      // Scenario 8 creates orgs from one address, more than an hour's default allowance.
      ORG_CREATE_LIMIT: "0",
    };
    // The child inherits this environment too, so this is exactly the service's configuration.
    const config = loadConfig({ ...Deno.env.toObject(), ...env, MONGO_URI: ferret.uri });
    service = { bcryptCost: config.bcryptCost, hashWorkers: config.hashWorkers, env: config.env };

    // 1. The ceiling: a bare Hono hello-world in its own process.
    const hello = [1, 2, 3, 4].some(wanted) ? await startHello() : undefined;
    if (hello) cleanups.push(() => hello.stop());

    const app = await startService({ mongoUri: ferret.uri, env, profileDir });
    cleanups.push(() => app.stop());
    const base = app.url;
    const account = await createAccount(base, "Bench Org");
    const token = await login(base, account);

    // 2. The middleware stack alone; 3. an authenticated read with warm caches; 4. a public
    // read of one org. Each also against its floor (row "<n>f"): a bare Deno.serve answering
    // the very bytes the service answered, the best any server can do with that response.
    const small = [
      { id: "2", name: "GET /health", path: "/health", bar: BARS.health },
      { id: "3", name: "GET /v1/me (valid token, warm)", path: "/v1/me", bar: BARS.me, token },
      {
        id: "4",
        name: "GET /v1/orgs/{slug} (anonymous)",
        path: `/v1/orgs/${account.slug}`,
        bar: BARS.org,
      },
    ].filter((s) => wanted(Number(s.id)));
    if (hello) {
      const targets: Target[] = [{ id: "1", child: hello, path: "/" }];
      for (const s of small) {
        await expectApi(200, base, "GET", s.path, { token: s.token });
        const replay = await startReplay(await record(`${base}${s.path}`, s.token));
        cleanups.push(() => replay.stop());
        targets.push(
          { id: s.id, child: app, path: s.path, token: s.token },
          { id: `${s.id}f`, child: replay, path: s.path, token: s.token },
        );
      }
      const m = await interleaved(targets, SATURATE, T.rounds, T.sliceS, T.warmS);
      const ceiling = m.get("1")!;
      details.rounds = Object.fromEntries([...m].map(([id, r]) => [id, r.rounds]));
      rows.push(row("1", "ceiling: Hono hello-world on Deno.serve", {
        ...ceiling,
        load: `${T.rounds} rounds of ${wrkLine(SATURATE, T.sliceS)}, alternating with 2–4 and ` +
          "their floors; each ratio is the median of the ratios within a round",
      }));
      for (const s of small) {
        const r = m.get(s.id)!;
        const f = m.get(`${s.id}f`)!;
        const vsFloor = pairedRatio(r.rounds, f.rounds);
        const ratio = pairedRatio(r.rounds, ceiling.rounds);
        rows.push(
          {
            ...row(s.id, s.name, { ...r, load: `${r.load}; ${vsFloor} × its floor ${s.id}f` }),
            ceiling: "1",
            ratio,
            bar: `≥ ${s.bar.toFixed(2)} ×`,
            pass: ratio >= s.bar,
          },
          {
            ...row(`${s.id}f`, `floor: bare Deno.serve answering ${s.id}'s bytes`, f),
            ceiling: "1",
            ratio: pairedRatio(f.rounds, ceiling.rounds),
          },
        );
      }
      for (const t of targets) if (t.child !== app) await t.child.stop();
    }

    // 5. The data API does not exist yet.
    if (wanted(5)) {
      rows.push({
        id: "5",
        name: "data API: get-by-id / filtered list",
        status: "skipped",
        reason: "not available yet (no data API routes in the service)",
      });
    }

    // 6. Logins at saturation against the hashing ceiling; 7. /health while they run.
    if (wanted(6) || wanted(7)) {
      // Measured before and after 6–7, like the hello-world: the mean is the ceiling.
      const hashing = await measureHashing(config.bcryptCost, config.hashWorkers, T.loginS);
      const ceiling: Row = {
        id: "6c",
        name: `ceiling: bcrypt compare, cost ${hashing.cost}, ${hashing.workers} worker${
          hashing.workers === 1 ? "" : "s"
        } (createHasher)`,
        status: "ok",
        rps: hashing.opsPerS,
        errors: 0,
      };
      rows.push(ceiling);
      // wrk drops its connections at the end, but the service still works through the logins
      // they had queued: wait for that before the next measurement.
      const drain = () =>
        new Promise((r) =>
          setTimeout(r, Math.ceil(LOGIN.connections / hashing.workers + 1) * hashing.meanMs + 500)
        );
      const body = JSON.stringify({ email: account.email, password: account.password });
      const loginOpts = { ...LOGIN, method: "POST", body };
      await expectApi(200, base, "POST", "/v1/auth/login", { body: JSON.parse(body) });

      if (wanted(6)) {
        const r = await measure("6", app, "/v1/auth/login", loginOpts, T.loginS, 0);
        rows.push(versus(row("6", "POST /v1/auth/login at saturation", r), ceiling, BARS.login));
        await drain();
      }
      if (wanted(7)) {
        const proc = watch(app.pid);
        const logins = runWrk({ ...loginOpts, url: `${base}/v1/auth/login`, durationS: T.loginS });
        // Let the logins fill the hash queue before probing.
        await new Promise((r) => setTimeout(r, 1000));
        const probe = await timed(
          "7",
          () => runWrk({ ...PROBE, url: `${base}/health`, durationS: T.loginS - 2 }),
        );
        const w = await logins;
        const usage = proc.take();
        proc.stop();
        await drain();
        const p = row("7", "GET /health during login saturation (paced probe)", {
          w: probe,
          ...usage,
          load: wrkLine(PROBE, T.loginS - 2),
        });
        rows.push({
          ...p,
          bar: `p99 < ${BARS.probeP99Ms} ms`,
          pass: probe.p99Ms < BARS.probeP99Ms,
        });
        rows.push(
          versus(
            row("7L", "POST /v1/auth/login during the probe", {
              w,
              ...usage,
              load: wrkLine(LOGIN, T.loginS),
            }),
            ceiling,
            BARS.login,
          ),
        );
      }

      const again = await measureHashing(config.bcryptCost, config.hashWorkers, T.loginS);
      details.hashing = [hashing, again];
      ceiling.rps = Math.round((hashing.opsPerS + again.opsPerS) / 2 * 100) / 100;
      ceiling.cpuPct = Math.round((hashing.cpuPct + again.cpuPct) / 2);
      ceiling.load = `${hashing.workers * 2} callers for ${T.loginS} s, before and after 6–7: ` +
        `${hashing.opsPerS} and ${again.opsPerS} compares/s, mean used; one compare alone ` +
        `${hashing.meanMs} ms`;
      for (const r of rows) {
        if (r.ceiling === "6c") r.ratio = round2((r.rps ?? 0) / (ceiling.rps ?? 1));
        if (r.ceiling === "6c" && r.bar) r.pass = (r.ratio ?? 0) >= BARS.login;
      }
    }

    // 8. Org creation with many orgs present, seeded straight into the master database.
    if (wanted(8)) {
      const client = new MongoClient(ferret.uri);
      cleanups.push(() => client.close());
      const limit = ferretPid ? openFilesLimit(ferretPid) : 0;
      // FerretDB keeps ~3 descriptors per database (SQLite file, WAL, shared memory).
      const fits = limit >= 3 * LEVELS[LEVELS.length - 1] + 1000;
      const withTenantDbs = !quick && fits;
      if (quick) {
        notes.push(
          "8: --quick seeds org documents, users and memberships only, without tenant databases; " +
            "the full run creates them too",
        );
      } else if (!fits) {
        notes.push(
          `8: seeded org documents without tenant databases: FerretDB's open-files limit (${limit}) ` +
            `is too low for ${LEVELS[LEVELS.length - 1]} SQLite databases (~3 descriptors each)`,
        );
      }
      const hasher = createHasher({ cost: config.bcryptCost, workers: 1 });
      const passwordHash = await hasher.hash("seeded-users-cannot-sign-in-" + crypto.randomUUID());
      hasher.close();
      // CPU of the service and of FerretDB while each level's creates run: who is busy.
      const usage: Record<string, { service: number; ferretdb: number }> = {};
      const svc = watch(app.pid);
      const db = ferretPid ? watch(ferretPid) : undefined;
      const levels = await measureOrgCreation({
        base,
        seed: {
          master: client.db(config.masterDb),
          tenantDb: (name) => client.db(name),
          tenantDbPrefix: config.tenantDbPrefix,
          passwordHash,
          withTenantDbs,
        },
        levels: LEVELS,
        samples: T.samples,
        onLevel: (l) =>
          console.error(`  8: ${l.orgs} orgs: p50 ${l.p50Ms} ms (seeded in ${l.seedS} s)`),
        timed: async (id, f) => {
          svc.take();
          db?.take();
          const r = await timed(id, f);
          usage[id] = { service: svc.take().cpuPct, ferretdb: db?.take().cpuPct ?? 0 };
          return r;
        },
      });
      svc.stop();
      db?.stop();
      details.orgCreation = levels.map((l) => ({ ...l, cpuPct: usage[`8·${l.orgs}`] }));
      const first = levels[0];
      for (const l of levels) {
        const ratio = round2(l.p50Ms / first.p50Ms);
        const last = l === levels[levels.length - 1];
        const cpu = usage[`8·${l.orgs}`];
        rows.push({
          id: `8·${l.orgs}`,
          name: `POST /v1/orgs with ${l.orgs.toLocaleString("en-US")} orgs present` +
            (l.tenantDbs ? "" : " (no tenant DBs)"),
          status: "ok",
          p50Ms: l.p50Ms,
          p99Ms: l.p99Ms,
          errors: 0,
          cpuPct: cpu?.service,
          ceiling: `8·${first.orgs}`,
          ratio,
          load: `${l.samples} sequential creates after seeding ${l.seedS} s; CPU meanwhile: ` +
            `service ${cpu?.service}%, FerretDB ${cpu?.ferretdb}%`,
          ...(last
            ? { bar: `p50 ≤ ${BARS.creation.toFixed(2)} ×`, pass: ratio <= BARS.creation }
            : {}),
        });
      }
      if (ferretPid) {
        details.ferretdb = {
          peakRssMiB: procMemMiB(ferretPid, "VmHWM"),
          openFiles: [...Deno.readDirSync(`/proc/${ferretPid}/fd`)].length,
          openFilesLimit: limit,
        };
      }
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

Deno.exit(await main());
