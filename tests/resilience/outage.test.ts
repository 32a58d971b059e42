/**
 * Database outage: the service (a child process) runs under load on a dedicated FerretDB, which
 * is stopped and later restarted on the same port and data folder. While it is down, requests
 * that need it answer 503 `unavailable` with Retry-After within the configured timeout (plus a
 * margin), nothing hangs, nothing is a 500, the process stays up, /health is 200 and /ready 503.
 * Once it is back the service recovers by itself, and every write acknowledged before, during or
 * after the outage is in the database.
 */
import { startFerretDB } from "../../src/platform/embedded/ferretdb.ts";
import { assert, assertEquals } from "../support/assert.ts";
import { dbTest } from "../support/app.ts";
import {
  type Answer,
  call,
  createOrgOverHttp,
  dbClient,
  param,
  serviceEnv,
  sleep,
  spawnService,
  tenantDatabases,
  waitUntil,
} from "../support/service.ts";

const DB_TIMEOUT_MS = 2000;
/** A request that needs the database answers within the timeout plus this. */
const MARGIN_MS = 5000;
const OUTAGE_MS = param("OUTAGE_SECONDS", 8, 30) * 1000;
const CLIENTS = 8;

type Phase = "before" | "outage" | "recovering" | "after";

interface Sample {
  phase: Phase;
  what: string;
  status: number;
  ms: number;
  code?: string;
  retryAfter: string | null;
  contentType: string | null;
}

