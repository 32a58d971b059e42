/**
 * Load: 200 concurrent clients for LOAD_SECONDS (60 in CI) against the service as a child
 * process, over real HTTP, mixing reads (org, /v1/me, members) and writes (invitations, renames,
 * role changes) across 50 orgs. No 5xx, no status other than the expected one, and afterwards
 * the database holds exactly the acknowledged writes: each org's last acknowledged name, each
 * member's last acknowledged role, as many pending invitations as invitations answered 201.
 *
 * Writes to one thing come from one client at a time (a rename of org i only from client i), so
 * "the last acknowledged" is well defined without relying on timing.
 */
import { ObjectId } from "mongodb";
import { slugify } from "../../src/tenants/names.ts";
import { assert, assertEquals } from "../support/assert.ts";
import { dbTest } from "../support/app.ts";
import {
  call,
  createOrgOverHttp,
  dbClient,
  dropService,
  param,
  PASSWORD,
  prng,
  serviceEnv,
  spawnService,
} from "../support/service.ts";

const SECONDS = param("LOAD_SECONDS", 60, 300);
const CLIENTS = param("LOAD_CLIENTS", 200, 200);
const ORGS = param("LOAD_ORGS", 50, 50);

type Role = "admin" | "member";

interface OrgState {
  id: string;
  slug: string;
  token: string;
  /** The last acknowledged name. */
  name: string;
  members: { userId: string; role: Role }[];
  invited: number;
}

/** Run `fn` over `items` with at most `n` at a time. */
async function pool<T>(items: T[], n: number, fn: (t: T, i: number) => Promise<void>) {
  let next = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i], i);
    }
  }));
}

/** Another spelling of `name` with the same slug (letter case and separators vary). */
function respell(name: string, rng: () => number): string {
  const seps = [" ", "-", "_", ".", "  "];
  return name.split(" ").map((word) =>
    [...word].map((ch) => rng() < 0.5 ? ch.toUpperCase() : ch.toLowerCase()).join("")
  ).reduce((acc, w) => acc + seps[Math.floor(rng() * seps.length)] + w);
}

