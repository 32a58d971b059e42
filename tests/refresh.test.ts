import { MongoNetworkError } from "mongodb";
import { assertEquals, assertNotEquals } from "./support/assert.ts";
import { codeOf, createOrgAndLogin, createTestApp, dbTest } from "./support/app.ts";

Deno.test(
  "a database error part-way through a refresh is a retryable 503, not a reuse",
  dbTest,
  async () => {
    // Instance A loses its database connection right after claiming the token, before the
    // session is rotated: the point where a failure used to look like a replay.
    let failing: (() => Promise<void>) | undefined;
    const a = await createTestApp({
      hooks: { afterRefreshStep: (step) => step === "claimed" ? failing?.() : undefined },
    });
    // The retry comes later than the failed attempt could have held its claim (its own write to
    // abandon the claim could not reach the database either).
    const b = await createTestApp({
      sameDatabaseAs: a,
      now: () => new Date(Date.now() + a.config.dbTimeoutMs * 3),
    });
    try {
      const owner = await createOrgAndLogin(a, "Retry Co");
      failing = () => a.deps.db.close();
      const failed = await a.client().v1.auth.refresh.$post({
        json: { refreshToken: owner.refreshToken },
      });
      assertEquals(failed.status, 503);
      assertEquals(await codeOf(failed), "unavailable");
      assertEquals(failed.headers.get("Retry-After") !== null, true);

      // The client retries the same token (here through another instance): it works once.
      const retried = await b.client().v1.auth.refresh.$post({
        json: { refreshToken: owner.refreshToken },
      });
      assertEquals(retried.status, 200, "the session survived the failed attempt");
      const pair = await retried.json();
      assertNotEquals(pair.refreshToken, owner.refreshToken);
      const onward = await b.client().v1.auth.refresh.$post({
        json: { refreshToken: pair.refreshToken },
      });
      assertEquals(onward.status, 200, "the new refresh token works");
      assertEquals((await b.client(owner.token).v1.me.$get()).status, 200, "not revoked");

      // Once rotated, the old token is spent for real: presenting it again is a reuse.
      const replay = await b.client().v1.auth.refresh.$post({
        json: { refreshToken: owner.refreshToken },
      });
      assertEquals(replay.status, 401);
      assertEquals(await codeOf(replay), "refresh_reused");
    } finally {
      a.deps.hasher.close();
      await b.close();
    }
  },
);

Deno.test(
  "a refresh refused for its org (suspended or gone) leaves the token unspent",
  dbTest,
  async () => {
    const app = await createTestApp();
    try {
      const owner = await createOrgAndLogin(app, "Paused Co");
      const orgs = app.deps.db.master.collection("orgs");
      await orgs.updateOne({ slug: owner.org.slug }, { $set: { status: "suspended" } });
      const refused = await app.client().v1.auth.refresh.$post({
        json: { refreshToken: owner.refreshToken },
      });
      assertEquals(refused.status, 403);
      assertEquals(await codeOf(refused), "org_suspended");
      await orgs.updateOne({ slug: owner.org.slug }, { $set: { status: "active" } });
      const resumed = await app.client().v1.auth.refresh.$post({
        json: { refreshToken: owner.refreshToken },
      });
      assertEquals(resumed.status, 200, "the same token works once the org is back");
    } finally {
      await app.close();
    }
  },
);

Deno.test(
  "a refresh that fails part-way while the database still answers can be retried at once",
  dbTest,
  async () => {
    // A connection reset on the session write: the failed attempt marks its claim abandoned.
    let fail = false;
    const app = await createTestApp({
      hooks: {
        afterRefreshStep: () => {
          if (fail) throw new MongoNetworkError("connection reset by peer");
        },
      },
    });
    try {
      const owner = await createOrgAndLogin(app, "Blip Co");
      fail = true;
      const failed = await app.client().v1.auth.refresh.$post({
        json: { refreshToken: owner.refreshToken },
      });
      assertEquals(failed.status, 503);
      fail = false;
      const retried = await app.client().v1.auth.refresh.$post({
        json: { refreshToken: owner.refreshToken },
      });
      assertEquals(retried.status, 200);
      const pair = await retried.json();
      assertEquals((await app.client(pair.accessToken).v1.me.$get()).status, 200);
      const next = await app.client().v1.auth.refresh.$post({
        json: { refreshToken: pair.refreshToken },
      });
      assertEquals(next.status, 200, "the rotated session goes on rotating");
    } finally {
      await app.close();
    }
  },
);
