/**
 * Scenario 14: the data API with an org's API key against the same requests with a person's
 * access token, in the same run (issue 24, "Done when"): a document get by id (14a) and a
 * filtered list of 20 (14b), each ≥ 0.95× its token twin (14a-j, 14b-j). The four loads run
 * interleaved, so a slow spell of a shared machine falls on both sides of each ratio alike.
 */
import type { BenchContext, ScenarioGroup } from "../context.ts";
import { interleaved, pairedRatio, row, type Target } from "../measure.ts";
import { expectApi } from "../seed.ts";

const BAR = 0.95;
const LOAD = { threads: 1, connections: 8 };

async function run(ctx: BenchContext): Promise<void> {
  const { service, token, account, timing: T } = ctx;
  const base = service.url;
  const slug = account.slug;
  const collection = `/v1/orgs/${slug}/collections/keybench`;
  await expectApi(201, base, "POST", `/v1/orgs/${slug}/collections`, {
    token,
    body: { name: "keybench", indexes: [{ fields: { k: 1 } }] },
  });
  const docs = Array.from({ length: 200 }, (_, i) => ({ k: i % 10, name: `item ${i}` }));
  await expectApi(201, base, "POST", `${collection}/documents/batch`, {
    token,
    body: { documents: docs },
  });
  const made = await expectApi(201, base, "POST", `${collection}/documents`, {
    token,
    body: { k: 99, name: "the one" },
  });
  const created = await expectApi(201, base, "POST", `/v1/orgs/${slug}/api-keys`, {
    token,
    body: { name: "bench", scopes: ["data:read"] },
  });
  const key: string = created.body.key;
  const getPath = `${collection}/documents/${made.body._id}`;
  const filter = encodeURIComponent(JSON.stringify({ k: 7 }));
  const listPath = `${collection}/documents?filter=${filter}&limit=20`;
  for (const path of [getPath, listPath]) {
    await expectApi(200, base, "GET", path, { token: key });
    await expectApi(200, base, "GET", path, { token });
  }
  const pairs = [
    { id: "14a", name: "GET …/documents/{documentId}", path: getPath },
    { id: "14b", name: "GET …/documents?filter={k}&limit=20 (indexed)", path: listPath },
  ];
  const targets: Target[] = pairs.flatMap((p) => [
    { id: p.id, child: service, path: p.path, token: key },
    { id: `${p.id}-j`, child: service, path: p.path, token },
  ]);
  const m = await interleaved(targets, LOAD, T.rounds, T.sliceS, T.warmS);
  for (const p of pairs) {
    const withKey = m.get(p.id)!;
    const withToken = m.get(`${p.id}-j`)!;
    const ratio = pairedRatio(withKey.rounds, withToken.rounds);
    ctx.rows.push(
      row(`${p.id}-j`, `${p.name} with a person's access token`, withToken),
      {
        ...row(p.id, `${p.name} with an API key (data:read)`, withKey),
        ceiling: `${p.id}-j`,
        ratio,
        bar: `≥ ${BAR.toFixed(2)} ×`,
        pass: ratio >= BAR,
      },
    );
    console.error(`  ${p.id}: ${withKey.w.rps} req/s with a key, ${withToken.w.rps} with a token`);
  }
  ctx.details.apiKeyRounds = Object.fromEntries([...m].map(([id, r]) => [id, r.rounds]));
}

/** Scenario 14 for the bench's main. */
export const apiKeys: ScenarioGroup = { ids: [14], run };
