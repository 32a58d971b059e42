/**
 * Scenarios 6–7: 6. logins at saturation against the hashing ceiling (6c: bcrypt compares per
 * second through the service's own worker pool, measured before and after, mean used), and
 * against one bcryptjs hasher (6c1: the same pool with one worker, also before and after; row 6w:
 * what the service's worker count gains over a single hasher); 7. a paced probe of GET /health
 * while logins saturate the hash workers (7L: those logins).
 */
import type { BenchContext, ScenarioGroup } from "../context.ts";
import { type HashingResult, measureHashing } from "../hashing.ts";
import { load as measure, round2, row, timed, versus, watch, wrkLine } from "../measure.ts";
import type { Row } from "../report.ts";
import { createAccount, expectApi } from "../seed.ts";
import { runWrk } from "../wrk.ts";

const LOGIN = { threads: 1, connections: 8, timeoutS: 30 };
// A paced probe (4 connections, 10 ms pause each) measures latency, not its own queueing.
const PROBE = { threads: 1, connections: 4, delayMs: 10 };
// 6w: on 2 or more cores the pool must sign in at least 1.35 × what one hasher can compare.
const BARS = { login: 0.9, probeP99Ms: 25, overOneHasher: 1.35 };

function ceilingRow(id: string, h: HashingResult): Row {
  return {
    id,
    name: `ceiling: bcrypt compare, cost ${h.cost}, ${h.workers} worker${
      h.workers === 1 ? "" : "s"
    } (createHasher)`,
    status: "ok",
    rps: h.opsPerS,
    errors: 0,
  };
}

/** The mean of the measurements before and after 6–7 becomes the ceiling's figure. */
function settle(ceiling: Row, before: HashingResult, after: HashingResult, seconds: number) {
  ceiling.rps = Math.round((before.opsPerS + after.opsPerS) / 2 * 100) / 100;
  ceiling.cpuPct = Math.round((before.cpuPct + after.cpuPct) / 2);
  ceiling.load = `${before.workers * 2} callers for ${seconds} s, before and after 6–7: ` +
    `${before.opsPerS} and ${after.opsPerS} compares/s, mean used; one compare alone ` +
    `${before.meanMs} ms`;
}

async function run(ctx: BenchContext): Promise<void> {
  const { config, service, account, timing: T, rows } = ctx;
  const base = service.url;
  // Measured before and after 6–7, like the hello-world: the mean is the ceiling.
  const hashing = await measureHashing(config.bcryptCost, config.hashWorkers, T.loginS);
  const ceiling = ceilingRow("6c", hashing);
  rows.push(ceiling);
  // With one worker configured, 6c is already the one-hasher figure.
  const oneHasher = config.hashWorkers > 1
    ? await measureHashing(config.bcryptCost, 1, T.loginS)
    : undefined;
  const single = oneHasher && ceilingRow("6c1", oneHasher);
  if (single) rows.push(single);
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
    const six = row("6", "POST /v1/auth/login at saturation", r);
    rows.push(versus(six, ceiling, BARS.login));
    if (single) {
      const bar = navigator.hardwareConcurrency >= 2 ? BARS.overOneHasher : undefined;
      rows.push(versus({ ...six, id: "6w", name: "6 against one bcryptjs hasher" }, single, bar));
    }
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
  settle(ceiling, hashing, again, T.loginS);
  const oneAgain = oneHasher && await measureHashing(config.bcryptCost, 1, T.loginS);
  if (single && oneHasher && oneAgain) settle(single, oneHasher, oneAgain, T.loginS);
  ctx.details.hashing = [hashing, again, ...(oneHasher && oneAgain ? [oneHasher, oneAgain] : [])];
  const bars: Record<string, number> = { "6c": BARS.login, "6c1": BARS.overOneHasher };
  for (const r of rows) {
    const c = r.ceiling === "6c" ? ceiling : r.ceiling === "6c1" ? single : undefined;
    if (!c) continue;
    r.ratio = round2((r.rps ?? 0) / (c.rps ?? 1));
    if (r.bar) r.pass = r.ratio >= bars[c.id];
  }
}

export const logins: ScenarioGroup = { ids: [6, 7], run };
