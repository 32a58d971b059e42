/**
 * Crash safety: the service runs as a child process under a stream of org creates, renames and
 * deletes and member changes, and is killed with SIGKILL at moments drawn from a seeded PRNG,
 * then restarted. After each restart, once its reconciler has run, the database must show every
 * acknowledged operation and no half-made state:
 *
 * - every acknowledged create (201) exists, `active`, with its database and its owner membership;
 * - every acknowledged delete (204) is gone, database included;
 * - renames and member changes show their acknowledged outcome; an operation whose answer was
 *   lost in the kill may show either outcome, and the test then carries on from what it finds;
 * - every acknowledged document insert (one or a batch) is in the org's `notes` collection;
 * - no tenant database without an org, no org without its database, no duplicate slugs, no org
 *   left in `provisioning` or `deleting`.
 *
 * CRASH_SEED replays a run (the seed is printed); CRASH_CYCLES sets the number of kills.
 *
 * The outbox has its own test below: mail is queued while the service sends it to a real SMTP
 * server and is killed; every queued mail must arrive, and a mail may arrive twice only across a
 * kill (the outbox is at-least-once, see src/outbox/outbox.ts). CRASH_MAIL_CYCLES sets its kills.
 */
import { type Db, type MongoClient, ObjectId } from "mongodb";
import { slugify } from "../../src/tenants/names.ts";
import type { ProvisioningStep } from "../../src/platform/deps.ts";
import { rollbackProvisioning } from "../../src/tenants/provisioning-rollback.ts";
import { findOrgBySlug } from "../../src/tenants/orgs.ts";
import { reconcileOrgs } from "../../src/ops/reconciler.ts";
import { queueMail } from "../../src/outbox/mail.ts";
import { DEFAULT_SENDER_OPTIONS } from "../../src/outbox/sender.ts";
import { startSmtpServer } from "../support/smtp.ts";
import { assert, assertEquals, assertProblem } from "../support/assert.ts";
import { createTestApp, dbTest, json, type TestApp } from "../support/app.ts";
import {
  call,
  dbClient,
  dropService,
  param,
  PASSWORD,
  prng,
  type Service,
  serviceEnv,
  sleep,
  spawnService,
  tenantDatabases,
  waitUntil,
} from "../support/service.ts";

type Role = "owner" | "admin" | "member";

interface MemberModel {
  userId: string;
  email: string;
  /** The states the membership may be in: a role, or absent. One state: certain. */
  states: Set<Role | "absent">;
}

interface OrgModel {
  id: string;
  ownerId: string;
  ownerEmail: string;
  token?: string;
  /** Names it may have (a rename whose answer was lost adds the new one). */
  names: Set<string>;
  exists: Set<"present" | "absent">;
  members: MemberModel[];
  busy: boolean;
  /** Acknowledged as deleted (204): must be gone, database included. */
  deleted: boolean;
  /** Whether its `notes` collection exists: known, or maybe (a create whose answer was lost). */
  notes: boolean;
  /** Ids of the documents whose insert was acknowledged (201). */
  documents: string[];
}

const CYCLES = param("CRASH_CYCLES", 20, 100);
const WORKERS = param("CRASH_WORKERS", 4, 6);
const SEED = param("CRASH_SEED", 20261125, 20261125);

const certain = <T>(s: Set<T>): T | undefined => s.size === 1 ? [...s][0] : undefined;

/** Thrown by a request when the service is gone: the outcome of that operation is unknown. */
class Lost extends Error {}

