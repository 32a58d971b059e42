/**
 * Scenario 15: webhook delivery throughput to a local receiver. A service of its own (the
 * address rule lifted with WEBHOOK_ALLOW_PRIVATE=1, which production refuses, so it runs in
 * development mode over the bench's database server, with its own master database) has two
 * endpoints taking every event, both on a receiver in this process on a loopback port that
 * answers 204. Changes (invitations: one stored change and one event each) are made by 8
 * concurrent callers for the load's duration while a paced wrk probe measures `GET /health`.
 *
 * - 15: deliveries/s (2xx answers received ÷ the time from the first change to the last
 *   delivery) and the p50/p99 from the change (its request's start) to the receiver's 2xx;
 * - 15h: `GET /health` p99 meanwhile (bar: under 25 ms).
 */
import type { BenchContext, ScenarioGroup } from "../context.ts";
import { percentile, round1, round2, watch, wrkLine } from "../measure.ts";
import { startService } from "../processes.ts";
import { createAccount, expectApi, login } from "../seed.ts";
import { runWrk } from "../wrk.ts";

const CALLERS = 8;
const ENDPOINTS = 2;
const PROBE = { threads: 1, connections: 4, delayMs: 10 };
const BAR_HEALTH_P99_MS = 25;

async function run(ctx: BenchContext): Promise<void> {
  const durationS = ctx.quick ? 5 : 15;
  const received = new Map<string, number[]>();
  let deliveries = 0;
  let lastAt = 0;
  const receiver = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, async (req) => {
    const body = JSON.parse(await req.text());
    const email = body?.data?.email;
    if (body.type === "invitation.created" && typeof email === "string") {
      const at = performance.now();
      (received.get(email) ?? received.set(email, []).get(email)!).push(at);
      deliveries++;
      lastAt = at;
    }
    return new Response(null, { status: 204 });
  });
  ctx.defer(() => receiver.shutdown());
  const service = await startService({
    mongoUri: ctx.ferret.uri,
    env: {
      APP_ENV: "development",
      JWT_SECRET: crypto.randomUUID() + crypto.randomUUID(),
      LOG_LEVEL: "warn",
      HOST: "127.0.0.1",
      MASTER_DB: "bench_webhooks",
      TENANT_DB_PREFIX: "bwh_",
      BCRYPT_COST: "4",
      MAIL: "off",
      ORG_CREATE_LIMIT: "0",
      INVITATION_LIMIT: "1000000",
      WEBHOOK_ALLOW_PRIVATE: "1",
    },
  });
  ctx.defer(() => service.stop());
  const base = service.url;
  const account = await createAccount(base, "Webhook Bench");
  const token = await login(base, account);
  for (let i = 0; i < ENDPOINTS; i++) {
    await expectApi(201, base, "POST", `/v1/orgs/${account.slug}/webhooks`, {
      token,
      body: { url: `http://127.0.0.1:${receiver.addr.port}/e${i}`, events: ["*"] },
    });
  }

  const startedAt = new Map<string, number>();
  let changes = 0;
  let failures = 0;
  const proc = watch(service.pid);
  const t0 = performance.now();
  const until = t0 + durationS * 1000;
  const probe = runWrk({ ...PROBE, url: `${base}/health`, durationS });
  await Promise.all(Array.from({ length: CALLERS }, async (_, c) => {
    for (let n = 0; performance.now() < until; n++) {
      const email = `w${c}-${n}@bench.example`;
      startedAt.set(email, performance.now());
      const res = await fetch(`${base}/v1/orgs/${account.slug}/invitations`, {
        method: "POST",
        headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
        body: JSON.stringify({ email, role: "member" }),
      });
      await res.body?.cancel();
      if (res.status === 201) changes++;
      else {
        failures++;
        startedAt.delete(email);
      }
    }
  }));
  const health = await probe;
  // The deliveries still queued when the load stops are waited for (at most 60 s).
  const expected = changes * ENDPOINTS;
  const deadline = performance.now() + 60_000;
  while (deliveries < expected && performance.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
  }
  const usage = proc.take();
  proc.stop();
  const latencies: number[] = [];
  for (const [email, ats] of received) {
    const from = startedAt.get(email);
    if (from !== undefined) { for (const at of ats) latencies.push(at - from); }
  }
  const spanS = (lastAt - t0) / 1000;
  const rps = round1(deliveries / spanS);
  const missing = expected - deliveries;
  ctx.rows.push({
    id: "15",
    name: `webhook deliveries to a local receiver (${ENDPOINTS} endpoints, change → 2xx)`,
    status: "ok",
    rps,
    p50Ms: round2(percentile(latencies, 50)),
    p99Ms: round2(percentile(latencies, 99)),
    errors: failures + Math.max(0, missing),
    ...usage,
    load: `${CALLERS} callers creating invitations for ${durationS} s: ${changes} changes, ` +
      `${deliveries} of ${expected} deliveries in ${round1(spanS)} s (latency from the ` +
      `change's request start; a development-mode service with WEBHOOK_ALLOW_PRIVATE=1)`,
  });
  ctx.rows.push({
    id: "15h",
    name: "GET /health during webhook delivery (paced probe)",
    status: "ok",
    rps: health.rps,
    p50Ms: health.p50Ms,
    p99Ms: health.p99Ms,
    errors: Object.values(health.errors).reduce((a, b) => a + b, 0),
    load: wrkLine(PROBE, durationS),
    bar: `p99 < ${BAR_HEALTH_P99_MS} ms`,
    pass: health.p99Ms < BAR_HEALTH_P99_MS,
  });
  ctx.details.webhooks = { changes, failures, deliveries, expected, spanS };
  await service.stop();
}

export const webhooks: ScenarioGroup = { ids: [15], run };
