/**
 * A move requested through `POST /v1/admin/orgs/{slug}/move` while a member keeps writing through
 * the HTTP document API (inserts, patches, deletes), between two embedded servers: every
 * acknowledged write is there afterwards, writes are refused (503 `org_maintenance` with
 * Retry-After) only between the maintenance's start and the switch, reads keep working, and the
 * org's audit log records the move.
 */
import { ObjectId } from "mongodb";
import { assert, assertEquals } from "../support/assert.ts";
import { setOperator } from "../../src/access/operators.ts";
import { startFerretDB } from "../../src/platform/embedded/ferretdb.ts";
import { startJobRunner } from "../../src/ops/job-runner.ts";
import { getJob } from "../../src/ops/jobs.ts";
import { MOVE_JOB, moveJobHandler, type MoveState, requestMove } from "../../src/ops/move/mod.ts";
import { verify } from "../support/move-verify.ts";
import { findOrgById } from "../../src/tenants/orgs.ts";
import { insertUser } from "../../src/identity/users.ts";
import {
  createOrgAndLogin,
  createTestApp,
  dbTest,
  json,
  PASSWORD,
  type TestApp,
} from "../support/app.ts";

const DOCS = Number(Deno.env.get("MOVE_TEST_DOCS") ?? 3000);
const COLLECTIONS = ["events", "items", "people"];
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

/**
 * A service on the embedded database with a second embedded server as deployment `b` (a short
 * cache period, so a move's waits are short). What `onEnd` is given (a job runner's stop) runs
 * first at the end; then the copies on `b` are dropped and both go.
 */
