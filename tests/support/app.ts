/** Test support: an app over the real database (MONGO_URI, set by tests/run.ts), per test isolated. */
import { createApp } from "../../src/app.ts";
import { createClient } from "../../src/client.ts";
import { type Config, loadConfig } from "../../src/platform/config.ts";
import type { Hooks } from "../../src/platform/deps.ts";
import type { Hasher } from "../../src/platform/hasher.ts";
import { createLogger } from "../../src/platform/log.ts";
import { closeDeps, createDeps, ensureMasterIndexes } from "../../src/bootstrap.ts";

export const PASSWORD = "correct horse battery staple";
export const SECRET = "test-secret-that-is-long-enough-0123456789";

export function mongoUri(): string {
  const uri = Deno.env.get("MONGO_URI");
  if (!uri) throw new Error("MONGO_URI is not set: run the tests with `deno task test`");
  return uri;
}

const rand = () => crypto.randomUUID().replaceAll("-", "").slice(0, 10);

export interface TestAppOptions {
  env?: Record<string, string>;
  hooks?: Hooks;
  hasher?: Hasher;
  /** Share another test app's master database and tenant prefix (a second instance). */
  sameDatabaseAs?: TestApp;
  uri?: string;
  now?: () => Date;
}

export type TestApp = Awaited<ReturnType<typeof createTestApp>>;

/** An app with its own master database and tenant prefix on the shared test server. */
export async function createTestApp(opts: TestAppOptions = {}) {
  const id = rand();
  const config: Config = loadConfig({
    MASTER_DB: opts.sameDatabaseAs?.config.masterDb ?? `test_${id}`,
    TENANT_DB_PREFIX: opts.sameDatabaseAs?.config.tenantDbPrefix ?? `t${id}_`,
    JWT_SECRET: SECRET,
    BCRYPT_COST: "4",
    HASH_WORKERS: "2",
    LOG_LEVEL: "info",
    PROVISIONING_GRACE_SECONDS: "0",
    ...opts.env,
  });
  const logs: string[] = [];
  const log = createLogger(config.logLevel, (line) => logs.push(line));
  const deps = createDeps({
    config,
    uri: opts.uri ?? mongoUri(),
    log,
    hooks: opts.hooks,
    hasher: opts.hasher,
    now: opts.now,
  });
  await ensureMasterIndexes(deps.db, log);
  const app = createApp(deps);
  const fetch = (input: RequestInfo | URL, init?: RequestInit) =>
    Promise.resolve(app.request(input, init));
  return {
    app,
    deps,
    config,
    logs,
    /** The typed client over the app, optionally with a bearer token. */
    client: (token?: string) => createClient("http://localhost", { token, fetch }),
    /** A raw request (for what the typed client cannot send: bad JSON, wrong types). */
    request: (path: string, init?: RequestInit) => Promise.resolve(app.request(path, init)),
    /** Tenant database names of this app's prefix that exist on the server. */
    async tenantDatabases(): Promise<string[]> {
      const { databases } = await deps.db.clients.default.db("admin").admin().listDatabases({
        nameOnly: true,
      });
      return databases.map((d) => d.name).filter((n) => n.startsWith(config.tenantDbPrefix));
    },
    async close(opts: { drop?: boolean } = { drop: true }) {
      if (opts.drop) {
        for (const name of await this.tenantDatabases()) {
          await deps.db.clients.default.db(name).dropDatabase();
        }
        await deps.db.master.dropDatabase();
      }
      await closeDeps(deps);
    },
    /**
     * `await using app = await createTestApp()` closes it at the end of the scope, and drops its
     * databases unless it shares them (`sameDatabaseAs`: the first app drops them).
     */
    async [Symbol.asyncDispose]() {
      await this.close({ drop: !opts.sameDatabaseAs });
    },
  };
}

/** Create an org through the API; returns its slug, id and an owner token. */
export async function createOrgAndLogin(
  t: TestApp,
  name: string,
  email = `${rand()}@example.com`,
) {
  const created = await t.client().v1.orgs.$post({
    json: { name, admin: { email, password: PASSWORD } },
  });
  if (created.status !== 201) {
    throw new Error(`create failed: ${created.status} ${await created.text()}`);
  }
  const { org, admin } = await created.json();
  if (!admin) throw new Error("create answered no owner");
  const login = await t.client().v1.auth.login.$post({
    json: { email, password: PASSWORD, org: org.slug },
  });
  if (login.status !== 200) throw new Error(`login failed: ${login.status}`);
  const tokens = await login.json();
  return { org, admin, email, token: tokens.accessToken, refreshToken: tokens.refreshToken };
}

/**
 * Create another org as a signed-in user (POST /v1/orgs with their token, `{ name }` alone) and
 * switch to it; returns the org and a token pair scoped to it.
 */
export async function createOrgSignedIn(t: TestApp, token: string, name: string) {
  const created = await t.client(token).v1.orgs.$post({ json: { name } });
  if (created.status !== 201) {
    throw new Error(`create failed: ${created.status} ${await created.text()}`);
  }
  const { org } = await created.json();
  const switched = await t.client(token).v1.auth.switch.$post({ json: { org: org.slug } });
  if (switched.status !== 200) throw new Error(`switch failed: ${switched.status}`);
  const pair = await switched.json();
  return { org, token: pair.accessToken, refreshToken: pair.refreshToken };
}

/** A raw request from the client address `ip` (as the server sees the connection's peer). */
export function requestFrom(t: TestApp, ip: string, path: string, init?: RequestInit) {
  return Promise.resolve(t.app.request(path, init, { remoteAddr: { hostname: ip } }));
}

/** An Authorization header with `token` as its bearer token. */
export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

export const json = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: "POST",
  headers: { "Content-Type": "application/json", ...headers },
  body: JSON.stringify(body),
});

/** Deno.test options for database tests: the driver keeps pooled sockets and timers open. */
export const dbTest = { sanitizeOps: false, sanitizeResources: false };

/** Invite `email` into the org of `ownerToken` with `role`, accept, and return the member's tokens. */
export async function addMember(
  t: TestApp,
  ownerToken: string,
  slug: string,
  role: "owner" | "admin" | "member",
  email = `${rand()}@example.com`,
) {
  const inv = await t.client(ownerToken).v1.orgs[":slug"].invitations.$post({
    param: { slug },
    json: { email, role },
  });
  if (inv.status !== 201) throw new Error(`invite failed: ${inv.status} ${await inv.text()}`);
  const { token } = await inv.json();
  const accepted = await t.client().v1.invitations.accept.$post({
    json: { token, password: PASSWORD },
  });
  if (accepted.status !== 200) {
    throw new Error(`accept failed: ${accepted.status} ${await accepted.text()}`);
  }
  const pair = await accepted.json();
  const me = await t.client(pair.accessToken).v1.me.$get();
  if (me.status !== 200) throw new Error(`me failed: ${me.status}`);
  const { user } = await me.json();
  return { email, userId: user.id, token: pair.accessToken, refreshToken: pair.refreshToken };
}
