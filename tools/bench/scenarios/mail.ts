/**
 * Scenario 13, mail through the outbox (docs/api.md, "Accounts by mail"), against a real SMTP server on a
 * loopback port (the `smtp-server` package, in the bench process):
 *
 * - 13a: throughput: a burst of mails queued at once, sent by one sender loop (4 SMTP
 *   connections): messages accepted by the server per second.
 * - 13b: latency: mails queued at a steady pace, queue → accepted by the server, p50 and p99.
 * - 13c: a burst of `POST /v1/auth/password/forgot` (1,000; fewer with --quick) against a service
 *   of its own (production mode, mail to the bench's SMTP server), a third of them for unknown
 *   emails, while a paced probe measures `GET /health`: its p99 must stay under 25 ms, and no
 *   address may get more than 3 reset mails (the per-address limit). 13c0 is the same probe
 *   without the burst, just before: what the machine itself allows.
 */
import { SMTPServer } from "smtp-server";
import { closeDeps, createDeps, ensureMasterIndexes } from "../../../src/bootstrap.ts";
import { loadConfig } from "../../../src/platform/config.ts";
import { freePort } from "../../../src/platform/embedded/ferretdb.ts";
import { createLogger } from "../../../src/platform/log.ts";
import { createMailer } from "../../../src/platform/mail.ts";
import { MAIL_KIND, mailKind, queueMail } from "../../../src/outbox/mail.ts";
import { startOutboxSender } from "../../../src/outbox/sender.ts";
import type { BenchContext, ScenarioGroup } from "../context.ts";
import { percentile, round1, round2, watch } from "../measure.ts";
import { startService } from "../processes.ts";
import { runWrk } from "../wrk.ts";

const BARS = { probeP99Ms: 25, mailsPerAddress: 3 };
const PROBE = { threads: 1, connections: 4, delayMs: 10 };

interface Accepted {
  to: string;
  subject: string;
  at: number;
}