Deno.test("crash safety: SIGKILL at random moments loses no acknowledged operation", {
  ...dbTest,
}, async () => {
  console.log(
    `crash test: seed ${SEED}, ${CYCLES} kill cycles, ${WORKERS} workers ` +
      `(replay with CRASH_SEED=${SEED} CRASH_CYCLES=${CYCLES})`,
  );
  const rng = prng(SEED);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rng() * xs.length)];
  const env = serviceEnv({
    // Not 0: with the reconciler running every second, a grace of 0 also rolls back creates
    // that are still running in the live instance (they answer 503; tests/ops/provisioning.test.ts
    // races the two on purpose). Two seconds is far longer than a create takes here and far
    // shorter than the cycle.
    PROVISIONING_GRACE_SECONDS: String(param("CRASH_GRACE_SECONDS", 2, 2)),
    RECONCILE_INTERVAL_SECONDS: "1",
    ACCESS_TOKEN_TTL_SECONDS: "86400",
    // Every create comes from this one address, far more than an hour's default allowance.
    ORG_CREATE_LIMIT: "0",
    INVITATION_LIMIT: "0",
  });
  const client: MongoClient = dbClient();
  const master: Db = client.db(env.MASTER_DB);
  const orgs: OrgModel[] = [];
  const unexpected: string[] = [];
  const stats = {
    checks: 0,
    cycles: 0,
    acknowledged: 0,
    lost: 0,
    creates: 0,
    deletes: 0,
    documents: 0,
  };
  let counter = 0;
  let service: Service | undefined;

  /** Every invariant that does not hold now (empty: all hold). */
  async function violations(): Promise<string[]> {
    const out: string[] = [];
    const docs = await master.collection("orgs").find({}).toArray();
    const dbs = new Set(await tenantDatabases(client, env.TENANT_DB_PREFIX));
    const byId = new Map(docs.map((d) => [d._id.toHexString(), d]));
    const slugs = new Set<string>();
    for (const d of docs) {
      if (d.status !== "active") out.push(`org ${d._id} (${d.slug}) is ${d.status}`);
      if (!dbs.has(d.databaseName)) out.push(`org ${d._id} (${d.slug}) has no database`);
      if (slugs.has(d.slug)) out.push(`slug ${d.slug} is used twice`);
      slugs.add(d.slug);
      if (d.slug !== slugify(d.name)) out.push(`org ${d._id}: slug ${d.slug} for name ${d.name}`);
    }
    const pattern = new RegExp(`^${env.TENANT_DB_PREFIX}([0-9a-f]{24})$`);
    for (const name of dbs) {
      const m = pattern.exec(name);
      if (m && !byId.has(m[1])) out.push(`database ${name} has no org`);
    }
    const memberships = await master.collection("memberships").find({}).toArray();
    const roleOf = new Map(
      memberships.map((m) => [`${m.orgId.toHexString()}:${m.userId.toHexString()}`, m.role]),
    );
    const users = new Set(
      (await master.collection("users").find({}, { projection: { _id: 1 } }).toArray())
        .map((u) => u._id.toHexString()),
    );
    for (const m of memberships) {
      const [org, user] = [m.orgId.toHexString(), m.userId.toHexString()];
      if (!byId.has(org)) out.push(`membership of ${user} in ${org}, which has no org`);
      if (!users.has(user)) out.push(`membership of ${user} in ${org}, which has no user`);
    }
    for (const o of orgs) {
      const d = byId.get(o.id);
      const state = d ? "present" : "absent";
      if (!o.exists.has(state)) {
        out.push(`org ${o.id} is ${state}, expected ${[...o.exists]}`);
        continue;
      }
      if (o.deleted && dbs.has(`${env.TENANT_DB_PREFIX}${o.id}`)) {
        out.push(`deleted org ${o.id} still has its database`);
      }
      if (!d) continue;
      if (!o.names.has(d.name)) {
        out.push(`org ${o.id} is named ${d.name}, expected ${[...o.names]}`);
      }
      if (roleOf.get(`${o.id}:${o.ownerId}`) !== "owner") {
        out.push(`org ${o.id} has no owner membership for ${o.ownerId}`);
      }
      for (const m of o.members) {
        const s = roleOf.get(`${o.id}:${m.userId}`) ?? "absent";
        if (!m.states.has(s)) {
          out.push(`member ${m.userId} of ${o.id} is ${s}, expected ${[...m.states]}`);
        }
      }
      if (o.documents.length) {
        const ids = o.documents.map((id) => ObjectId.createFromHexString(id));
        const found = await client.db(d.databaseName).collection("notes")
          .countDocuments({ _id: { $in: ids } });
        if (found !== ids.length) {
          out.push(`org ${o.id} has ${found} of its ${ids.length} acknowledged documents`);
        }
      }
    }
    return out;
  }

  /** After a restart: wait for the reconciler, check, then adopt what the database shows. */
  async function checkAndSettle(label: string) {
    const deadline = Date.now() + 30_000;
    let found = await violations();
    while (found.length && Date.now() < deadline) {
      await sleep(200);
      found = await violations();
    }
    if (found.length) {
      throw new Error(
        `${label}: invariants do not hold (seed ${SEED}):\n  ${found.join("\n  ")}` +
          `\n--- service output ---\n${service?.output() ?? ""}`,
      );
    }
    // Everything is within what was allowed: collapse the uncertain states to what is there.
    const docs = new Map(
      (await master.collection("orgs").find({}).toArray()).map((d) => [d._id.toHexString(), d]),
    );
    for (const o of orgs) {
      const d = docs.get(o.id);
      o.exists = new Set([d ? "present" : "absent"]);
      if (d) o.names = new Set([d.name]);
      for (const m of o.members) {
        const row = d
          ? await master.collection("memberships").findOne({
            orgId: d._id,
            userId: ObjectId.createFromHexString(m.userId),
          })
          : null;
        m.states = new Set([row ? row.role as Role : "absent"]);
      }
    }
  }

  async function request(
    method: string,
    path: string,
    opts: { token?: string; body?: unknown } = {},
  ) {
    try {
      return await call(service!.url, method, path, { ...opts, timeoutMs: 30_000 });
    } catch (e) {
      if (killed) throw new Lost();
      throw e;
    }
  }
  const expect = (what: string, status: number, ok: number[], text: string) => {
    if (!ok.includes(status)) unexpected.push(`${what}: ${status} ${text.slice(0, 300)}`);
    return ok.includes(status);
  };
  const claimOf = (jwt: string) =>
    JSON.parse(atob(jwt.split(".")[1].replace(/-/g, "+").replace(/_/g, "/"))) as { sub: string };
  const slugOf = (o: OrgModel) => slugify(certain(o.names)!);

  async function ownerToken(o: OrgModel): Promise<string> {
    if (o.token) return o.token;
    const res = await request("POST", "/v1/auth/login", {
      body: { email: o.ownerEmail, password: PASSWORD, org: slugOf(o) },
    });
    if (!expect("login", res.status, [200], res.text)) {
      throw new Error(`login of ${o.ownerEmail} (seed ${SEED}): ${res.status} ${res.text}`);
    }
    o.token = (res.body as { accessToken: string }).accessToken;
    return o.token;
  }

  async function create() {
    const n = ++counter;
    const name = `Org ${n}`;
    const email = `owner${n}@example.com`;
    const res = await request("POST", "/v1/orgs", {
      body: { name, admin: { email, password: PASSWORD } },
    });
    // 503: the reconciler (grace 0) rolled it back before it finished; nothing was acknowledged.
    if (!expect("create", res.status, [201, 503], res.text) || res.status !== 201) return;
    const body = res.body as { org: { id: string }; admin: { id: string } };
    orgs.push({
      id: body.org.id,
      ownerId: body.admin.id,
      ownerEmail: email,
      names: new Set([name]),
      exists: new Set(["present"]),
      members: [],
      busy: false,
      deleted: false,
      notes: false,
      documents: [],
    });
    stats.creates++;
  }

  async function rename(o: OrgModel) {
    const token = await ownerToken(o);
    const name = `Org ${++counter} renamed`;
    const slug = slugOf(o);
    o.names.add(name);
    const res = await request("PATCH", `/v1/orgs/${slug}`, { token, body: { name } });
    if (expect("rename", res.status, [200], res.text)) o.names = new Set([name]);
  }

  async function remove(o: OrgModel) {
    const token = await ownerToken(o);
    o.exists.add("absent");
    const res = await request("DELETE", `/v1/orgs/${slugOf(o)}`, { token });
    if (expect("delete", res.status, [204], res.text)) {
      o.exists = new Set(["absent"]);
      o.deleted = true;
      stats.deletes++;
    }
  }

  async function inviteAndAccept(o: OrgModel) {
    const token = await ownerToken(o);
    const email = `member${++counter}@example.com`;
    const role: Role = rng() < 0.5 ? "admin" : "member";
    const inv = await request("POST", `/v1/orgs/${slugOf(o)}/invitations`, {
      token,
      body: { email, role },
    });
    if (!expect("invite", inv.status, [201], inv.text)) return;
    // If the answer to the accept is lost, the member may have joined; it is not tracked.
    const accepted = await request("POST", "/v1/invitations/accept", {
      body: { token: (inv.body as { token: string }).token, password: PASSWORD },
    });
    if (!expect("accept", accepted.status, [200], accepted.text)) return;
    const { sub } = claimOf((accepted.body as { accessToken: string }).accessToken);
    o.members.push({ userId: sub, email, states: new Set([role]) });
  }

  async function changeRole(o: OrgModel, m: MemberModel) {
    const token = await ownerToken(o);
    const from = certain(m.states) as Role;
    const to: Role = from === "admin" ? "member" : "admin";
    m.states.add(to);
    const res = await request("PATCH", `/v1/orgs/${slugOf(o)}/members/${m.userId}`, {
      token,
      body: { role: to },
    });
    if (expect("role change", res.status, [200], res.text)) m.states = new Set([to]);
  }

  async function removeMember(o: OrgModel, m: MemberModel) {
    const token = await ownerToken(o);
    m.states.add("absent");
    const res = await request("DELETE", `/v1/orgs/${slugOf(o)}/members/${m.userId}`, { token });
    if (expect("member removal", res.status, [204], res.text)) m.states = new Set(["absent"]);
  }

  async function writeDocuments(o: OrgModel) {
    const token = await ownerToken(o);
    const base = `/v1/orgs/${slugOf(o)}/collections`;
    if (!o.notes) {
      const res = await request("POST", base, { token, body: { name: "notes" } });
      // 409: created by a request whose answer a kill cut off.
      if (!expect("collection create", res.status, [201, 409], res.text)) return;
      o.notes = true;
    }
    const n = ++counter;
    if (rng() < 0.5) {
      const res = await request("POST", `${base}/notes/documents`, {
        token,
        body: { n, text: `note ${n}`, tags: ["crash"] },
      });
      if (expect("document insert", res.status, [201], res.text)) {
        o.documents.push((res.body as { _id: string })._id);
        stats.documents++;
      }
    } else {
      const documents = Array.from({ length: 20 }, (_, i) => ({ n, i }));
      const res = await request("POST", `${base}/notes/documents/batch`, {
        token,
        body: { documents },
      });
      if (expect("document batch", res.status, [201], res.text)) {
        o.documents.push(...(res.body as { insertedIds: string[] }).insertedIds);
        stats.documents += documents.length;
      }
    }
  }

  let killed = false;

  async function worker() {
    while (!killed) {
      const usable = orgs.filter((o) =>
        !o.busy && certain(o.exists) === "present" && certain(o.names) !== undefined
      );
      const r = rng();
      const o = usable.length ? pick(usable) : undefined;
      const op = !o || r < 0.3 ? "create" : pick([
        "rename",
        "delete",
        "invite",
        "invite",
        "role",
        "remove",
        "documents",
        "documents",
      ]);
      if (o) o.busy = true;
      try {
        if (op === "create" || !o) await create();
        else if (op === "rename") await rename(o);
        else if (op === "delete") await remove(o);
        else if (op === "invite") await inviteAndAccept(o);
        else if (op === "documents") await writeDocuments(o);
        else {
          const members = o.members.filter((m) => {
            const s = certain(m.states);
            return s === "admin" || s === "member";
          });
          if (!members.length) await inviteAndAccept(o);
          else if (op === "role") await changeRole(o, pick(members));
          else await removeMember(o, pick(members));
        }
        stats.acknowledged++;
      } catch (e) {
        if (!(e instanceof Lost)) throw e;
        stats.lost++;
        return;
      } finally {
        if (o) o.busy = false;
      }
    }
  }

  try {
    for (let cycle = 0; cycle <= CYCLES; cycle++) {
      service = await spawnService(env);
      // Mostly check once the reconciler is done; sometimes drive (and kill) at once, so that
      // kills also land in the middle of the start-up reconciliation.
      if (cycle === 0 || cycle === CYCLES || rng() < 0.75) {
        await checkAndSettle(`after restart ${cycle}`);
        stats.checks++;
      }
      if (cycle === CYCLES) break;
      killed = false;
      const delay = 50 + Math.floor(rng() * 1500);
      const workers = Array.from({ length: WORKERS }, () => worker());
      await sleep(delay);
      killed = true;
      service.kill("SIGKILL");
      await service.exited;
      await Promise.all(workers);
      stats.cycles++;
    }
    assert(unexpected.length === 0, `unexpected answers (seed ${SEED}):\n${unexpected.join("\n")}`);
    const status = await service!.stop();
    assert(status.code === 0, `the last instance exited with ${status.code}`);
    const live = orgs.filter((o) => certain(o.exists) === "present").length;
    console.log(
      `crash test: survived ${stats.cycles} SIGKILLs (${stats.checks} full checks); ` +
        `${stats.acknowledged} operations ` +
        `acknowledged, ${stats.lost} cut off by a kill; ${stats.creates} orgs created and ` +
        `${stats.deletes} deleted with acknowledgement, ${live} live at the end; ` +
        `${stats.documents} documents inserted with acknowledgement; nothing lost`,
    );
  } finally {
    if (service) {
      service.kill("SIGKILL");
      await service.exited;
    }
    await dropService(client, env);
    await client.close();
  }
});