Deno.test(`load: ${CLIENTS} clients for ${SECONDS} s lose no write and answer no 5xx`, {
  ...dbTest,
}, async () => {
  // The seed creates ORGS orgs from this one address.
  const env = serviceEnv({
    LOG_LEVEL: "warn",
    // Orgs and invitations in bulk, from one address: no creation limits.
    ORG_CREATE_LIMIT: "0",
    INVITATION_LIMIT: "0",
  });
  const service = await spawnService(env);
  const mongo = dbClient();
  const orgs: OrgState[] = [];
  try {
    // Seed: ORGS orgs, each with its owner and two members (one admin, one member).
    await pool(Array.from({ length: ORGS }, (_, i) => i), 8, async (i) => {
      const name = `Load Org ${String(i).padStart(2, "0")}`;
      const o = await createOrgOverHttp(service.url, name, `load-owner${i}@example.com`);
      const state: OrgState = {
        id: o.org.id,
        slug: o.org.slug,
        token: o.token,
        name,
        members: [],
        invited: 0,
      };
      for (const role of ["admin", "member"] as Role[]) {
        const inv = await call(service.url, "POST", `/v1/orgs/${o.org.slug}/invitations`, {
          token: o.token,
          body: { email: `load-${role}${i}@example.com`, role },
        });
        assertEquals(inv.status, 201, inv.text);
        const acc = await call(service.url, "POST", "/v1/invitations/accept", {
          body: { token: (inv.body as { token: string }).token, password: PASSWORD },
        });
        assertEquals(acc.status, 200, acc.text);
        const jwt = (acc.body as { accessToken: string }).accessToken;
        const sub = JSON.parse(atob(jwt.split(".")[1].replace(/-/g, "+").replace(/_/g, "/"))).sub;
        state.members.push({ userId: sub, role });
      }
      orgs[i] = state;
    });

    const counts = new Map<string, number>();
    const unexpected: string[] = [];
    let total = 0;
    let writes = 0;
    const deadline = Date.now() + SECONDS * 1000;

    const client = async (c: number) => {
      const rng = prng(1000 + c);
      const org = orgs[c % ORGS];
      const job = Math.floor(c / ORGS) % 4; // 0 renames, 1 and 2 change a role, 3 invites
      let k = 0;
      const send = async (what: string, expected: number, method: string, path: string, opts: {
        body?: unknown;
      } = {}) => {
        total++;
        try {
          const res = await call(service.url, method, path, {
            ...opts,
            token: org.token,
            timeoutMs: 30_000,
          });
          const key = `${what} ${res.status}`;
          counts.set(key, (counts.get(key) ?? 0) + 1);
          if (res.status !== expected) unexpected.push(`${key}: ${res.text.slice(0, 200)}`);
          return res.status === expected ? res : undefined;
        } catch (e) {
          unexpected.push(`${what}: no answer: ${e}`);
          return undefined;
        }
      };
      while (Date.now() < deadline) {
        const r = rng();
        if (r < 0.25) {
          writes++;
          if (job === 0) {
            const name = respell(`Load Org ${String(c % ORGS).padStart(2, "0")}`, rng);
            if (await send("rename", 200, "PATCH", `/v1/orgs/${org.slug}`, { body: { name } })) {
              org.name = name;
            }
          } else if (job === 1 || job === 2) {
            const m = org.members[job - 1];
            const role: Role = m.role === "admin" ? "member" : "admin";
            const path = `/v1/orgs/${org.slug}/members/${m.userId}`;
            if (await send("role", 200, "PATCH", path, { body: { role } })) m.role = role;
          } else {
            const email = `inv-${c}-${++k}@example.com`;
            const path = `/v1/orgs/${org.slug}/invitations`;
            const role = rng() < 0.5 ? "admin" : "member";
            if (await send("invite", 201, "POST", path, { body: { email, role } })) org.invited++;
          }
        } else if (r < 0.5) {
          await send("get org", 200, "GET", `/v1/orgs/${org.slug}`);
        } else if (r < 0.75) {
          await send("me", 200, "GET", "/v1/me");
        } else {
          await send("members", 200, "GET", `/v1/orgs/${org.slug}/members`);
        }
      }
    };
    const started = Date.now();
    await Promise.all(Array.from({ length: CLIENTS }, (_, c) => client(c)));
    const elapsed = (Date.now() - started) / 1000;

    assertEquals(unexpected.slice(0, 20), [], `unexpected answers (${unexpected.length} in all)`);
    const fiveXX = [...counts].filter(([k]) => / 5\d\d$/.test(k));
    assertEquals(fiveXX, [], "no 5xx");

    // The database holds exactly the acknowledged writes.
    const master = mongo.db(env.MASTER_DB);
    for (const org of orgs) {
      const doc = await master.collection("orgs").findOne({ _id: new ObjectId(org.id) });
      assertEquals(doc?.name, org.name, `the last acknowledged name of ${org.slug}`);
      assertEquals(doc?.slug, slugify(org.name));
      for (const m of org.members) {
        const row = await master.collection("memberships").findOne({
          orgId: new ObjectId(org.id),
          userId: new ObjectId(m.userId),
        });
        assertEquals(row?.role, m.role, `the last acknowledged role of ${m.userId}`);
      }
      const pending = await master.collection("invitations").countDocuments({
        orgId: new ObjectId(org.id),
        acceptedAt: null,
        revokedAt: null,
      });
      assertEquals(pending, org.invited, `pending invitations of ${org.slug}`);
      assertEquals(
        await master.collection("memberships").countDocuments({ orgId: new ObjectId(org.id) }),
        3,
      );
    }
    assert(total > CLIENTS, "the clients did run");
    const summary = [...counts].sort().map(([k, v]) => `${k}: ${v}`).join(", ");
    console.log(
      `load test: ${CLIENTS} clients, ${elapsed.toFixed(0)} s, ${total} requests ` +
        `(${(total / elapsed).toFixed(0)}/s), ${writes} writes, 0 errors; ${summary}; ` +
        `database matches every acknowledged write`,
    );
    const status = await service.stop();
    assertEquals(status.code, 0);
  } finally {
    service.kill("SIGKILL");
    await service.exited;
    await dropService(mongo, env);
    await mongo.close();
  }
});
