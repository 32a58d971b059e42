import { assert, assertEquals } from "../support/assert.ts";
import { addMember, createOrgAndLogin, createTestApp, dbTest, PASSWORD } from "../support/app.ts";

type Event = {
  type: string;
  actor: { userId: string | null; email: string | null };
  target: Record<string, string> | null;
  requestId: string | null;
  ip: string;
  at: string;
};

Deno.test(
  "the audit log records each event with its actor, in the org's own database",
  dbTest,
  async (t) => {
    await using app = await createTestApp();
    const slug = "audit-co";
    const owner = await createOrgAndLogin(app, "Audit Co");
    const member = await addMember(app, owner.token, slug, "member");
    const promoted = await app.client(owner.token).v1.orgs[":slug"].members[":userId"].$patch({
      param: { slug, userId: member.userId },
      json: { role: "admin" },
    });
    assertEquals(promoted.status, 200);
    await app.request(`/v1/orgs/${slug}/members/${member.userId}`, {
      method: "PATCH",
      headers: {
        Authorization: `Bearer ${owner.token}`,
        "Content-Type": "application/json",
        "X-Request-Id": "req-role-1",
      },
      body: JSON.stringify({ role: "admin" }),
    });
    await app.client().v1.auth.login.$post({
      json: { email: owner.email, password: "wrong password guess" },
    });
    await app.client(owner.token).v1.me.password.$post({
      json: { currentPassword: PASSWORD, newPassword: "another long passphrase 7" },
    });
    await app.client(member.token).v1.auth.logout.$post();
    await app.client(owner.token).v1.orgs[":slug"].members[":userId"].$delete({
      param: { slug, userId: member.userId },
    });
    const renamed = await app.client(owner.token).v1.orgs[":slug"].$patch({
      param: { slug },
      json: { name: "Audit Two" },
    });
    assertEquals(renamed.status, 200);

    const events: Event[] = [];
    let cursor: string | undefined;
    do {
      const res = await app.client(owner.token).v1.orgs[":slug"].audit.$get({
        param: { slug: "audit-two" },
        query: { limit: "3", ...(cursor ? { cursor } : {}) },
      });
      assertEquals(res.status, 200);
      if (res.status !== 200) return;
      const body = await res.json();
      events.push(...body.items as Event[]);
      cursor = body.nextCursor ?? undefined;
    } while (cursor);

    await t.step("newest first", () => {
      const times = events.map((e) => e.at);
      assertEquals([...times].sort().reverse(), times);
      assertEquals(events[0].type, "org.renamed");
      assertEquals(events[events.length - 1].type, "org.created");
    });
    const find = (type: string) => events.filter((e) => e.type === type);
    await t.step("each event, with the right actor", () => {
      for (
        const type of [
          "org.created",
          "org.renamed",
          "member.invited",
          "member.joined",
          "member.removed",
          "member.role_changed",
          "login.succeeded",
          "login.failed",
          "session.revoked",
          "password.changed",
        ]
      ) assert(find(type).length > 0, `missing ${type}`);
      assertEquals(find("org.created")[0].actor.userId, owner.admin.id);
      assertEquals(find("member.invited")[0].actor.userId, owner.admin.id);
      assertEquals(find("member.joined")[0].actor.userId, member.userId);
      assertEquals(find("member.removed")[0].target?.userId, member.userId);
      assertEquals(find("member.removed")[0].actor.userId, owner.admin.id);
      assertEquals(find("session.revoked")[0].actor.userId, member.userId);
      assertEquals(find("login.failed")[0].actor.userId, owner.admin.id);
      assertEquals(find("org.renamed")[0].target, { from: "Audit Co", to: "Audit Two" });
      const role = find("member.role_changed").find((e) => e.requestId === "req-role-1");
      assert(!role, "the second role change (same role) is not an event");
      assertEquals(find("member.role_changed")[0].target, {
        userId: member.userId,
        from: "member",
        to: "admin",
      });
    });
    await t.step("every event has a time, request id and client address", () => {
      for (const e of events) {
        assert(e.requestId, `${e.type} has no request id`);
        assertEquals(e.ip, "unknown");
      }
    });
    await t.step("stored in the org's own database", async () => {
      const db = app.deps.db.clients.default.db(`${app.config.tenantDbPrefix}${owner.org.id}`);
      assertEquals(await db.collection("_audit_log").countDocuments({}), events.length);
    });
  },
);

Deno.test("one org's events are never visible to another org", dbTest, async () => {
  await using app = await createTestApp();
  const a = await createOrgAndLogin(app, "Private A");
  const b = await createOrgAndLogin(app, "Private B");
  const res = await app.client(b.token).v1.orgs[":slug"].audit.$get({
    param: { slug: a.org.slug },
    query: {},
  });
  assertEquals(res.status, 404);
  const own = await app.client(b.token).v1.orgs[":slug"].audit.$get({
    param: { slug: b.org.slug },
    query: {},
  });
  assertEquals(own.status, 200);
  if (own.status !== 200) return;
  const text = JSON.stringify(await own.json());
  assert(!text.includes(a.org.id) && !text.includes(a.email) && !text.includes("Private A"));
});
