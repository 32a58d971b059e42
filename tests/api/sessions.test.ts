import { assert, assertEquals, assertNotEquals, assertProblem } from "../support/assert.ts";
import {
  addMember,
  createOrgAndLogin,
  createOrgSignedIn,
  createTestApp,
  dbTest,
  PASSWORD,
} from "../support/app.ts";

Deno.test("refresh rotates the token; a spent one revokes the whole session", dbTest, async (t) => {
  await using app = await createTestApp();
  const api = app.client();
  const first = await createOrgAndLogin(app, "Rotate Co");
  let second = "";
  let access = "";
  await t.step("refresh: a new pair, the old refresh token spent", async () => {
    const res = await api.v1.auth.refresh.$post({ json: { refreshToken: first.refreshToken } });
    assertEquals(res.status, 200);
    if (res.status !== 200) return;
    const pair = await res.json();
    assertNotEquals(pair.refreshToken, first.refreshToken);
    assertEquals(pair.org?.slug, "rotate-co");
    assertEquals(pair.role, "owner");
    second = pair.refreshToken;
    access = pair.accessToken;
    assertEquals((await app.client(access).v1.me.$get()).status, 200);
  });
  await t.step(
    "reusing the spent token: 401 refresh_reused, the session is revoked",
    async () => {
      const reuse = await api.v1.auth.refresh.$post({
        json: { refreshToken: first.refreshToken },
      });
      await assertProblem(reuse, 401, "refresh_reused");
      const next = await api.v1.auth.refresh.$post({ json: { refreshToken: second } });
      assertEquals(next.status, 401, "the current refresh token died with the session");
      assertEquals((await app.client(access).v1.me.$get()).status, 401, "and its access tokens");
      assertEquals((await app.client(first.token).v1.me.$get()).status, 401);
    },
  );
  await t.step("garbage refresh tokens are 401 and revoke nothing", async () => {
    const other = await createOrgAndLogin(app, "Other Rotate");
    const sid = other.refreshToken.split(".")[0];
    for (const bad of ["x", `${sid}.${"A".repeat(43)}`, `${sid}.short`]) {
      const res = await api.v1.auth.refresh.$post({ json: { refreshToken: bad } });
      await assertProblem(res, 401, "unauthorized", bad);
    }
    assertEquals(
      (await app.client(other.token).v1.me.$get()).status,
      200,
      "a forged token for a known session revokes nothing",
    );
  });
});

Deno.test("logout revokes the session and its tokens", dbTest, async () => {
  await using app = await createTestApp();
  const s = await createOrgAndLogin(app, "Logout Co");
  const other = await app.client().v1.auth.login.$post({
    json: { email: s.email, password: PASSWORD },
  });
  const otherPair = await other.json();
  assertEquals((await app.client(s.token).v1.auth.logout.$post()).status, 204);
  assertEquals((await app.client(s.token).v1.me.$get()).status, 401);
  const refresh = await app.client().v1.auth.refresh.$post({
    json: { refreshToken: s.refreshToken },
  });
  assertEquals(refresh.status, 401);
  if (other.status === 200 && "accessToken" in otherPair) {
    assertEquals(
      (await app.client(otherPair.accessToken).v1.me.$get()).status,
      200,
      "other sessions live on",
    );
  }
});

Deno.test("switch gives a token pair for another org of the user", dbTest, async () => {
  await using app = await createTestApp();
  const a = await createOrgAndLogin(app, "Switch A", "switcher@example.com");
  await createOrgSignedIn(app, a.token, "Switch B");
  const other = await createOrgAndLogin(app, "Not Mine");
  const res = await app.client(a.token).v1.auth.switch.$post({ json: { org: "switch-b" } });
  assertEquals(res.status, 200);
  if (res.status !== 200) return;
  const pair = await res.json();
  assertEquals(pair.org.slug, "switch-b");
  const me = await app.client(pair.accessToken).v1.me.$get();
  if (me.status === 200) assertEquals((await me.json()).org?.slug, "switch-b");
  assertEquals((await app.client(a.token).v1.me.$get()).status, 200, "the first session stays");
  const notMine = await app.client(a.token).v1.auth.switch.$post({
    json: { org: other.org.slug },
  });
  assertEquals(notMine.status, 404);
});

Deno.test("a password change revokes every other session of the user", dbTest, async () => {
  await using app = await createTestApp();
  const s = await createOrgAndLogin(app, "Password Co");
  const second = await (await app.client().v1.auth.login.$post({
    json: { email: s.email, password: PASSWORD },
  })).json();
  assert("accessToken" in second);
  const wrong = await app.client(s.token).v1.me.password.$post({
    json: { currentPassword: "not my password at all", newPassword: "a brand new passphrase 42" },
  });
  assertEquals(wrong.status, 401);
  const weak = await app.client(s.token).v1.me.password.$post({
    json: { currentPassword: PASSWORD, newPassword: "password123" },
  });
  await assertProblem(weak, 400, "weak_password");
  const ok = await app.client(s.token).v1.me.password.$post({
    json: { currentPassword: PASSWORD, newPassword: "a brand new passphrase 42" },
  });
  assertEquals(ok.status, 204);
  assertEquals((await app.client(s.token).v1.me.$get()).status, 200, "this session stays");
  assertEquals(
    (await app.client(second.accessToken).v1.me.$get()).status,
    401,
    "the other is revoked",
  );
  const oldLogin = await app.client().v1.auth.login.$post({
    json: { email: s.email, password: PASSWORD },
  });
  assertEquals(oldLogin.status, 401);
  const newLogin = await app.client().v1.auth.login.$post({
    json: { email: s.email, password: "a brand new passphrase 42" },
  });
  assertEquals(newLogin.status, 200);
});

Deno.test(
  "revocation holds across instances within 5 seconds, at once locally",
  dbTest,
  async () => {
    let offsetMs = 0;
    await using a = await createTestApp();
    await using b = await createTestApp({
      sameDatabaseAs: a,
      now: () => new Date(Date.now() + offsetMs),
    });
    const owner = await createOrgAndLogin(a, "Two Instances");
    const member = await addMember(a, owner.token, "two-instances", "member");
    const list = (t: typeof a) =>
      t.client(member.token).v1.orgs[":slug"].members.$get({
        param: { slug: "two-instances" },
        query: {},
      });
    assertEquals((await list(b)).status, 200, "instance B has the member's check cached now");

    const removed = await a.client(owner.token).v1.orgs[":slug"].members[":userId"].$delete({
      param: { slug: "two-instances", userId: member.userId },
    });
    assertEquals(removed.status, 204);
    assertEquals((await list(a)).status, 401, "at once on the instance that made the change");

    offsetMs = 5000;
    assertEquals((await list(b)).status, 401, "on instance B once its 5-second cache has passed");
  },
);
