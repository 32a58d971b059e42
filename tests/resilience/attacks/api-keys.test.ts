/**
 * Attacks with API keys: malformed, wrong-secret, revoked and expired keys are 401 and never
 * 500; a key on another org's slug is 404; a key can never manage members, invitations, keys,
 * webhooks or the org, nor call /v1/me or /v1/auth/*.
 */
import { assert, assertEquals, assertProblem } from "../../support/assert.ts";
import { addMember, bearer, createOrgAndLogin, createTestApp, dbTest } from "../../support/app.ts";
import { createKey, type Scope } from "../../support/api-keys.ts";

const ALL: Scope[] = [
  "data:read",
  "data:write",
  "collections:manage",
  "members:read",
  "audit:read",
];

Deno.test(
  "malformed, wrong-secret, revoked and expired keys are 401, never 500",
  dbTest,
  async (t) => {
    let now = Date.now();
    await using app = await createTestApp({ now: () => new Date(now) });
    const a = await createOrgAndLogin(app, "Key Target");
    const good = await createKey(app, a.token, a.org.slug, ALL);
    const expiring = await createKey(app, a.token, a.org.slug, ALL, { expiresInDays: 1 });
    const revoked = await createKey(app, a.token, a.org.slug, ALL);
    const del = await app.request(`/v1/orgs/${a.org.slug}/api-keys/${revoked.id}`, {
      method: "DELETE",
      headers: bearer(a.token),
    });
    assertEquals(del.status, 204);
    const id = good.id;
    const secret = good.key.slice(29);
    const flip = (s: string) => (s[0] === "A" ? "B" : "A") + s.slice(1);
    const shapes: Record<string, string> = {
      "the prefix alone": "osk_",
      "the prefix and an id": `osk_${id}`,
      "the prefix, an id and _": `osk_${id}_`,
      "a bad id": `osk_${"z".repeat(24)}_${secret}`,
      "an upper-case id": `osk_${id.toUpperCase()}_${secret}`,
      "a short id": `osk_${id.slice(1)}_${secret}`,
      "an unknown id": `osk_${"0".repeat(24)}_${secret}`,
      "bad base64": `osk_${id}_${"!".repeat(43)}`,
      "padded base64": `osk_${id}_${secret.slice(0, 42)}=`,
      "a short secret": `osk_${id}_${secret.slice(1)}`,
      "a long secret": `osk_${id}_${secret}A`,
      "a wrong secret": `osk_${id}_${flip(secret)}`,
      "another key's secret": `osk_${id}_${expiring.key.slice(29)}`,
      "a revoked key": revoked.key,
      "two underscores": `osk__${id}_${secret}`,
      "unicode": `osk_${id}_${"é".repeat(43)}`,
      "very long": `osk_${id}_${"A".repeat(4000)}`,
      "NUL inside": `osk_${id}_${secret.slice(0, 20)}%00${secret.slice(23)}`,
    };
    const paths = [
      `/v1/orgs/${a.org.slug}/collections`,
      `/v1/orgs/${a.org.slug}/members`,
      `/v1/orgs/${a.org.slug}/api-keys`,
      "/v1/me",
    ];
    for (const [what, key] of Object.entries(shapes)) {
      await t.step(what, async () => {
        for (const p of paths) {
          const res = await app.request(p, { headers: bearer(key) });
          await assertProblem(res, 401, "unauthorized", `${what} on ${p}`);
        }
      });
    }
    await t.step("the good key still works (none of the above locked it out)", async () => {
      const res = await app.request(`/v1/orgs/${a.org.slug}/collections`, {
        headers: bearer(good.key),
      });
      assertEquals(res.status, 200);
    });
    await t.step("an expired key: 401 from the moment it expires", async () => {
      const path = `/v1/orgs/${a.org.slug}/collections`;
      assertEquals((await app.request(path, { headers: bearer(expiring.key) })).status, 200);
      now += 86_400_000;
      await assertProblem(
        await app.request(path, { headers: bearer(expiring.key) }),
        401,
        "unauthorized",
      );
    });
  },
);

Deno.test("a key on another org's slug is 404, on every org route", dbTest, async () => {
  await using app = await createTestApp();
  const a = await createOrgAndLogin(app, "Key Home");
  const b = await createOrgAndLogin(app, "Key Elsewhere");
  const { key } = await createKey(app, a.token, a.org.slug, ALL);
  for (
    const p of [
      `/v1/orgs/${b.org.slug}/collections`,
      `/v1/orgs/${b.org.slug}/collections/x/documents`,
      `/v1/orgs/${b.org.slug}/members`,
      `/v1/orgs/${b.org.slug}/audit`,
      `/v1/orgs/${b.org.slug}/api-keys`,
      `/v1/orgs/${b.org.slug}/invitations`,
      `/v1/orgs/no-such-org/collections`,
    ]
  ) {
    await assertProblem(await app.request(p, { headers: bearer(key) }), 404, "org_not_found", p);
  }
});