Deno.test("database outage: 503 with Retry-After, no hang, no 500, recovery without restart", {
  ...dbTest,
}, async () => {
  const dir = await Deno.makeTempDir({ prefix: "orgservice-outage-" });
  let server = await startFerretDB({ dataDir: dir });
  const env = serviceEnv({
    MONGO_URI: server.uri,
    DB_TIMEOUT_MS: String(DB_TIMEOUT_MS),
    LOG_LEVEL: "warn",
    // Clients create orgs and invitations throughout, all from this one address.
    ORG_CREATE_LIMIT: "0",
    INVITATION_LIMIT: "0",
  });
  const service = await spawnService(env);
  const samples: Sample[] = [];
  const failures: string[] = [];
  const acknowledged = { orgs: [] as string[], invitations: [] as string[] };
  let phase: Phase = "before";
  let running = true;
  let n = 0;
  try {
    const home = await createOrgOverHttp(service.url, "Outage Home", "home@example.com");
    const record = (what: string, res: Answer) => {
      samples.push({
        phase,
        what,
        status: res.status,
        ms: res.ms,
        code: (res.body as { code?: string } | undefined)?.code,
        retryAfter: res.headers.get("Retry-After"),
        contentType: res.headers.get("Content-Type"),
      });
    };
    const request = async (what: string, method: string, path: string, opts = {}) => {
      const at = phase;
      try {
        // Far above the bound checked below: a request still open then is a hanging one.
        const res = await call(service.url, method, path, {
          ...opts,
          timeoutMs: DB_TIMEOUT_MS * 2 + MARGIN_MS * 3,
        });
        record(what, res);
        return res;
      } catch (e) {
        failures.push(`${what} (${at}): no answer: ${e}`);
        return undefined;
      }
    };

    const client = async (i: number) => {
      while (running) {
        const k = ++n;
        switch (k % 4) {
          case 0: {
            const res = await request("create org", "POST", "/v1/orgs", {
              body: {
                name: `Outage ${i} ${k}`,
                admin: {
                  email: `o${i}-${k}@example.com`,
                  password: "correct horse battery staple",
                },
              },
            });
            if (res?.status === 201) {
              acknowledged.orgs.push((res.body as { org: { id: string } }).org.id);
            }
            break;
          }
          case 1: {
            const res = await request("invite", "POST", `/v1/orgs/${home.org.slug}/invitations`, {
              token: home.token,
              body: { email: `inv${i}-${k}@example.com`, role: "member" },
            });
            if (res?.status === 201) acknowledged.invitations.push((res.body as { id: string }).id);
            break;
          }
          case 2:
            await request("get org", "GET", `/v1/orgs/${home.org.slug}`);
            break;
          default:
            await request("members", "GET", `/v1/orgs/${home.org.slug}/members`, {
              token: home.token,
            });
        }
      }
    };
    const clients = Array.from({ length: CLIENTS }, (_, i) => client(i));

    await sleep(2000);
    phase = "outage";
    await server.stop();
    const outageStarted = Date.now();
    // While it is down: liveness stays, readiness goes, the process stays up.
    let sawReady503 = false;
    while (Date.now() - outageStarted < OUTAGE_MS) {
      const health = await call(service.url, "GET", "/health", { timeoutMs: 5000 });
      assertEquals(health.status, 200, "/health during the outage");
      const ready = await call(service.url, "GET", "/ready", {
        timeoutMs: DB_TIMEOUT_MS + MARGIN_MS,
      });
      if (ready.status === 503) {
        sawReady503 = true;
        assertEquals(ready.headers.get("Retry-After"), "5");
      } else {
        assertEquals(ready.status, 503, "/ready during the outage");
      }
      await sleep(500);
    }
    assert(sawReady503, "/ready answered 503 during the outage");

    phase = "recovering";
    server = await startFerretDB({ dataDir: dir, port: server.port });
    await waitUntil(
      async () => {
        const r = await call(service.url, "GET", "/ready", {
          timeoutMs: DB_TIMEOUT_MS + MARGIN_MS,
        });
        return r.status === 200;
      },
      "/ready to answer 200 again",
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    await waitUntil(
      async () => {
        const r = await call(service.url, "GET", `/v1/orgs/${home.org.slug}/members`, {
          token: home.token,
        });
        return r.status === 200;
      },
      "an authenticated read to succeed again",
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    phase = "after";
    await sleep(2000);
    running = false;
    await Promise.all(clients);

    // A last round, one request of each kind at a time: all must succeed.
    for (let i = 0; i < 5; i++) {
      const created = await createOrgOverHttp(service.url, `After ${i}`, `after${i}@example.com`);
      acknowledged.orgs.push(created.org.id);
      const inv = await call(service.url, "POST", `/v1/orgs/${home.org.slug}/invitations`, {
        token: home.token,
        body: { email: `after-inv${i}@example.com`, role: "admin" },
      });
      assertEquals(inv.status, 201, `invite after recovery: ${inv.text}`);
      acknowledged.invitations.push((inv.body as { id: string }).id);
    }

    assertEquals(failures, [], "every request got an answer");
    const byPhase = (p: Phase) => samples.filter((s) => s.phase === p);
    const bad = samples.filter((s) => s.status >= 500 && s.status !== 503);
    const errors = service.output().split("\n").filter((l) => l.includes('"level":"error"'));
    assertEquals(bad, [], `no 5xx other than 503; the service logged:\n${errors.join("\n")}`);
    for (const s of samples.filter((s) => s.status === 503)) {
      assertEquals(s.code, "unavailable", `503 code for ${s.what}`);
      assertEquals(s.retryAfter, "5", `503 Retry-After for ${s.what}`);
      assertEquals(s.contentType, "application/problem+json");
      assert(
        s.ms <= DB_TIMEOUT_MS + MARGIN_MS,
        `${s.what} answered 503 after ${Math.round(s.ms)} ms (bound ${DB_TIMEOUT_MS + MARGIN_MS})`,
      );
    }
    const expected: Record<string, number> = {
      "create org": 201,
      "invite": 201,
      "get org": 200,
      "members": 200,
    };
    for (const p of ["before", "after"] as Phase[]) {
      const wrong = byPhase(p).filter((s) => s.status !== expected[s.what]);
      assertEquals(wrong, [], `${p} the outage every request succeeds`);
    }
    const outageWrong = [...byPhase("outage"), ...byPhase("recovering")].filter((s) =>
      s.status !== 503 && s.status !== expected[s.what]
    );
    assertEquals(outageWrong, [], "during the outage: success (a cached read) or 503");
    const outage503 = byPhase("outage").filter((s) => s.status === 503);
    assert(
      outage503.some((s) => s.what === "create org"),
      "writes answered 503 during the outage",
    );
    let processExited = false;
    service.exited.then(() => processExited = true);
    await sleep(0);
    assert(!processExited, "the service process is still running");

    // No acknowledged write is lost.
    const db = dbClient(server.uri);
    try {
      const master = db.db(env.MASTER_DB);
      const { ObjectId } = await import("mongodb");
      const orgs = await master.collection("orgs").find({
        _id: { $in: acknowledged.orgs.map((id) => ObjectId.createFromHexString(id)) },
      }).toArray();
      assertEquals(orgs.length, acknowledged.orgs.length, "every acknowledged org is there");
      assert(orgs.every((o) => o.status === "active"), "and active");
      const dbs = new Set(await tenantDatabases(db, env.TENANT_DB_PREFIX));
      assert(orgs.every((o) => dbs.has(o.databaseName)), "with its database");
      const invitations = await master.collection("invitations").countDocuments({
        _id: { $in: acknowledged.invitations.map((id) => ObjectId.createFromHexString(id)) },
      });
      assertEquals(invitations, acknowledged.invitations.length, "every acknowledged invitation");
      const during = byPhase("outage").length + byPhase("recovering").length;
      console.log(
        `outage test: ${samples.length} requests (${during} while the database was down or ` +
          `coming back: ${outage503.length} answered 503, the longest after ` +
          `${
            Math.round(Math.max(0, ...samples.filter((s) => s.status === 503).map((s) => s.ms)))
          } ms` +
          `); ${acknowledged.orgs.length} orgs and ${acknowledged.invitations.length} ` +
          `invitations acknowledged, none lost`,
      );
    } finally {
      await db.close();
    }
    const status = await service.stop();
    assertEquals(status.code, 0, "the service stops cleanly after the outage");
  } finally {
    running = false;
    service.kill("SIGKILL");
    await service.exited;
    await server.stop();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});