async function withDeploymentB(
  fn: (
    app: TestApp,
    env: Record<string, string>,
    onEnd: (stop: () => Promise<void>) => void,
  ) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "orgservice-b-" });
  const b = await startFerretDB({ dataDir: dir, log: () => {} });
  const env = {
    MONGO_CLUSTERS: JSON.stringify({ b: b.uri }),
    AUTH_CACHE_TTL_MS: "500",
    ORG_CREATE_LIMIT: "0",
  };
  const app = await createTestApp({ env });
  const stops: (() => Promise<void>)[] = [];
  try {
    await fn(app, env, (stop) => stops.push(stop));
  } finally {
    for (const stop of stops) await stop();
    for (const d of (await app.deps.db.clients.b.db("admin").admin().listDatabases()).databases) {
      if (d.name.startsWith(app.config.tenantDbPrefix)) {
        await app.deps.db.clients.b.db(d.name).dropDatabase();
      }
    }
    await app.close();
    await b.stop();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test(
  "a move through the admin route while a client writes through the document API: nothing acknowledged is lost, writes refused only in the switch",
  dbTest,
  () =>
    withDeploymentB(async (app, _env, onEnd) => {
      const owner = await createOrgAndLogin(app, `Moving ${crypto.randomUUID().slice(0, 8)}`);
      const slug = owner.org.slug;
      const base = `/v1/orgs/${slug}/collections`;
      const call = (path: string, init: RequestInit = {}) =>
        app.request(path, {
          ...init,
          headers: { ...bearer(owner.token), "Content-Type": "application/json", ...init.headers },
        });

      // Three collections with indexes, filled through the batch route.
      const model = new Map<string, Map<string, number>>();
      for (const name of COLLECTIONS) {
        const indexes = name === "items"
          ? [{ fields: { sku: 1 }, unique: true }]
          : name === "people"
          ? [{ fields: { email: 1 }, unique: true }, { fields: { age: -1 } }]
          : [{ fields: { kind: 1, v: -1 } }];
        const made = await call(base, { method: "POST", body: JSON.stringify({ name, indexes }) });
        assertEquals(made.status, 201);
        const m = new Map<string, number>();
        for (let i = 0; i < DOCS / 3; i += 500) {
          const documents = Array.from(
            { length: Math.min(500, DOCS / 3 - i) },
            (_, j) => fields(name, i + j),
          );
          const res = await call(`${base}/${name}/documents/batch`, {
            method: "POST",
            body: JSON.stringify({ documents }),
          });
          assertEquals(res.status, 201);
          const { insertedIds } = await res.json();
          insertedIds.forEach((id: string, j: number) => m.set(id, i + j));
        }
        model.set(name, m);
      }

      // An operator of no org asks for the move; this instance's job runner carries it out.
      const email = `ops-${crypto.randomUUID().slice(0, 8)}@example.com`;
      await insertUser(app.deps.db.master, {
        id: new ObjectId().toHexString(),
        email,
        passwordHash: await app.deps.hasher.hash(PASSWORD),
      }, app.deps.now());
      await setOperator(app.deps, email, true);
      const ops = await (await app.request("/v1/auth/login", json({ email, password: PASSWORD })))
        .json();

      // The writer: one write at a time through HTTP, each recorded once acknowledged.
      let running = true;
      let n = 1_000_000;
      let acknowledged = 0;
      let reads = 0;
      const refused: { start: number; end: number }[] = [];
      const writer = (async () => {
        while (running) {
          const name = COLLECTIONS[n % 3];
          const m = model.get(name)!;
          const op = n % 5;
          const start = Date.now();
          let res: Response;
          let apply: () => void;
          if (op < 2 || m.size < 10) {
            res = await call(`${base}/${name}/documents`, {
              method: "POST",
              body: JSON.stringify(fields(name, n)),
            });
            const v = n;
            apply = () => {};
            if (res.status === 201) {
              const id = (await res.json())._id;
              apply = () => m.set(id, v);
            }
          } else {
            const id = [...m.keys()][n % m.size];
            if (op < 4) {
              const v = n;
              res = await call(`${base}/${name}/documents/${id}`, {
                method: "PATCH",
                body: JSON.stringify({ v }),
              });
              apply = () => m.set(id, v);
            } else {
              res = await call(`${base}/${name}/documents/${id}`, { method: "DELETE" });
              apply = () => m.delete(id);
            }
          }
          if (res.status === 503) {
            const problem = await res.json();
            assertEquals(problem.code, "org_maintenance");
            assertEquals(res.headers.get("Retry-After"), "2");
            refused.push({ start, end: Date.now() });
          } else {
            if (res.status >= 300) {
              throw new Error(`write answered ${res.status}: ${await res.text()}`);
            }
            if (!res.bodyUsed) await res.body?.cancel();
            apply();
            acknowledged++;
          }
          // Reads keep working throughout, maintenance included.
          const read = await call(`${base}/${name}/documents/count`);
          assertEquals(read.status, 200);
          await read.body?.cancel();
          reads++;
          n++;
        }
      })();

      const requested = await app.request(`/v1/admin/orgs/${slug}/move`, {
        ...json({ cluster: "b" }, bearer(ops.accessToken)),
      });
      assertEquals(requested.status, 202);
      const { jobId } = await requested.json();
      onEnd(startJobRunner(app.deps, { [MOVE_JOB]: moveJobHandler() }, { pollMs: 50 }));

      let job = await getJob(app.deps.db.master, jobId);
      while (job?.status !== "succeeded" && job?.status !== "failed") {
        await new Promise((r) => setTimeout(r, 100));
        job = await getJob(app.deps.db.master, jobId);
      }
      // A few more writes at the new deployment, then stop.
      const after = acknowledged;
      while (acknowledged < after + 20) await new Promise((r) => setTimeout(r, 20));
      running = false;
      await writer;
      assertEquals(job.status, "succeeded", job.error);

      const view = await (await app.request(`/v1/admin/jobs/${jobId}`, {
        headers: bearer(ops.accessToken),
      })).json();
      assertEquals(view.status, "succeeded");
      assertEquals(view.progress.done, view.progress.total);

      // Refused only inside the maintenance: each refused request ended after it began and
      // started before the switch.
      const state = job.state as MoveState;
      const from = new Date(state.maintenanceSince!).getTime();
      const to = new Date(state.switchedAt!).getTime();
      for (const r of refused) {
        assert(r.end >= from && r.start <= to, `a write refused outside the maintenance`);
      }
      console.log(
        `move over HTTP: ${DOCS} documents, ${acknowledged} writes acknowledged, ` +
          `${refused.length} refused, ${reads} reads; writes unavailable ` +
          `${state.writeUnavailableMs} ms; phases ${JSON.stringify(state.timings)}`,
      );

      // Every acknowledged write is at the new deployment, through the API, with the indexes.
      const org = await (await app.request(`/v1/admin/orgs/${slug}`, {
        headers: bearer(ops.accessToken),
      })).json();
      assertEquals(org.cluster, "b");
      for (const name of COLLECTIONS) {
        const want = model.get(name)!;
        const found = new Map<string, number>();
        let cursor: string | null = null;
        do {
          const q: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : "";
          const page = await (await call(`${base}/${name}/documents?limit=100${q}`)).json();
          for (const d of page.items) found.set(d._id, d.v);
          cursor = page.nextCursor;
        } while (cursor);
        assertEquals(found.size, want.size, `${name}: document count`);
        for (const [id, v] of want) assertEquals(found.get(id), v, `${name}: write to ${id}`);
      }
      const listed = await (await call(base)).json();
      const indexes = Object.fromEntries(
        listed.items.map((c: { name: string; indexes: { name: string }[] }) => [
          c.name,
          c.indexes.map((i) => i.name).sort(),
        ]),
      );
      assertEquals(indexes.items.length, 2);
      assertEquals(indexes.people.length, 3);
      assertEquals(indexes.events.length, 2);
      // The source database is gone; the move is in the org's audit log.
      const { databases } = await app.deps.db.clients.default.db("admin").admin().listDatabases({
        nameOnly: true,
      });
      assert(!databases.some((d) => d.name === org.databaseName));
      const audit = await (await call(`/v1/orgs/${slug}/audit?limit=100`)).json();
      const types = audit.items.map((e: { type: string }) => e.type);
      assert(types.includes("org.moved"), types.join());
      assert(types.includes("org.move_requested"), types.join());
    }),
);

function fields(collection: string, v: number) {
  const tag = new ObjectId().toHexString();
  return collection === "items"
    ? { v, sku: `sku-${tag}` }
    : collection === "people"
    ? { v, email: `${tag}@example.com`, age: v % 90 }
    : { v, kind: ["a", "b", "c"][v % 3] };
}

Deno.test(
  "deletions, a patch and a collection dropped and made again during a move, through the document API, are at the target before the switch",
  dbTest,
  () =>
    withDeploymentB(async (app, env, onEnd) => {
      const owner = await createOrgAndLogin(app, `Deleting ${crypto.randomUUID().slice(0, 8)}`);
      const slug = owner.org.slug;
      const base = `/v1/orgs/${slug}/collections`;
      const call = async (path: string, method = "GET", body?: unknown) => {
        const res = await app.request(path, {
          method,
          headers: { ...bearer(owner.token), "Content-Type": "application/json" },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        const text = await res.text();
        return { status: res.status, body: text ? JSON.parse(text) : null };
      };
      const ids: Record<string, string[]> = {};
      for (const name of ["keep", "notes"]) {
        assertEquals((await call(base, "POST", { name })).status, 201);
        const documents = Array.from({ length: 20 }, (_, v) => ({ v }));
        const made = await call(`${base}/${name}/documents/batch`, "POST", { documents });
        assertEquals(made.status, 201);
        ids[name] = made.body.insertedIds;
      }
      const org = (await findOrgById(app.deps.db.master, owner.org.id))!;
      // At the step named, the writes (from the instance that serves the API) and, just before
      // the switch, the target compared with the source in full.
      let mismatch: string | null | undefined;
      let madeAgain: string | undefined;
      await using runner = await createTestApp({
        sameDatabaseAs: app,
        env,
        hooks: {
          async afterMoveStep(step) {
            if (step === "copied") {
              assertEquals(
                (await call(`${base}/keep/documents/${ids.keep[0]}`, "DELETE")).status,
                204,
              );
              assertEquals(
                (await call(`${base}/keep/documents/${ids.keep[1]}`, "PATCH", { v: 100 })).status,
                200,
              );
              assertEquals((await call(`${base}/notes`, "DELETE")).status, 204);
              assertEquals((await call(base, "POST", { name: "notes" })).status, 201);
              const again = await call(`${base}/notes/documents`, "POST", { v: 200 });
              assertEquals(again.status, 201);
              madeAgain = again.body._id;
            }
            if (step === "verified") {
              mismatch = await verify(
                app.deps.db.clients.default.db(org.databaseName),
                app.deps.db.clients.b.db(org.databaseName),
                "_stamp",
              );
            }
          },
        },
      });
      const job = await requestMove(app.deps, slug, "b", { ip: "127.0.0.1" });
      onEnd(startJobRunner(runner.deps, { [MOVE_JOB]: moveJobHandler() }, { pollMs: 50 }));
      let done = await getJob(app.deps.db.master, job.id);
      while (done?.status !== "succeeded" && done?.status !== "failed") {
        await new Promise((r) => setTimeout(r, 100));
        done = await getJob(app.deps.db.master, job.id);
      }
      assertEquals(done.status, "succeeded", done.error);
      assertEquals(mismatch, null);

      const list = async (name: string) =>
        (await call(`${base}/${name}/documents?limit=100`)).body.items.map((
          d: { _id: string; v: number },
        ) => [d._id, d.v]);
      const keep = new Map(await list("keep"));
      assertEquals(keep.size, 19);
      assert(!keep.has(ids.keep[0]), "the deleted document stays deleted");
      assertEquals(keep.get(ids.keep[1]), 100);
      assertEquals(await list("notes"), [[madeAgain, 200]]);
      const moved = (await findOrgById(app.deps.db.master, org.id))!;
      assertEquals(moved.cluster, "b");
    }),
);