Deno.test(
  "a key with every scope cannot manage members, invitations, keys or the org, nor be a person",
  dbTest,
  async (t) => {
    await using app = await createTestApp();
    const a = await createOrgAndLogin(app, "Key Limits");
    const m = await addMember(app, a.token, a.org.slug, "member");
    const { key, id } = await createKey(app, a.token, a.org.slug, ALL);
    const slug = a.org.slug;
    const send = (method: string, path: string, body?: unknown) =>
      app.request(path, {
        method,
        headers: { ...bearer(key), ...(body ? { "Content-Type": "application/json" } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
    await t.step("403 insufficient_scope on the org's management", async () => {
      const refused: [string, string, unknown?][] = [
        ["PATCH", `/v1/orgs/${slug}/members/${m.userId}`, { role: "admin" }],
        ["DELETE", `/v1/orgs/${slug}/members/${m.userId}`],
        ["POST", `/v1/orgs/${slug}/invitations`, { email: "x@example.com", role: "owner" }],
        ["GET", `/v1/orgs/${slug}/invitations`],
        ["DELETE", `/v1/orgs/${slug}/invitations/${id}`],
        ["POST", `/v1/orgs/${slug}/api-keys`, { name: "child", scopes: ["data:read"] }],
        ["GET", `/v1/orgs/${slug}/api-keys`],
        ["DELETE", `/v1/orgs/${slug}/api-keys/${id}`],
        ["GET", `/v1/orgs/${slug}`],
        ["PATCH", `/v1/orgs/${slug}`, { name: "Taken Over" }],
        ["DELETE", `/v1/orgs/${slug}`],
        ["POST", "/v1/orgs", { name: "Made By A Key" }],
        ["GET", "/v1/admin/orgs"],
        ["PUT", "/org/update", { organization_name: "Key Limits", new_organization_name: "Taken" }],
        ["DELETE", "/org/delete", { organization_name: "Key Limits" }],
      ];
      for (const [method, path, body] of refused) {
        await assertProblem(
          await send(method, path, body),
          403,
          "insufficient_scope",
          `${method} ${path}`,
        );
      }
    });
    await t.step(
      "webhooks: any route there refuses keys (the default for undeclared routes)",
      async () => {
        const res = await send("GET", `/v1/orgs/${slug}/webhooks`);
        assert(res.status === 403 || res.status === 404, `GET webhooks: ${res.status}`);
        if (res.status === 403) await assertProblem(res, 403, "insufficient_scope");
        else await res.body?.cancel();
      },
    );
    await t.step("401 on /v1/me and /v1/auth/*, whatever the body", async () => {
      const refused: [string, string, unknown?][] = [
        ["GET", "/v1/me"],
        ["POST", "/v1/me/password", { currentPassword: "x", newPassword: "y" }],
        ["POST", "/v1/auth/login", { email: "a@example.com", password: "x" }],
        ["POST", "/v1/auth/refresh", { refreshToken: "x" }],
        ["POST", "/v1/auth/logout"],
        ["POST", "/v1/auth/switch", { org: slug }],
        ["POST", "/v1/invitations/accept", { token: "x" }],
        ["POST", "/admin/login", {}],
      ];
      for (const [method, path, body] of refused) {
        await assertProblem(
          await send(method, path, body),
          401,
          "unauthorized",
          `${method} ${path}`,
        );
      }
    });
    await t.step("nothing changed: the member, the key, the org", async () => {
      const members = await app.request(`/v1/orgs/${slug}/members`, { headers: bearer(a.token) });
      assertEquals((await members.json()).items.length, 2);
      const keys = await app.request(`/v1/orgs/${slug}/api-keys`, { headers: bearer(a.token) });
      assertEquals((await keys.json()).items.length, 1);
      const org = await app.request(`/v1/orgs/${slug}`, { headers: bearer(a.token) });
      assertEquals((await org.json()).name, "Key Limits");
      assertEquals((await app.request("/v1/orgs/made-by-a-key")).status, 404);
      assertEquals((await app.request("/v1/me", { headers: bearer(m.token) })).status, 200);
    });
  },
);