const MAIL_CYCLES = param("CRASH_MAIL_CYCLES", 8, 40);

Deno.test(
  "crash safety: every mail queued in the outbox arrives despite SIGKILLs while sending, twice only across a kill",
  {
    ...dbTest,
  },
  async () => {
    const rng = prng(SEED);
    await using smtp = await startSmtpServer();
    // Each message is in flight for a while, so that kills land in the middle of conversations.
    smtp.delayMs = 20;
    const env = serviceEnv({
      SMTP_URL: smtp.url,
      MAIL_FROM: "Org Service <noreply@orgs.example.com>",
      PUBLIC_URL: "https://orgs.example.com",
      // A killed instance's claims are due again after this: short, so the test stays short.
      OUTBOX_LEASE_SECONDS: "2",
    });
    const client: MongoClient = dbClient();
    const master: Db = client.db(env.MASTER_DB);
    const outbox = master.collection("outbox");
    /** Acknowledged (queueMail resolved): n → its address. */
    const queued = new Map<number, string>();
    let counter = 0;
    let kills = 0;
    let service: Service | undefined;
    console.log(
      `mail crash test: seed ${SEED}, ${MAIL_CYCLES} kill cycles ` +
        `(replay with CRASH_SEED=${SEED} CRASH_MAIL_CYCLES=${MAIL_CYCLES})`,
    );
    const queueOne = async (n: number) => {
      const to = `m${n}@example.com`;
      await queueMail(master, {
        key: `crash:${n}`,
        to,
        template: "email_verification",
        vars: { token: `token-${n}-${crypto.randomUUID()}`, orgName: "Crash Co" },
      });
      queued.set(n, to);
    };
    try {
      for (let cycle = 0; cycle <= MAIL_CYCLES; cycle++) {
        service = await spawnService(env);
        if (cycle === MAIL_CYCLES) break;
        // Queue while the service sends; queue some keys again (nothing is queued twice).
        const until = Date.now() + 100 + Math.floor(rng() * 1400);
        while (Date.now() < until) {
          const n = queued.size && rng() < 0.1 ? 1 + Math.floor(rng() * counter) : ++counter;
          await queueOne(n);
          await sleep(Math.floor(rng() * 30));
        }
        service.kill("SIGKILL");
        await service.exited;
        kills++;
      }
      // The last instance delivers the rest: items held by the last killed one after their lease.
      await waitUntil(
        async () => await outbox.countDocuments({ status: "sent" }) === queued.size,
        `all ${queued.size} queued mails recorded sent`,
        { timeoutMs: 60_000 },
      );
      const status = await service!.stop();
      assert(status.code === 0, `the last instance exited with ${status.code}`);

      const items = await outbox.find({}).toArray();
      assertEquals(items.length, queued.size, "one item per key");
      assertEquals(items.filter((i) => i.status !== "sent").length, 0, "none failed");
      assertEquals(items.filter((i) => i.secret !== undefined).length, 0, "no token kept");
      const arrived = new Map<string, number>();
      for (const r of smtp.received) {
        for (const to of r.envelopeTo) arrived.set(to, (arrived.get(to) ?? 0) + 1);
      }
      const missing = [...queued.values()].filter((to) => !arrived.has(to));
      assertEquals(missing, [], "every acknowledged mail arrived");
      const attemptsOf = new Map(items.map((i) => [i.key as string, i.attempts as number]));
      const twice = [...queued].filter(([, to]) => (arrived.get(to) ?? 0) > 1);
      for (const [n, to] of twice) {
        // A second delivery needs a second claim: the first holder was killed after the server
        // took the message and before `sent` was recorded.
        const attempts = attemptsOf.get(`mail:crash:${n}`) ?? 0;
        assert(attempts >= 2, `${to} arrived ${arrived.get(to)} times after ${attempts} claim(s)`);
        assert(arrived.get(to)! <= attempts, `${to} arrived more often than it was claimed`);
      }
      // Each kill can cut at most the sends under way in that instance.
      assert(
        twice.length <= kills * DEFAULT_SENDER_OPTIONS.concurrency,
        `${twice.length} mails arrived twice over ${kills} kills`,
      );
      console.log(
        `mail crash test: ${queued.size} mails queued, ${smtp.received.length} deliveries over ` +
          `${kills} SIGKILLs; every one arrived, ${twice.length} twice (a kill between the ` +
          `server's acceptance and the "sent" record), none lost`,
      );
    } finally {
      if (service) {
        service.kill("SIGKILL");
        await service.exited;
      }
      await dropService(client, env);
      await client.close();
    }
  },
);

