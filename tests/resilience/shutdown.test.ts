/**
 * Graceful shutdown: SIGTERM while slow requests (org creations and sign-ins, bcrypt at cost 12)
 * are in flight. They complete with their normal status; a request that comes meanwhile is
 * answered 503 `unavailable` with `Retry-After`; once the last one is sent, new connections are
 * refused; and the process exits with code 0 within 10 seconds.
 *
 * "In flight" means the server has the request, not merely that the client sent it: a request
 * still in a socket buffer when SIGTERM comes is the client's to retry. So SIGTERM waits until
 * the throttle has counted every request (counted before any password is hashed or checked).
 * The sign-ins use a wrong password so that their counts stay (a right one gives its count back).
 * A request the server dropped (src/http/drain.ts says how Deno's shutdown can) fails the test
 * by its assertions, with the error, rather than as an uncaught rejection.
 */
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
    // The listener closing under the connection: not refused yet, ask again.
    if (e instanceof Deno.errors.ConnectionReset || e instanceof Deno.errors.NotConnected) {
      return false;
    }
    throw e;
  }
}

Deno.test(
  "SIGTERM: in-flight requests finish, new ones get 503, then connections are refused, exit 0",
  dbTest,
  async () => {
    const env = serviceEnv({
      BCRYPT_COST: "12",
      HASH_WORKERS: "2",
      LOG_LEVEL: "info",
      LOGIN_EMAIL_LIMIT: "10",
    });
    const service = await spawnService(env);
    const mongo = dbClient();
    try {
      const existing = await createOrgOverHttp(service.url, "Shutdown Home", "home@example.com");
      let pending = 0;
      const track = (p: Promise<Answer>) => {
        pending++;
        return p.then((a) => a.status, (e: Error) => `${e.message}: ${(e.cause as Error)?.message}`)
          .finally(() => pending--);
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
            body: { email: existing.email, password: `${PASSWORD}-wrong` },
          })),
      );
      // Every request has reached its handler: 1 + 4 creations from this address, 4 sign-ins.
      const counts = async () => {
        const docs = await mongo.db(env.MASTER_DB).collection<{ _id: string; count: number }>(
          "login_throttle",
        ).find({ _id: { $in: ["create:127.0.0.1", `email:${existing.email}`] } }).toArray();
        return Object.fromEntries(docs.map((d) => [d._id, d.count]));
      };
      const arrivedBy = Date.now() + 20_000;
      for (;;) {
        const c = await counts();
        if (c["create:127.0.0.1"] === 5 && c[`email:${existing.email}`] === 4) break;
        assert(Date.now() < arrivedBy, `the requests reached the server: ${JSON.stringify(c)}`);
        await sleep(10);
      }
      assert(pending > 0, "the slow requests are still in flight when SIGTERM is sent");
      const unanswered = pending;
      const sent = Date.now();
      service.kill("SIGTERM");

      // Until the last of them is sent, a new request is answered 503 and not served (the first
      // ones may come before the process has taken the signal).
      let during = await call(service.url, "GET", "/health");
      while (during.status === 200 && Date.now() - sent < 5_000) {
        await sleep(10);
        during = await call(service.url, "GET", "/health");
      }
      assertEquals(during.status, 503, during.text);
      assertEquals((during.body as { code: string }).code, "unavailable");
      assertEquals(during.headers.get("Content-Type"), "application/problem+json");
      assertEquals(during.headers.get("Retry-After"), "1");
      assert(during.headers.get("X-Request-Id"), "it carries a request id like any answer");
      assert(pending > 0, "that answer came while the slow requests were still in flight");

      const created = await Promise.all(creates);
      const signedIn = await Promise.all(logins);
      assertEquals(created, [201, 201, 201, 201], "org creations");
      assertEquals(signedIn, [401, 401, 401, 401], "sign-ins");

      // Then the listener closes: new connections are refused.
      const refusedBy = Date.now() + 5_000;
      while (!await refused(service.port)) {
        assert(Date.now() < refusedBy, "new connections are refused once the requests are sent");
        await sleep(20);
      }

      const status = await Promise.race([
        service.exited,
        sleep(10_000 - (Date.now() - sent)).then(() => undefined),
      ]);
      assert(status, "the process exits within 10 seconds of SIGTERM");
      assertEquals(status.code, 0, `exit code; output:\n${service.output()}`);
      assert(service.output().includes('"msg":"stopped"'), "it logged its orderly stop");

      const orgs = await mongo.db(env.MASTER_DB).collection("orgs")
        .find({ name: { $in: creates.map((_, i) => `Shutdown ${i}`) } }).toArray();
      assertEquals(orgs.map((o) => o.status), ["active", "active", "active", "active"]);
      console.log(
        `shutdown test: SIGTERM with ${created.length + signedIn.length} bcrypt-12 requests in ` +
          `flight (${unanswered} not yet answered); all answered normally, a new request meanwhile 503, ` +
          `then new connections refused, exit code 0`,
      );
    } finally {
      service.kill("SIGKILL");
      await service.exited;
      await dropService(mongo, env);
      await mongo.close();
    }
  },
);
