/**
 * Graceful shutdown: SIGTERM while slow requests (org creations and logins, bcrypt at cost 12)
 * are in flight. They complete with their normal status, new connections are refused from then
 * on, and the process exits with code 0 within 10 seconds.
 */
import { ObjectId } from "mongodb";
import { assert, assertEquals } from "../support/assert.ts";
import { dbTest } from "../support/app.ts";
import {
  type Answer,
  call,
  createOrgOverHttp,
  dbClient,
  dropService,
  PASSWORD,
  serviceEnv,
  sleep,
  spawnService,
} from "../support/service.ts";

async function refused(port: number): Promise<boolean> {
  try {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    conn.close();
    return false;
  } catch (e) {
    if (e instanceof Deno.errors.ConnectionRefused) return true;
    throw e;
  }
}

Deno.test(
  "SIGTERM: in-flight requests finish, new connections are refused, exit 0",
  dbTest,
  async () => {
    const env = serviceEnv({ BCRYPT_COST: "12", HASH_WORKERS: "2", LOG_LEVEL: "info" });
    const service = await spawnService(env);
    const mongo = dbClient();
    try {
      const existing = await createOrgOverHttp(service.url, "Shutdown Home", "home@example.com");
      let pending = 0;
      const track = (p: Promise<Answer>) => {
        pending++;
        return p.finally(() => pending--);
      };
      const creates = Array.from(
        { length: 4 },
        (_, i) =>
          track(call(service.url, "POST", "/v1/orgs", {
            body: {
              name: `Shutdown ${i}`,
              admin: { email: `s${i}@example.com`, password: PASSWORD },
            },
          })),
      );
      const logins = Array.from(
        { length: 4 },
        () =>
          track(call(service.url, "POST", "/v1/auth/login", {
            body: { email: existing.email, password: PASSWORD },
          })),
      );
      await sleep(300); // let the requests reach the server
      assert(pending > 0, "the slow requests are still in flight when SIGTERM is sent");
      const sent = Date.now();
      service.kill("SIGTERM");

      // The listener closes at once, while requests are still being served.
      let refusedWhilePending = false;
      let wasRefused = false;
      const deadline = Date.now() + 10_000;
      while (!wasRefused && Date.now() < deadline) {
        const stillPending = pending > 0;
        wasRefused = await refused(service.port);
        if (wasRefused) {
          refusedWhilePending = stillPending && pending > 0;
        } else await sleep(20);
      }
      assert(wasRefused, "new connections are refused after SIGTERM");
      assert(refusedWhilePending, "new connections were refused while requests were in flight");

      const created = await Promise.all(creates);
      const signedIn = await Promise.all(logins);
      assertEquals(
        created.map((r) => r.status),
        [201, 201, 201, 201],
        created.map((r) => r.text).join(),
      );
      assertEquals(
        signedIn.map((r) => r.status),
        [200, 200, 200, 200],
      );

      const status = await Promise.race([
        service.exited,
        sleep(10_000 - (Date.now() - sent)).then(() => undefined),
      ]);
      assert(status, "the process exits within 10 seconds of SIGTERM");
      assertEquals(status.code, 0, `exit code; output:\n${service.output()}`);
      assert(service.output().includes('"msg":"stopped"'), "it logged its orderly stop");

      const ids = created.map((r) => new ObjectId((r.body as { org: { id: string } }).org.id));
      const orgs = await mongo.db(env.MASTER_DB).collection("orgs").find({ _id: { $in: ids } })
        .toArray();
      assertEquals(orgs.map((o) => o.status), ["active", "active", "active", "active"]);
      console.log(
        `shutdown test: SIGTERM with ${created.length + signedIn.length} bcrypt-12 requests in ` +
          `flight; all answered normally, new connections refused meanwhile, exit code 0`,
      );
    } finally {
      service.kill("SIGKILL");
      await service.exited;
      await dropService(mongo, env);
      await mongo.close();
    }
  },
);