/** A hook that holds provisioning after `step` until released (a slow instance, not a dead one). */
function holdAfter(step: ProvisioningStep) {
  const reached = Promise.withResolvers<void>();
  const released = Promise.withResolvers<void>();
  return {
    hook: (s: ProvisioningStep) => s === step ? (reached.resolve(), released.promise) : undefined,
    reached: reached.promise,
    release: () => released.resolve(),
  };
}

const everything = async (app: TestApp) => ({
  orgs: await app.deps.db.master.collection("orgs").countDocuments({}),
  users: await app.deps.db.master.collection("users").countDocuments({}),
  memberships: await app.deps.db.master.collection("memberships").countDocuments({}),
  databases: (await app.tenantDatabases()).length,
});

Deno.test(
  "regression: a provisioning rolled back while still running answers 503 and leaves nothing",
  dbTest,
  async () => {
    const hold = holdAfter("database");
    await using slow = await createTestApp({ hooks: { afterProvisioningStep: hold.hook } });
    // Another instance whose reconciler (grace 0) judges the provisioning stuck.
    await using other = await createTestApp({ sameDatabaseAs: slow });
    const creating = slow.request(
      "/v1/orgs",
      json({ name: "Slow Co", admin: { email: "slow@example.com", password: PASSWORD } }),
    );
    await hold.reached;
    assertEquals((await reconcileOrgs(other.deps)).rolledBack, 1);
    hold.release(); // the slow instance goes on: user, membership, then `active` fails
    const res = await creating;
    await assertProblem(res, 503, "unavailable");
    assertEquals(await everything(other), { orgs: 0, users: 0, memberships: 0, databases: 0 });
  },
);

Deno.test(
  "regression: a rollback of a provisioning that has meanwhile finished changes nothing",
  dbTest,
  async () => {
    const hold = holdAfter("owner");
    await using app = await createTestApp({ hooks: { afterProvisioningStep: hold.hook } });
    const creating = app.request(
      "/v1/orgs",
      json({ name: "Quick Co", admin: { email: "quick@example.com", password: PASSWORD } }),
    );
    await hold.reached;
    // What a reconciler read while the org was still provisioning...
    const stale = await findOrgBySlug(app.deps.db.master, "quick-co");
    assertEquals(stale?.status, "provisioning");
    hold.release();
    assertEquals((await creating).status, 201);
    // ...and acts on after the org became active.
    await rollbackProvisioning(app.deps, stale!);
    assertEquals(await everything(app), { orgs: 1, users: 1, memberships: 1, databases: 1 });
    assertEquals((await findOrgBySlug(app.deps.db.master, "quick-co"))?.status, "active");
    const login = await app.request(
      "/v1/auth/login",
      json({ email: "quick@example.com", password: PASSWORD }),
    );
    assertEquals(login.status, 200);
  },
);
