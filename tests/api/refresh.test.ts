import { okJson } from "../support/client.ts";
import { MongoNetworkError } from "mongodb";
import { assertEquals, assertNotEquals, assertProblem } from "../support/assert.ts";
import { createOrgAndLogin, createTestApp, dbTest } from "../support/app.ts";

Deno.test(
  "a database error part-way through a refresh is a retryable 503, not a reuse",
  dbTest,
  async () => {
    // Instance A loses its database connection right after claiming the token, before the
    // session is rotated: the point where a failure used to look like a replay.
    // B is the first app (it drops the databases at the end: A's connection is closed by then).
    // Its retry comes later than the failed attempt could have held its claim (A's own write to
    // abandon the claim could not reach the database either).
    await using b = await createTestApp({
      now: () => new Date(Date.now() + b.config.dbTimeoutMs * 3),
    });
    const failing: { now?: () => Promise<void> } = {};
    await using a = await createTestApp({
      sameDatabaseAs: b,
      hooks: { afterRefreshStep: (step) => step === "claimed" ? failing.now?.() : undefined },
    });
    const owner = await createOrgAndLogin(a, "Retry Co");
    failing.now = () => a.deps.db.close();
    const failed = await a.client().v1.auth.refresh.$post({
      json: { refreshToken: owner.refreshToken },
    });
    await assertProblem(failed, 503, "unavailable");
    assertEquals(failed.headers.get("Retry-After") !== null, true);

    // The client retries the same token (here through another instance): it works once.
    const retried = await b.client().v1.auth.refresh.$post({
      json: { refreshToken: owner.refreshToken },
    });
    assertEquals(retried.status, 200, "the session survived the failed attempt");
    const pair = await okJson(retried);
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
    await assertProblem(replay, 401, "refresh_reused");
  },
);

Deno.test(
  "a refresh refused for its org (suspended or gone) leaves the token unspent",
  dbTest,
  async () => {
    await using app = await createTestApp();
    const owner = await createOrgAndLogin(app, "Paused Co");
    const orgs = app.deps.db.master.collection("orgs");
    await orgs.updateOne({ slug: owner.org.slug }, { $set: { status: "suspended" } });
    const refused = await app.client().v1.auth.refresh.$post({
      json: { refreshToken: owner.refreshToken },
    });
    await assertProblem(refused, 403, "org_suspended");
    await orgs.updateOne({ slug: owner.org.slug }, { $set: { status: "active" } });
    const resumed = await app.client().v1.auth.refresh.$post({
      json: { refreshToken: owner.refreshToken },
    });
    assertEquals(resumed.status, 200, "the same token works once the org is back");
  },
);

Deno.test(
  "a refresh that fails part-way while the database still answers can be retried at once",
  dbTest,
  async () => {
    // A connection reset on the session write: the failed attempt marks its claim abandoned.
    let fail = false;
    await using app = await createTestApp({
      hooks: {
        afterRefreshStep: () => {
          if (fail) throw new MongoNetworkError("connection reset by peer");
        },
      },
    });
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
    const pair = await okJson(retried);
    assertEquals((await app.client(pair.accessToken).v1.me.$get()).status, 200);
    const next = await app.client().v1.auth.refresh.$post({
      json: { refreshToken: pair.refreshToken },
    });
    assertEquals(next.status, 200, "the rotated session goes on rotating");
  },
);
