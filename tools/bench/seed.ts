/**
 * Seeding: a few orgs and users through the HTTP API, and many orgs at once straight into the
 * master database, shaped like the documents src/tenants/orgs.ts, src/identity/users.ts and
 * src/identity/memberships.ts write (the service would spend a bcrypt hash on each).
 */
import { type Db, type MongoClient, ObjectId } from "mongodb";
import type { Config } from "../../src/platform/config.ts";
import { DEFAULT_CLUSTER } from "../../src/platform/db.ts";
import { createHasher } from "../../src/platform/hasher.ts";
import { LATEST_SCHEMA_VERSION, migrateTenant } from "../../src/tenants/migrations/mod.ts";
import { round1 } from "./measure.ts";

export interface ApiAnswer {
  status: number;
  // deno-lint-ignore no-explicit-any
  body: any;
}

export async function api(
  base: string,
  method: string,
  path: string,
  opts: { body?: unknown; token?: string } = {},
): Promise<ApiAnswer> {
  const headers: Record<string, string> = {};
  if (opts.body !== undefined) headers["Content-Type"] = "application/json";
  if (opts.token) headers.Authorization = `Bearer ${opts.token}`;
  const res = await fetch(`${base}${path}`, {
    method,
    headers,
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch { /* not JSON */ }
  return { status: res.status, body };
}

/** Call the API and insist on `expected`, or throw with what came back. */
export async function expectApi(
  expected: number,
  base: string,
  method: string,
  path: string,
  opts: { body?: unknown; token?: string } = {},
): Promise<ApiAnswer> {
  const r = await api(base, method, path, opts);
  if (r.status !== expected) {
    throw new Error(
      `${method} ${path}: expected ${expected}, got ${r.status} ${JSON.stringify(r.body)}`,
    );
  }
  return r;
}

export interface Account {
  name: string;
  slug: string;
  email: string;
  password: string;
}

/** A strong random password: the service refuses weak ones. */
export const randomPassword = () => `bench-${crypto.randomUUID()}`;

/** Create an org with its owner through `POST /v1/orgs`. */
export async function createAccount(base: string, name: string): Promise<Account> {
  const email = `${name.toLowerCase().replace(/[^a-z0-9]+/g, "-")}@bench.example`;
  const password = randomPassword();
  const r = await expectApi(201, base, "POST", "/v1/orgs", {
    body: { name, admin: { email, password } },
  });
  return { name, slug: r.body.org.slug, email, password };
}

export async function login(base: string, a: Account): Promise<string> {
  const r = await expectApi(200, base, "POST", "/v1/auth/login", {
    body: { email: a.email, password: a.password },
  });
  return r.body.accessToken;
}

export interface BulkSeed {
  master: Db;
  /** Resolve a tenant database by name. */
  tenantDb(name: string): Db;
  tenantDbPrefix: string;
  /** One bcrypt hash (of the service's cost) shared by every seeded user. */
  passwordHash: string;
  /** Create each org's tenant database too (made by the service's own migrations). */
  withTenantDbs: boolean;
}

/**
 * Insert `count` active orgs numbered from `from`, each with its owner and membership, and
 * (optionally) its tenant database made by the service's own migrations. Org documents go
 * first: the reconciler drops any tenant database that no org owns.
 */
export async function seedOrgs(s: BulkSeed, from: number, count: number): Promise<void> {
  const now = new Date();
  const made: { name: string; orgId: string }[] = [];
  for (let start = from; start < from + count; start += 1000) {
    const orgs = [];
    const users = [];
    const memberships = [];
    for (let n = start; n < Math.min(start + 1000, from + count); n++) {
      const orgId = new ObjectId();
      const userId = new ObjectId();
      const tag = String(n).padStart(6, "0");
      const databaseName = `${s.tenantDbPrefix}${orgId.toHexString()}`;
      made.push({ name: databaseName, orgId: orgId.toHexString() });
      orgs.push({
        _id: orgId,
        slug: `seed-${tag}`,
        name: `Seed ${tag}`,
        status: "active",
        cluster: DEFAULT_CLUSTER,
        databaseName,
        schemaVersion: LATEST_SCHEMA_VERSION,
        ownerId: userId,
        createdAt: now,
        updatedAt: now,
      });
      users.push({
        _id: userId,
        email: `seed-${tag}@bench.example`,
        passwordHash: s.passwordHash,
        createdAt: now,
        updatedAt: now,
      });
      memberships.push({ _id: new ObjectId(), userId, orgId, role: "owner", joinedAt: now });
    }
    await s.master.collection("orgs").insertMany(orgs, { ordered: false });
    await s.master.collection("users").insertMany(users, { ordered: false });
    await s.master.collection("memberships").insertMany(memberships, { ordered: false });
  }
  if (!s.withTenantDbs) return;
  let next = 0;
  const worker = async () => {
    while (next < made.length) {
      const { name, orgId } = made[next++];
      await migrateTenant(s.tenantDb(name), { master: s.master.databaseName, orgId });
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
}

/** Bulk seeding into the databases `client` reaches, as the service configured by `config` names them. */
export async function bulkSeed(
  client: MongoClient,
  config: Config,
  withTenantDbs: boolean,
): Promise<BulkSeed> {
  return {
    master: client.db(config.masterDb),
    tenantDb: (name) => client.db(name),
    tenantDbPrefix: config.tenantDbPrefix,
    passwordHash: await seededPasswordHash(config.bcryptCost),
    withTenantDbs,
  };
}

/**
 * Seed orgs until the master database holds `level` (orgs made otherwise count too). Seeded orgs
 * are numbered from 0 without gaps (`seed-000000`, ...), whichever scenario seeded them, so the
 * numbering goes on from the seeded orgs already there. Returns how many seeded orgs exist now
 * (`seed-0…` up to that number minus one can be looked up) and the seconds it took.
 */
export async function seedUpTo(
  s: BulkSeed,
  level: number,
): Promise<{ seeded: number; seconds: number }> {
  const t0 = performance.now();
  const orgs = s.master.collection("orgs");
  let seeded = await orgs.countDocuments({ slug: { $gte: "seed-", $lt: "seed." } });
  const missing = level - await orgs.countDocuments();
  if (missing > 0) {
    await seedOrgs(s, seeded, missing);
    seeded += missing;
  }
  return { seeded, seconds: round1((performance.now() - t0) / 1000) };
}

/**
 * Creates one org (with a new owner) through `POST /v1/orgs` per call and answers its time in
 * ms; names are `${prefix} New ${n}`, emails `${prefix}-new-${n}@bench.example` in lower case.
 */
export function orgCreator(base: string, prefix: string): () => Promise<number> {
  let created = 0;
  return async () => {
    const n = ++created;
    const t0 = performance.now();
    await expectApi(201, base, "POST", "/v1/orgs", {
      body: {
        name: `${prefix} New ${n}`,
        admin: {
          email: `${prefix.toLowerCase()}-new-${n}@bench.example`,
          password: randomPassword(),
        },
      },
    });
    return performance.now() - t0;
  };
}

/** One bcrypt hash at the service's `cost` for every seeded user: none of them can sign in. */
export async function seededPasswordHash(cost: number): Promise<string> {
  const hasher = createHasher({ cost, workers: 1 });
  try {
    return await hasher.hash("seeded-users-cannot-sign-in-" + crypto.randomUUID());
  } finally {
    hasher.close();
  }
}
