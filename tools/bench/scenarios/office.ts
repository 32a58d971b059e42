/**
 * Scenario 16: an office behind one address (one NAT). 200 distinct users, each a member of the
 * bench's org with a password of the service's own bcrypt cost, sign in once each from the same
 * client address (127.0.0.1), by 8 concurrent callers (like scenario 6's wrk connections) as
 * fast as the service answers. Every one must be answered 200 and none 429 (the throttle counts
 * only wrong passwords: a right one gives its count back), all within a minute; the row gives
 * the sign-ins per second, each sign-in's p50/p99, and the answers other than 200.
 *
 * Under `--quick` (part of `deno task ok`) the same 200 users, since fewer would not test the
 * rule (the address limit is 50), against a service of its own at bcrypt cost 4 (development
 * mode, its own master database): the rule does not depend on the cost, and 200 compares at
 * cost 12 take minutes on a busy 2-core machine; the full run signs in to the bench's
 * production service at its own cost (12). Users and memberships go straight into the master
 * database through the service's own modules, all with one hash (hashing 200 passwords would
 * cost as much as the sign-ins).
 */
import { MongoClient, ObjectId } from "mongodb";
import { addMembership } from "../../../src/identity/memberships.ts";
import { insertUser } from "../../../src/identity/users.ts";
import { createHasher } from "../../../src/platform/hasher.ts";
import { findOrgBySlug } from "../../../src/tenants/orgs.ts";
import type { BenchContext, ScenarioGroup } from "../context.ts";
import { percentile, round1, round2, timed, watch } from "../measure.ts";
import { startService } from "../processes.ts";
import { createAccount, randomPassword } from "../seed.ts";

export const OFFICE_USERS = 200;
const CALLERS = 8;
/** All of them answered within this. */
const WITHIN_S = 60;

/** `--quick`'s service: development mode for a cost under production's minimum of 10. */
const QUICK = { cost: 4, masterDb: "bench_office" };

/** The service to sign in to, its master database, its bcrypt cost and an org in it. */
async function target(ctx: BenchContext) {
  if (!ctx.quick) {
    const { service, account, config } = ctx;
    return { service, slug: account.slug, masterDb: config.masterDb, cost: config.bcryptCost };
  }
  const service = await startService({
    mongoUri: ctx.ferret.uri,
    env: {
      APP_ENV: "development",
      JWT_SECRET: crypto.randomUUID() + crypto.randomUUID(),
      LOG_LEVEL: "warn",
      HOST: "127.0.0.1",
      MASTER_DB: QUICK.masterDb,
      TENANT_DB_PREFIX: "bof_",
      BCRYPT_COST: String(QUICK.cost),
      MAIL: "off",
    },
  });
  ctx.defer(() => service.stop());
  const { slug } = await createAccount(service.url, "Office Bench");
  return { service, slug, masterDb: QUICK.masterDb, cost: QUICK.cost };
}

async function run(ctx: BenchContext): Promise<void> {
  const { rows } = ctx;
  const { service, slug, masterDb, cost } = await target(ctx);
  const client = new MongoClient(ctx.ferret.uri);
  ctx.defer(() => client.close());
  const master = client.db(masterDb);
  const org = await findOrgBySlug(master, slug);
  if (!org) throw new Error(`16: the org ${slug} is missing`);

  const password = randomPassword();
  const hasher = createHasher({ cost, workers: 1 });
  const passwordHash = await hasher.hash(password).finally(() => hasher.close());
  const emails = Array.from({ length: OFFICE_USERS }, (_, i) => `office-${i}@bench.example`);
  const now = new Date();
  await pool(emails, 8, async (email) => {
    const id = new ObjectId().toHexString();
    await insertUser(master, { id, email, passwordHash }, now);
    await addMembership(master, { userId: id, orgId: org.id, role: "member" }, now);
  });

  const statuses = new Map<number, number>();
  const times: number[] = [];
  const proc = watch(service.pid);
  const t0 = performance.now();
  await timed("16", () =>
    pool(emails, CALLERS, async (email) => {
      const start = performance.now();
      const res = await fetch(`${service.url}/v1/auth/login`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ email, password }),
      });
      await res.body?.cancel();
      times.push(performance.now() - start);
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    }));
  const seconds = (performance.now() - t0) / 1000;
  const usage = proc.take();
  proc.stop();

  const ok = statuses.get(200) ?? 0;
  const refused = statuses.get(429) ?? 0;
  const answers = [...statuses].sort(([a], [b]) => a - b).map(([s, n]) => `${n}× ${s}`);
  ctx.details.office = {
    users: OFFICE_USERS,
    callers: CALLERS,
    bcryptCost: cost,
    seconds,
    statuses: answers,
  };
  // One bcrypt worker pool's compares/s, when measured at the same cost (not in --quick).
  const ceiling = ctx.quick ? undefined : rows.find((r) => r.id === "6c");
  const rps = round2(OFFICE_USERS / seconds);
  rows.push({
    id: "16",
    name: `${OFFICE_USERS} distinct users sign in once each from one address (bcrypt cost ${cost}` +
      `${ctx.quick ? ", a service of its own" : ""})`,
    status: "ok",
    rps,
    p50Ms: round1(percentile(times, 50)),
    p99Ms: round1(percentile(times, 99)),
    errors: OFFICE_USERS - ok,
    ...usage,
    ...(ceiling?.rps ? { ceiling: "6c", ratio: round2(rps / ceiling.rps) } : {}),
    load: `${CALLERS} concurrent callers, one POST /v1/auth/login per user, ` +
      `${round1(seconds)} s in all; answers: ${answers.join(", ")}`,
    bar: `all ${OFFICE_USERS} 200, none 429, within ${WITHIN_S} s`,
    pass: ok === OFFICE_USERS && refused === 0 && seconds <= WITHIN_S,
  });
}

/** Run `f` on every item, `concurrency` at a time. */
async function pool<T>(items: T[], concurrency: number, f: (item: T) => Promise<void>) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await f(items[next++]);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

/** Scenario 16 for the bench's main. */
export const office: ScenarioGroup = { ids: [16], run };
