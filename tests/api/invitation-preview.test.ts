/** POST /v1/invitations/preview: what an invitation is, for the page that opens its link. */
import { assertEquals, assertProblem } from "../support/assert.ts";
import { addMember, createOrgAndLogin, createTestApp, dbTest, PASSWORD } from "../support/app.ts";

Deno.test(
  "invitation preview names the org, the role and the inviter while the invitation is pending",
  dbTest,
  async (t) => {
    let now = new Date();
    await using app = await createTestApp({ now: () => now });
    const a = await createOrgAndLogin(app, "Preview Org", "owner-preview@example.com");
    const slug = a.org.slug;
    const invite = async (token: string, email: string, role: "admin" | "member") => {
      const res = await app.client(token).v1.orgs[":slug"].invitations.$post({
        param: { slug },
        json: { email, role },
      });
      if (res.status !== 201) throw new Error(`invite ${res.status} ${await res.text()}`);
      return await res.json();
    };
    const preview = (token: string) =>
      app.client().v1.invitations.preview.$post({ json: { token } });

    await t.step(
      "a pending invitation: 200 with the org, role, email, inviter, expiry",
      async () => {
        const inv = await invite(a.token, "Grace@Example.com", "admin");
        const res = await preview(inv.token);
        assertEquals(res.status, 200);
        assertEquals(res.headers.get("Cache-Control"), "no-store");
        if (res.status !== 200) return;
        assertEquals(await res.json(), {
          org: { name: "Preview Org", slug },
          role: "admin",
          email: "grace@example.com",
          invitedBy: { email: "owner-preview@example.com" },
          expiresAt: inv.expiresAt,
        });
      },
    );

    await t.step(
      "unknown, malformed and accepted tokens are all 404 invitation_not_found",
      async () => {
        await assertProblem(await preview("inv_unknown"), 404, "invitation_not_found");
        await assertProblem(await preview("x".repeat(100)), 404, "invitation_not_found");
        const inv = await invite(a.token, "used@example.com", "member");
        const ok = await app.client().v1.invitations.accept.$post({
          json: { token: inv.token, password: PASSWORD },
        });
        assertEquals(ok.status, 200);
        await assertProblem(await preview(inv.token), 404, "invitation_not_found");
      },
    );

    await t.step("a revoked invitation (or one resent) is 404", async () => {
      const inv = await invite(a.token, "revoked@example.com", "member");
      const del = await app.client(a.token).v1.orgs[":slug"].invitations[":id"].$delete({
        param: { slug, id: inv.id },
      });
      assertEquals(del.status, 204);
      await assertProblem(await preview(inv.token), 404, "invitation_not_found");
      const first = await invite(a.token, "twice@example.com", "member");
      await invite(a.token, "twice@example.com", "member");
      await assertProblem(await preview(first.token), 404, "invitation_not_found");
    });

    await t.step("an invitation whose inviter may no longer grant its role is 404", async () => {
      const admin = await addMember(app, a.token, slug, "admin");
      const inv = await invite(admin.token, "by-admin@example.com", "admin");
      assertEquals((await preview(inv.token)).status, 200);
      const demote = await app.client(a.token).v1.orgs[":slug"].members[":userId"].$patch({
        param: { slug, userId: admin.userId },
        json: { role: "member" },
      });
      assertEquals(demote.status, 200);
      await assertProblem(await preview(inv.token), 404, "invitation_not_found");
    });

    await t.step("an expired invitation is 404", async () => {
      const inv = await invite(a.token, "late@example.com", "member");
      now = new Date(Date.parse(inv.expiresAt) + 1000);
      await assertProblem(await preview(inv.token), 404, "invitation_not_found");
    });

    await t.step("a body with anything but the token, or a long token, is 400", async () => {
      const res = await app.request("/v1/invitations/preview", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ token: "inv_x", email: "x@example.com" }),
      });
      await assertProblem(res, 400, "validation_failed");
      await assertProblem(await preview("x".repeat(101)), 400, "validation_failed");
      await assertProblem(await preview(""), 400, "validation_failed");
    });
  },
);
