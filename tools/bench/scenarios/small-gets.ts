/**
 * Scenarios 1–4: the ceiling (a bare Hono hello-world in its own process), then 2. the
 * middleware stack alone, 3. an authenticated read with warm caches, 4. a public read of one
 * org. Each of 2–4 also against its floor (row "<n>f"): a bare Deno.serve answering the very
 * bytes the service answered, the best any server can do with that response.
 */
import type { BenchContext, ScenarioGroup } from "../context.ts";
import { interleaved, pairedRatio, row, type Target, wrkLine } from "../measure.ts";
import { record, startHello, startReplay } from "../processes.ts";
import { expectApi } from "../seed.ts";

// Small client settings for 2 cores: one wrk thread leaves the other core to the server.
const SATURATE = { threads: 1, connections: 32 };
const BARS = { health: 0.6, me: 0.5, org: 0.4 };

async function run(ctx: BenchContext): Promise<void> {
  const { service, token, timing: T } = ctx;
  const base = service.url;
  const hello = await startHello();
  ctx.defer(() => hello.stop());
  const small = [
    { id: "2", name: "GET /health", path: "/health", bar: BARS.health },
    { id: "3", name: "GET /v1/me (valid token, warm)", path: "/v1/me", bar: BARS.me, token },
    {
      id: "4",
      name: "GET /v1/orgs/{slug} (anonymous)",
      path: `/v1/orgs/${ctx.account.slug}`,
      bar: BARS.org,
    },
  ].filter((s) => ctx.wanted(Number(s.id)));
  const targets: Target[] = [{ id: "1", child: hello, path: "/" }];
  for (const s of small) {
    await expectApi(200, base, "GET", s.path, { token: s.token });
    const replay = await startReplay(await record(`${base}${s.path}`, s.token));
    ctx.defer(() => replay.stop());
    targets.push(
      { id: s.id, child: service, path: s.path, token: s.token },
      { id: `${s.id}f`, child: replay, path: s.path, token: s.token },
    );
  }
  const m = await interleaved(targets, SATURATE, T.rounds, T.sliceS, T.warmS);
  const ceiling = m.get("1")!;
  ctx.details.rounds = Object.fromEntries([...m].map(([id, r]) => [id, r.rounds]));
  ctx.rows.push(row("1", "ceiling: Hono hello-world on Deno.serve", {
    ...ceiling,
    load: `${T.rounds} rounds of ${wrkLine(SATURATE, T.sliceS)}, alternating with 2–4 and ` +
      "their floors; each ratio is the median of the ratios within a round",
  }));
  for (const s of small) {
    const r = m.get(s.id)!;
    const f = m.get(`${s.id}f`)!;
    const vsFloor = pairedRatio(r.rounds, f.rounds);
    const ratio = pairedRatio(r.rounds, ceiling.rounds);
    ctx.rows.push(
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
  for (const t of targets) if (t.child !== service) await t.child.stop();
}

export const smallGets: ScenarioGroup = { ids: [1, 2, 3, 4], run };
