/**
 * Scenarios 6–7: 6. logins at saturation against the hashing ceiling (6c: bcrypt compares per
 * second through the service's own worker pool, measured before and after, mean used); 7. a
 * paced probe of GET /health while logins saturate the hash workers (7L: those logins).
 */
import type { BenchContext, ScenarioGroup } from "../context.ts";
import { measureHashing } from "../hashing.ts";
import { load as measure, round2, row, timed, versus, watch, wrkLine } from "../measure.ts";
import type { Row } from "../report.ts";
import { createAccount, expectApi } from "../seed.ts";
import { runWrk } from "../wrk.ts";

const LOGIN = { threads: 1, connections: 8, timeoutS: 30 };
// A paced probe (4 connections, 10 ms pause each) measures latency, not its own queueing.
const PROBE = { threads: 1, connections: 4, delayMs: 10 };
const BARS = { login: 0.9, probeP99Ms: 25 };

async function run(ctx: BenchContext): Promise<void> {
  const { config, service, account, timing: T, rows } = ctx;
  const base = service.url;
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
  // One account per connection: every attempt is counted against its email while its password
  // is checked (docs/architecture.md, Throttling), so more than LOGIN_EMAIL_LIMIT sign-ins in
  // flight for one email would be refused (429) and counted in wrk's rate.
  const accounts = [account];
  for (let i = accounts.length; i < LOGIN.connections; i++) {
    accounts.push(await createAccount(base, `Bench Login ${i}`));
  }
  const bodies = accounts.map((a) => JSON.stringify({ email: a.email, password: a.password }));
  const loginOpts = { ...LOGIN, method: "POST", bodies };
  for (const b of bodies) {
    await expectApi(200, base, "POST", "/v1/auth/login", { body: JSON.parse(b) });
  }

  if (ctx.wanted(6)) {
    const r = await measure("6", service, "/v1/auth/login", loginOpts, T.loginS, 0);
    rows.push(versus(row("6", "POST /v1/auth/login at saturation", r), ceiling, BARS.login));
    await drain();
  }
  if (ctx.wanted(7)) {
    const proc = watch(service.pid);
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
  ctx.details.hashing = [hashing, again];
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

export const logins: ScenarioGroup = { ids: [6, 7], run };
