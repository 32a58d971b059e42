/**
 * Support for the reliability and security suite: the service as a child process or over real
 * HTTP in-process, a seeded PRNG, bounded waits, size parameters that `deno task soak` raises,
 * and direct database checks.
 */
import { MongoClient } from "mongodb";
import { freePort } from "../../src/platform/embedded/ferretdb.ts";
import { mongoUri, PASSWORD, SECRET } from "./app.ts";

export { PASSWORD, SECRET };
export { ROOT, type Service, spawnService } from "../../tools/lib/spawn.ts";
export { sleep, waitUntil } from "../../tools/lib/wait.ts";

/** `deno task soak` sets SOAK=1: every size parameter takes its soak default. */
export const SOAK = Deno.env.get("SOAK") === "1";

/** A size parameter: the env var if set, else the CI or the soak default. */
export function param(name: string, ci: number, soak: number): number {
  const raw = Deno.env.get(name);
  if (raw !== undefined && raw !== "") {
    const n = Number(raw);
    if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number`);
    return n;
  }
  return SOAK ? soak : ci;
}

/** mulberry32: a small seeded PRNG, so a failing run can be replayed from its printed seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const rand = () => crypto.randomUUID().replaceAll("-", "").slice(0, 10);

/** The environment of a service process over the test server, with its own databases. */
export function serviceEnv(overrides: Record<string, string> = {}): Record<string, string> {
  const id = rand();
  return {
    MONGO_URI: mongoUri(),
    MASTER_DB: `res_${id}`,
    TENANT_DB_PREFIX: `r${id}_`,
    JWT_SECRET: SECRET,
    BCRYPT_COST: "4",
    HASH_WORKERS: "2",
    LOG_LEVEL: "warn",
    HOST: "127.0.0.1",
    ...overrides,
  };
}

/** Serve a Hono app (or anything with `fetch`) over real HTTP on a free loopback port. */
export function serveApp(
  app: { fetch: (req: Request, info: Deno.ServeHandlerInfo) => Response | Promise<Response> },
) {
  const port = freePort();
  const server = Deno.serve(
    { port, hostname: "127.0.0.1", onListen() {} },
    (req, info) => app.fetch(req, info),
  );
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    shutdown: () => server.shutdown(),
    /** `await using`: shut the server down at the end of the scope. */
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

export interface Answer {
  status: number;
  headers: Headers;
  body: unknown;
  text: string;
  ms: number;
}

/** One HTTP request with a JSON body and bearer token; the body is read and parsed if JSON. */
export async function call(
  base: string,
  method: string,
  path: string,
  opts: { token?: string; body?: unknown; timeoutMs?: number; headers?: Record<string, string> } =
    {},
): Promise<Answer> {
  const started = performance.now();
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.Authorization = `Bearer ${opts.token}`;
  if (opts.body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch(`${base}${path}`, {
    method,
    headers,
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    signal: AbortSignal.timeout(opts.timeoutMs ?? 30_000),
  });
  const text = await res.text();
  let body: unknown = undefined;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch { /* not JSON */ }
  return { status: res.status, headers: res.headers, body, text, ms: performance.now() - started };
}

/** A driver connection to the test server, for checks made directly in the database. */
export function dbClient(uri = mongoUri()): MongoClient {
  return new MongoClient(uri, { serverSelectionTimeoutMS: 10_000 });
}

/** Tenant databases with `prefix` on the server. */
export async function tenantDatabases(client: MongoClient, prefix: string): Promise<string[]> {
  const { databases } = await client.db("admin").admin().listDatabases({ nameOnly: true });
  return databases.map((d) => d.name).filter((n) => n.startsWith(prefix));
}

/** Drop a service's master database and tenant databases. */
export async function dropService(client: MongoClient, env: Record<string, string>) {
  for (const name of await tenantDatabases(client, env.TENANT_DB_PREFIX)) {
    await client.db(name).dropDatabase();
  }
  await client.db(env.MASTER_DB).dropDatabase();
}

/** Create an org over HTTP and sign its owner in; throws on any unexpected status. */
export async function createOrgOverHttp(base: string, name: string, email: string) {
  const created = await call(base, "POST", "/v1/orgs", {
    body: { name, admin: { email, password: PASSWORD } },
  });
  if (created.status !== 201) throw new Error(`create ${name}: ${created.status} ${created.text}`);
  const { org, admin } = created.body as {
    org: { id: string; slug: string; name: string };
    admin: { id: string };
  };
  const login = await call(base, "POST", "/v1/auth/login", {
    body: { email, password: PASSWORD, org: org.slug },
  });
  if (login.status !== 200) throw new Error(`login ${email}: ${login.status} ${login.text}`);
  const pair = login.body as { accessToken: string; refreshToken: string };
  return { org, admin, email, token: pair.accessToken, refreshToken: pair.refreshToken };
}
