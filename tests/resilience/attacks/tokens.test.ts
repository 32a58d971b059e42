/**
 * Attacks with tokens, beyond tests/api/auth.test.ts (which covers forged, expired, wrong-algorithm
 * and malformed JWTs on /v1/me): tokens whose session, membership, user or org is gone are
 * refused everywhere, and malformed Authorization headers over real HTTP are 401.
 */
import { ObjectId } from "mongodb";
import { assertEquals, assertProblem } from "../../support/assert.ts";
import {
  addMember,
  bearer,
  createOrgAndLogin,
  createTestApp,
  dbTest,
  json,
} from "../../support/app.ts";
import { call, serveApp } from "../../support/service.ts";

Deno.test(
  "tokens whose session, membership, user or org is gone are refused",
  dbTest,
  async (t) => {
    // No cache: a change made directly in the database (the deleted user) shows at once.
    await using app = await createTestApp({ env: { AUTH_CACHE_TTL_MS: "0" } });
    const probe = async (token: string, slug: string) => {
      const paths = ["/v1/me", `/v1/orgs/${slug}/members`, `/v1/orgs/${slug}/invitations`];
      const statuses = [];
      for (const p of paths) {
        statuses.push((await app.request(p, { headers: bearer(token) })).status);
      }
      const rename = await app.request(`/v1/orgs/${slug}`, {
        method: "PATCH",
        headers: { ...bearer(token), "Content-Type": "application/json" },
        body: JSON.stringify({ name: "Taken Over" }),
      });
      statuses.push(rename.status);
      return statuses;
    };
    const refreshStatus = async (refreshToken: string) =>
      (await app.request("/v1/auth/refresh", json({ refreshToken }))).status;
    const owner = await createOrgAndLogin(app, "Gone Co");
    const slug = owner.org.slug;

    await t.step("a signed-out session (logout): 401 everywhere", async () => {
      const m = await addMember(app, owner.token, slug, "admin");
      const out = await app.request("/v1/auth/logout", {
        method: "POST",
        headers: bearer(m.token),
      });
      assertEquals(out.status, 204);
      assertEquals(await probe(m.token, slug), [401, 401, 401, 401]);
      assertEquals(await refreshStatus(m.refreshToken), 401, "its refresh token is dead too");
    });
    await t.step("a member removed from the org: 401 everywhere", async () => {
      const m = await addMember(app, owner.token, slug, "admin");
      const del = await app.request(`/v1/orgs/${slug}/members/${m.userId}`, {
        method: "DELETE",
        headers: bearer(owner.token),
      });
      assertEquals(del.status, 204);
      assertEquals(await probe(m.token, slug), [401, 401, 401, 401]);
      assertEquals(await refreshStatus(m.refreshToken), 401);
    });
    await t.step("a user deleted from the database: 401 everywhere", async () => {
      const m = await addMember(app, owner.token, slug, "admin");
      await app.deps.db.master.collection("users").deleteOne({ _id: new ObjectId(m.userId) });
      assertEquals(await probe(m.token, slug), [401, 401, 401, 401]);
    });
    await t.step("a deleted org: 401 for every token scoped to it", async () => {
      const m = await addMember(app, owner.token, slug, "member");
      const del = await app.request(`/v1/orgs/${slug}`, {
        method: "DELETE",
        headers: bearer(owner.token),
      });
      assertEquals(del.status, 204);
      assertEquals(await probe(owner.token, slug), [401, 401, 401, 401]);
      assertEquals(await probe(m.token, slug), [401, 401, 401, 401]);
      assertEquals(await refreshStatus(owner.refreshToken), 401);
      // Its name is free again, and the new org's owner gets nothing of the old one.
      const again = await createOrgAndLogin(app, "Gone Co");
      assertEquals(await probe(owner.token, again.org.slug), [401, 401, 401, 401]);
    });
  },
);

Deno.test("malformed Authorization headers over real HTTP are 401", dbTest, async (t) => {
  await using app = await createTestApp();
  await using server = serveApp(app.app);
  const owner = await createOrgAndLogin(app, "Header Co");
  const cases: Record<string, string> = {
    "empty": "",
    "scheme only": "Bearer",
    "scheme and a space": "Bearer ",
    "two spaces": "Bearer  x",
    "two spaces before a real token": `Bearer  ${owner.token}`,
    "two tokens": `Bearer ${owner.token} ${owner.token}`,
    "8 KB": `Bearer ${"a".repeat(8192)}`,
    "8 KB of dots": `Bearer ${"a.".repeat(4096)}a`,
    "a trailing comma": `Bearer ${owner.token},`,
    "a token in quotes": `Bearer "${owner.token}"`,
  };
  for (const [name, header] of Object.entries(cases)) {
    await t.step(name, async () => {
      for (const path of ["/v1/me", `/v1/orgs/${owner.org.slug}/members`]) {
        const res = await call(server.url, "GET", path, { headers: { Authorization: header } });
        await assertProblem(res, 401, "unauthorized", `${name} on ${path}: ${res.text}`);
      }
      // GET /v1/orgs/{slug} is public, but a present and invalid token is 401 there too.
      const pub = await call(server.url, "GET", `/v1/orgs/${owner.org.slug}`, {
        headers: { Authorization: header },
      });
      assertEquals(pub.status, header === "" ? 200 : 401, `${name} on the public org route`);
    });
  }
  await t.step("the real token still works", async () => {
    const res = await call(server.url, "GET", "/v1/me", { token: owner.token });
    assertEquals(res.status, 200);
  });
});