/** An SMTP server that accepts everything and notes when each message was accepted. */
async function startSink() {
  const port = freePort();
  const accepted: Accepted[] = [];
  const server = new SMTPServer({
    disabledCommands: ["STARTTLS"],
    authOptional: true,
    logger: false,
    closeTimeout: 50,
    onAuth: (auth, _s, cb) => cb(null, { user: auth.username }),
    onData(stream, session, cb) {
      let head = "";
      stream.on("data", (c: Uint8Array) => {
        if (head.length < 4096) head += new TextDecoder().decode(c);
      });
      stream.on("end", () => {
        const subject = /^Subject: (.*)$/m.exec(head)?.[1] ?? "";
        for (const r of session.envelope.rcptTo) {
          accepted.push({ to: r.address, subject, at: Date.now() });
        }
        cb();
      });
    },
  });
  server.on("error", () => {});
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return {
    url: `smtp://bench:bench@127.0.0.1:${port}`,
    accepted,
    stop: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const until = async (cond: () => boolean, timeoutMs: number) => {
  const end = Date.now() + timeoutMs;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  return cond();
};

/** 13a and 13b: the outbox of this process, over the bench's database, to the sink. */
async function outboxThroughput(ctx: BenchContext, sink: Awaited<ReturnType<typeof startSink>>) {
  const burst = ctx.quick ? 300 : 2000;
  const paced = ctx.quick ? { n: 100, perS: 50 } : { n: 500, perS: 100 };
  const config = loadConfig({
    MONGO_URI: ctx.ferret.uri,
    MASTER_DB: "bench_mail_outbox",
    JWT_SECRET: crypto.randomUUID() + crypto.randomUUID(),
    SMTP_URL: sink.url,
    MAIL_FROM: "Bench <bench@example.com>",
    PUBLIC_URL: "https://bench.example.com",
    LOG_LEVEL: "warn",
  });
  const log = createLogger("warn");
  const deps = createDeps({ config, uri: ctx.ferret.uri, log });
  const mailer = createMailer(config.mail, config.dataDir, log, { timeoutMs: 10_000 });
  await ensureMasterIndexes(deps.db, log);
  const stop = startOutboxSender(deps, { [MAIL_KIND]: mailKind(mailer, config.mail) }, {
    pollMs: 200,
  });
  const mail = (i: number, tag: string) => ({
    key: `bench:${tag}:${i}`,
    to: `${tag}${i}@bench.example.com`,
    template: "password_reset" as const,
    vars: { token: `rst_${crypto.randomUUID()}`, validForMinutes: 60 },
  });
  try {
    // 13a: the burst.
    const start = Date.now();
    for (let i = 0; i < burst; i++) await queueMail(deps.db.master, mail(i, "burst"));
    const queuedMs = Date.now() - start;
    const done = () => sink.accepted.filter((a) => a.to.startsWith("burst")).length >= burst;
    const all = await until(done, 300_000);
    const last = Math.max(
      ...sink.accepted.filter((a) => a.to.startsWith("burst")).map((a) => a.at),
    );
    const seconds = (last - start) / 1000;
    ctx.rows.push({
      id: "13a",
      name: "outbox → SMTP: a burst of mails, one sender loop (4 connections)",
      status: "ok",
      rps: round1(burst / seconds),
      errors: all ? 0 : burst - sink.accepted.filter((a) => a.to.startsWith("burst")).length,
      load: `${burst} mails queued in ${round1(queuedMs / 1000)} s, all accepted after ` +
        `${round1(seconds)} s (rps = messages/s accepted by the server)`,
    });

    // 13b: a steady pace, queue → accepted.
    const queuedAt = new Map<string, number>();
    for (let i = 0; i < paced.n; i++) {
      const t0 = Date.now();
      const m = mail(i, "paced");
      await queueMail(deps.db.master, m);
      queuedAt.set(m.to, Date.now());
      const wait = 1000 / paced.perS - (Date.now() - t0);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    const pacedDone = () => sink.accepted.filter((a) => a.to.startsWith("paced")).length >= paced.n;
    await until(pacedDone, 120_000);
    const latencies = sink.accepted.filter((a) => queuedAt.has(a.to))
      .map((a) => a.at - queuedAt.get(a.to)!);
    ctx.rows.push({
      id: "13b",
      name: "outbox → SMTP: queue to accepted by the server, steady pace",
      status: "ok",
      p50Ms: round1(percentile(latencies, 50)),
      p99Ms: round1(percentile(latencies, 99)),
      errors: paced.n - latencies.length,
      load: `${paced.n} mails at ${paced.perS}/s`,
    });
  } finally {
    await stop();
    mailer.close();
    await deps.db.master.dropDatabase().catch(() => {});
    await closeDeps(deps);
  }
}

/** 13c: a burst of forgot-password requests against a service that mails to the sink. */
async function forgotBurst(ctx: BenchContext, sink: Awaited<ReturnType<typeof startSink>>) {
  const requests = ctx.quick ? 300 : 1000;
  const known = ctx.quick ? 10 : 40;
  const concurrency = 16;
  const port = freePort();
  const service = await startService({
    mongoUri: ctx.ferret.uri,
    env: {
      APP_ENV: "production",
      PORT: String(port),
      HOST: "127.0.0.1",
      JWT_SECRET: crypto.randomUUID() + crypto.randomUUID(),
      LOG_LEVEL: "warn",
      MASTER_DB: "bench_mail",
      TENANT_DB_PREFIX: "benchmail_",
      ORG_CREATE_LIMIT: "0",
      BCRYPT_COST: "10",
      SMTP_URL: sink.url,
      MAIL_FROM: "Bench <bench@example.com>",
      PUBLIC_URL: `http://127.0.0.1:${port}`,
    },
  });
  ctx.defer(() => service.stop());
  const base = service.url;
  const post = (path: string, body: unknown) =>
    fetch(`${base}${path}`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
  const emails = Array.from({ length: known }, (_, i) => `forgot${i}@bench.example.com`);
  for (const [i, email] of emails.entries()) {
    const res = await post("/v1/orgs", {
      name: `Mail Bench ${i}`,
      admin: { email, password: `bench-${crypto.randomUUID()}` },
    });
    await res.body?.cancel();
    if (res.status !== 201) throw new Error(`13c: sign-up answered ${res.status}`);
  }
  const isReset = (a: Accepted) => /reset your password/.test(a.subject);
  const resetsBefore = sink.accepted.filter(isReset).length;

  const probeS = ctx.quick ? 6 : 12;
  // The same probe without the burst first: on a shared machine, its p99 is the floor.
  const alone = await runWrk({ ...PROBE, url: `${base}/health`, durationS: probeS - 1 });
  ctx.rows.push({
    id: "13c0",
    name: "GET /health of that service, no burst (the same paced probe)",
    status: "ok",
    rps: round1(alone.rps),
    p50Ms: round2(alone.p50Ms),
    p99Ms: round2(alone.p99Ms),
    errors: alone.errors.connect + alone.errors.read + alone.errors.write +
      alone.errors.status + alone.errors.timeout,
    load: `${PROBE.connections} connections, ${PROBE.delayMs} ms pause, ${probeS - 1} s`,
  });
  const probe = runWrk({ ...PROBE, url: `${base}/health`, durationS: probeS });
  await new Promise((r) => setTimeout(r, 1000));
  // Who uses the 2 cores during the burst: the service, the database, this process (the load).
  const cpu = { service: watch(service.pid), db: watch(ctx.ferret.pid), load: watch(Deno.pid) };
  const statuses = new Map<number, number>();
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < requests) {
      const i = next++;
      // Two of three for an account (spread over `known` addresses), one for nobody.
      const email = i % 3 === 2 ? `nobody${i}@bench.example.com` : emails[i % known];
      const res = await post("/v1/auth/password/forgot", { email });
      await res.body?.cancel();
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const burstS = (performance.now() - started) / 1000;
  const used = Object.fromEntries(
    Object.entries(cpu).map(([k, v]) => [k, (v.stop(), v.take().cpuPct)]),
  ) as Record<keyof typeof cpu, number>;
  const w = await probe;
  // Let the outbox send what it will, then count.
  const allowed = known * BARS.mailsPerAddress;
  await until(() => sink.accepted.filter(isReset).length - resetsBefore >= allowed, 30_000);
  await new Promise((r) => setTimeout(r, 2000));
  const resets = sink.accepted.filter(isReset).slice(resetsBefore);
  const perAddress = new Map<string, number>();
  for (const r of resets) perAddress.set(r.to, (perAddress.get(r.to) ?? 0) + 1);
  const most = Math.max(0, ...perAddress.values());
  const toUnknown = resets.filter((r) => r.to.startsWith("nobody")).length;
  const non202 = requests - (statuses.get(202) ?? 0);
  ctx.rows.push({
    id: "13c",
    name: `GET /health during a burst of ${requests} forgot-password requests (paced probe)`,
    status: "ok",
    rps: round1(w.rps),
    p50Ms: round2(w.p50Ms),
    p99Ms: round2(w.p99Ms),
    errors: w.errors.connect + w.errors.read + w.errors.write + w.errors.status +
      w.errors.timeout,
    bar: `p99 < ${BARS.probeP99Ms} ms`,
    pass: w.p99Ms < BARS.probeP99Ms,
    load: `probe: ${PROBE.connections} connections, ${PROBE.delayMs} ms pause, ${probeS} s; ` +
      `burst: ${concurrency} concurrent callers, ${round1(requests / burstS)} req/s; CPU during ` +
      `the burst (100% = one core): service ${used.service}%, database ${used.db}% (FerretDB; ` +
      `PostgreSQL not counted), load generator ${used.load}%`,
  });
  ctx.rows.push({
    id: "13d",
    name: `reset mails sent for that burst (${known} known addresses, limit 3 each)`,
    status: "ok",
    errors: non202,
    bar: `≤ ${allowed} mails, ≤ 3 per address, none to unknown addresses, every answer 202`,
    pass: resets.length <= allowed && most <= BARS.mailsPerAddress && toUnknown === 0 &&
      non202 === 0,
    load: `${resets.length} reset mails, at most ${most} to one address, ${toUnknown} to ` +
      `unknown addresses; answers ${JSON.stringify(Object.fromEntries(statuses))}`,
  });
  await service.stop();
}

async function run(ctx: BenchContext): Promise<void> {
  const sink = await startSink();
  try {
    await outboxThroughput(ctx, sink);
    await forgotBurst(ctx, sink);
  } finally {
    await sink.stop();
  }
}

export const mail: ScenarioGroup = { ids: [13], run };
