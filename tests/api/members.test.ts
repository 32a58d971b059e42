import { okJson } from "../support/client.ts";
import { ObjectId } from "mongodb";
import { assert, assertEquals, assertProblem } from "../support/assert.ts";
import { markAccepted, unmarkAccepted } from "../../src/identity/invitations.ts";
import {
  addMember,
  createOrgAndLogin,
  createTestApp,
  dbTest,
  json,
  PASSWORD,
} from "../support/app.ts";

Deno.test("role rules: owners, admins, members and the last owner", dbTest, async (t) => {
  await using app = await createTestApp();
  const slug = "roles-co";
  const owner = await createOrgAndLogin(app, "Roles Co");
  const admin = await addMember(app, owner.token, slug, "admin");
  const member = await addMember(app, owner.token, slug, "member");
  const setRole = (token: string, userId: string, role: "owner" | "admin" | "member") =>
    app.client(token).v1.orgs[":slug"].members[":userId"].$patch({
      param: { slug, userId },
      json: { role },
    });

  await t.step("members list shows everyone to any member", async () => {
    const res = await app.client(member.token).v1.orgs[":slug"].members.$get({
      param: { slug },
      query: {},
    });
    assertEquals(res.status, 200);
    if (res.status !== 200) return;
    const body = await res.json();
    assertEquals(body.items.map((m) => m.role), ["owner", "admin", "member"]);
    assertEquals(body.nextCursor, null);
  });
  await t.step("a member cannot change roles, invite or rename", async () => {
    assertEquals((await setRole(member.token, member.userId, "admin")).status, 403);
    const inv = await app.client(member.token).v1.orgs[":slug"].invitations.$post({
      param: { slug },
      json: { email: "x@example.com", role: "member" },
    });
    assertEquals(inv.status, 403);
    const rename = await app.client(member.token).v1.orgs[":slug"].$patch({
      param: { slug },
      json: { name: "Mine" },
    });
    assertEquals(rename.status, 403);
    assertEquals(
      (await app.client(member.token).v1.orgs[":slug"].audit.$get({ param: { slug }, query: {} }))
        .status,
      403,
    );
  });
  await t.step("an admin moves people between member and admin only", async () => {
    assertEquals((await setRole(admin.token, member.userId, "admin")).status, 200);
    assertEquals((await setRole(admin.token, member.userId, "member")).status, 200);
    assertEquals((await setRole(admin.token, member.userId, "owner")).status, 403);
    assertEquals((await setRole(admin.token, owner.admin.id, "member")).status, 403);
    const delOwner = await app.client(admin.token).v1.orgs[":slug"].members[":userId"].$delete({
      param: { slug, userId: owner.admin.id },
    });
    assertEquals(delOwner.status, 403);
    const inviteOwner = await app.client(admin.token).v1.orgs[":slug"].invitations.$post({
      param: { slug },
      json: { email: "boss@example.com", role: "owner" },
    });
    assertEquals(inviteOwner.status, 403);
  });
  await t.step("the role change applies to the member's existing token at once", async () => {
    assertEquals((await setRole(owner.token, member.userId, "admin")).status, 200);
    const audit = await app.client(member.token).v1.orgs[":slug"].audit.$get({
      param: { slug },
      query: {},
    });
    assertEquals(audit.status, 200, "the old token (role member) now acts as admin");
    assertEquals((await setRole(owner.token, member.userId, "member")).status, 200);
    const again = await app.client(member.token).v1.orgs[":slug"].audit.$get({
      param: { slug },
      query: {},
    });
    assertEquals(again.status, 403);
  });
  await t.step("the last owner can neither be demoted nor leave", async () => {
    const demote = await setRole(owner.token, owner.admin.id, "admin");
    await assertProblem(demote, 409, "last_owner");
    const leave = await app.client(owner.token).v1.orgs[":slug"].members[":userId"].$delete({
      param: { slug, userId: owner.admin.id },
    });
    await assertProblem(leave, 409, "last_owner");
  });
  await t.step("with a second owner, the first may step down", async () => {
    assertEquals((await setRole(owner.token, admin.userId, "owner")).status, 200);
    assertEquals((await setRole(owner.token, owner.admin.id, "admin")).status, 200);
    const last = await setRole(admin.token, admin.userId, "member");
    assertEquals(last.status, 409, "the new owner is now the last one");
  });
  await t.step("a member may leave; an unknown member is 404", async () => {
    const leave = await app.client(member.token).v1.orgs[":slug"].members[":userId"].$delete({
      param: { slug, userId: member.userId },
    });
    assertEquals(leave.status, 204);
    assertEquals((await app.client(member.token).v1.me.$get()).status, 401);
    assertEquals((await setRole(admin.token, member.userId, "admin")).status, 404);
    assertEquals((await setRole(admin.token, "not-an-id", "admin")).status, 404);
  });
});

Deno.test(
  "invitations: new and existing users, single use, expiry, revocation",
  dbTest,
  async (t) => {
    let offsetMs = 0;
    await using app = await createTestApp({ now: () => new Date(Date.now() + offsetMs) });
    const slug = "invite-co";
    const owner = await createOrgAndLogin(app, "Invite Co");
    const invite = async (email: string, role: "admin" | "member" = "member") => {
      const res = await app.client(owner.token).v1.orgs[":slug"].invitations.$post({
        param: { slug },
        json: { email, role },
      });
      return { res, body: res.status === 201 ? await res.json() : null };
    };
    const accept = (token: string, password = PASSWORD) =>
      app.client().v1.invitations.accept.$post({ json: { token, password } });

    await t.step("a new user: created with the password, joined with the role", async () => {
      const { res, body } = await invite("New.Person@Example.com", "admin");
      assertEquals(res.status, 201);
      assert(body);
      assertEquals(body.email, "new.person@example.com");
      const stored = await app.deps.db.master.collection("invitations").findOne({});
      assert(
        stored && !JSON.stringify(stored).includes(body.token),
        "only the token's hash is stored",
      );
      const pending = await app.client(owner.token).v1.orgs[":slug"].invitations.$get({
        param: { slug },
        query: {},
      });
      const list = await okJson(pending);
      assertEquals(list.items.length, 1);
      assert(!JSON.stringify(list).includes(body.token), "the token is never listed");
      const joined = await accept(body.token);
      assertEquals(joined.status, 200);
      if (joined.status === 200) assertEquals((await joined.json()).role, "admin");
      const reuse = await accept(body.token);
      await assertProblem(reuse, 404, "invitation_not_found", "single use");
    });
    await t.step("an existing user: accepts signed in, never with a password", async () => {
      const other = await createOrgAndLogin(app, "Elsewhere Co", "existing@example.com");
      const { body } = await invite(other.email);
      assert(body);
      for (const password of ["not the right password", PASSWORD]) {
        const res = await accept(body.token, password);
        await assertProblem(
          res,
          401,
          "sign_in_required",
          "no password is checked here, right or wrong",
        );
      }
      const stranger = await createOrgAndLogin(app, "Stranger Co");
      const wrongUser = await app.client(stranger.token).v1.invitations.accept.$post({
        json: { token: body.token },
      });
      assertEquals(wrongUser.status, 403, "another user's token");
      const ok = await app.client(other.token).v1.invitations.accept.$post({
        json: { token: body.token },
      });
      assertEquals(ok.status, 200, "the refused attempts did not use the invitation up");
      if (ok.status === 200) assertEquals((await ok.json()).org.slug, slug);
      const again = await invite(other.email);
      await assertProblem(again.res, 409, "already_member", "inviting a member is 409");
    });
    await t.step("a new user chooses a password; a token is another user's", async () => {
      const { body } = await invite("fresh@example.com");
      assert(body);
      const none = await app.client().v1.invitations.accept.$post({
        json: { token: body.token },
      });
      await assertProblem(none, 401, "sign_in_required", "sign in, or choose a password");
      const signedIn = await app.client(owner.token).v1.invitations.accept.$post({
        json: { token: body.token, password: PASSWORD },
      });
      assertEquals(signedIn.status, 403, "the invitation is for another email");
      assertEquals((await accept(body.token)).status, 200);
    });
    await t.step("a new user's weak password is refused", async () => {
      const { body } = await invite("weak@example.com");
      assert(body);
      const res = await accept(body.token, "password1");
      await assertProblem(res, 400, "weak_password");
    });
    await t.step("a revoked invitation does not work", async () => {
      const { body } = await invite("revoked@example.com");
      assert(body);
      const del = await app.client(owner.token).v1.orgs[":slug"].invitations[":id"].$delete({
        param: { slug, id: body.id },
      });
      assertEquals(del.status, 204);
      assertEquals((await accept(body.token)).status, 404);
      const delAgain = await app.client(owner.token).v1.orgs[":slug"].invitations[":id"].$delete({
        param: { slug, id: body.id },
      });
      assertEquals(delAgain.status, 404);
    });
    await t.step("an expired invitation does not work", async () => {
      const { body } = await invite("late@example.com");
      assert(body);
      offsetMs = 7 * 86_400_000 + 1000;
      assertEquals((await accept(body.token)).status, 404);
      offsetMs = 0;
    });
    await t.step("another org's invitation id is 404", async () => {
      const other = await createOrgAndLogin(app, "Foreign Co");
      const { body } = await invite("foreign@example.com");
      assert(body);
      const del = await app.client(other.token).v1.orgs[":slug"].invitations[":id"].$delete({
        param: { slug: "foreign-co", id: body.id },
      });
      assertEquals(del.status, 404);
    });
  },
);

Deno.test(
  "invitation acceptance never tells whether the invited email has an account",
  dbTest,
  async () => {
    await using app = await createTestApp();
    const owner = await createOrgAndLogin(app, "Oracle Co");
    const registered = await createOrgAndLogin(app, "Registered Co", "registered@example.com");
    const stranger = await createOrgAndLogin(app, "Stranger Co");
    const invite = async (email: string) => {
      const res = await app.client(owner.token).v1.orgs[":slug"].invitations.$post({
        param: { slug: owner.org.slug },
        json: { email, role: "member" },
      });
      assertEquals(res.status, 201);
      return (await okJson(res)).token;
    };
    const answer = async (res: { status: number; text(): Promise<string> }) => {
      const body = JSON.parse(await res.text());
      return `${res.status} ${body.code} ${body.detail}`;
    };
    const tokens = [await invite(registered.email), await invite("nobody-yet@example.com")];
    const bare = await Promise.all(
      tokens.map(async (token) =>
        await answer(await app.client().v1.invitations.accept.$post({ json: { token } }))
      ),
    );
    assertEquals(bare[0], bare[1], "with neither a token nor a password");
    assert(bare[0].startsWith("401 sign_in_required"), bare[0]);
    const foreign = await Promise.all(tokens.map(async (token) =>
      await answer(
        await app.client(stranger.token).v1.invitations.accept.$post({ json: { token } }),
      )
    ));
    assertEquals(foreign[0], foreign[1], "with another user's token");
    assert(foreign[0].startsWith("403 forbidden"), foreign[0]);
    const joined = await app.client(registered.token).v1.invitations.accept.$post({
      json: { token: tokens[0] },
    });
    assertEquals(joined.status, 200, "the refused attempts used nothing up");
  },
);

Deno.test(
  "INVITATION_LIMIT: invitations created per org per hour, 429 past it",
  dbTest,
  async () => {
    let offsetMs = 0;
    await using app = await createTestApp({
      env: { INVITATION_LIMIT: "3" },
      now: () => new Date(Date.now() + offsetMs),
    });
    const owner = await createOrgAndLogin(app, "Inviting Co");
    const other = await createOrgAndLogin(app, "Other Inviting Co");
    const invite = (s: { token: string; org: { slug: string } }, n: number) =>
      app.client(s.token).v1.orgs[":slug"].invitations.$post({
        param: { slug: s.org.slug },
        json: { email: `invitee${n}@example.com`, role: "member" },
      });
    for (let n = 0; n < 3; n++) assertEquals((await invite(owner, n)).status, 201);
    const refused = await invite(owner, 3);
    await assertProblem(refused, 429, "rate_limited");
    const retry = Number(refused.headers.get("Retry-After"));
    assert(retry > 0 && retry <= 3600, `Retry-After ${retry}`);
    assertEquals(
      await app.deps.db.master.collection("invitations").countDocuments({}),
      3,
      "a refused invitation is not stored",
    );
    assertEquals((await invite(other, 4)).status, 201, "another org has its own count");
    offsetMs = 3600_000 + 1000;
    assertEquals((await invite(owner, 5)).status, 201, "an hour later");
  },
);

Deno.test("pagination: limit and an opaque cursor, then null", dbTest, async () => {
  await using app = await createTestApp();
  const owner = await createOrgAndLogin(app, "Page Co");
  for (let i = 0; i < 4; i++) await addMember(app, owner.token, "page-co", "member");
  const seen: string[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < 10; pages++) {
    const res = await app.client(owner.token).v1.orgs[":slug"].members.$get({
      param: { slug: "page-co" },
      query: { limit: "2", ...(cursor ? { cursor } : {}) },
    });
    assertEquals(res.status, 200);
    if (res.status !== 200) return;
    const body = await res.json();
    seen.push(...body.items.map((m) => m.userId));
    if (!body.nextCursor) break;
    cursor = body.nextCursor;
  }
  assertEquals(seen.length, 5);
  assertEquals(new Set(seen).size, 5);
  const bad = await app.request("/v1/orgs/page-co/members?cursor=zzz", {
    headers: { Authorization: `Bearer ${owner.token}` },
  });
  assertEquals(bad.status, 400);
  const big = await app.request("/v1/orgs/page-co/members?limit=101", {
    headers: { Authorization: `Bearer ${owner.token}` },
  });
  assertEquals(big.status, 400);
});

Deno.test(
  "takeover by invitation: create an org, invite a victim, guess, switch — no token",
  dbTest,
  async () => {
    await using app = await createTestApp();
    const victim = await createOrgAndLogin(app, "Victim Co", "victim@example.com");
    const attacker = await createOrgAndLogin(app, "Trap Co", "attacker@example.com");
    const inv = await app.client(attacker.token).v1.orgs[":slug"].invitations.$post({
      param: { slug: attacker.org.slug },
      json: { email: victim.email, role: "owner" },
    });
    assertEquals(inv.status, 201);
    const { token } = await okJson(inv);
    // A burst of guesses, the right password among them.
    const guesses = ["password guess one", "password guess two", PASSWORD, "guess four!!"];
    const answers = await Promise.all(
      guesses.map((password) => app.request("/v1/invitations/accept", json({ token, password }))),
    );
    for (const r of answers) {
      const body = await assertProblem(r, 401, "sign_in_required");
      assertEquals(body.accessToken, undefined);
    }
    const asAttacker = await app.client(attacker.token).v1.invitations.accept.$post({
      json: { token },
    });
    assertEquals(asAttacker.status, 403);
    // Without a session of the victim, nothing reaches the victim's org.
    const sw = await app.client(attacker.token).v1.auth.switch.$post({
      json: { org: victim.org.slug },
    });
    assertEquals(sw.status, 404);
    assertEquals(
      await app.deps.db.master.collection("sessions").countDocuments({
        userId: new ObjectId(victim.admin.id),
      }),
      1,
      "the victim's own sign-in is their only session",
    );
    const members = await app.client(victim.token).v1.orgs[":slug"].members.$get({
      param: { slug: victim.org.slug },
      query: {},
    });
    assertEquals((await okJson(members)).items.length, 1);
  },
);

Deno.test("an inviter who is removed or demoted loses their invitations", dbTest, async (t) => {
  await using app = await createTestApp();
  const slug = "inviter-co";
  const owner = await createOrgAndLogin(app, "Inviter Co");
  const invite = async (token: string, email: string, role: "admin" | "member") => {
    const res = await app.client(token).v1.orgs[":slug"].invitations.$post({
      param: { slug },
      json: { email, role },
    });
    assertEquals(res.status, 201);
    return await okJson(res);
  };
  const accept = (token: string) =>
    app.client().v1.invitations.accept.$post({ json: { token, password: PASSWORD } });
  const pending = async () => {
    const res = await app.client(owner.token).v1.orgs[":slug"].invitations.$get({
      param: { slug },
      query: {},
    });
    return (await okJson(res)).items.map((i) => i.email).sort();
  };

  await t.step("removed: an admin's alternate address cannot come back", async () => {
    const admin = await addMember(app, owner.token, slug, "admin");
    const alt = await invite(admin.token, "alt-admin@example.com", "admin");
    const del = await app.client(owner.token).v1.orgs[":slug"].members[":userId"].$delete({
      param: { slug, userId: admin.userId },
    });
    assertEquals(del.status, 204);
    assertEquals(await pending(), []);
    const res = await accept(alt.token);
    await assertProblem(res, 404, "invitation_not_found");
  });
  await t.step("demoted to member: every invitation of theirs goes", async () => {
    const admin = await addMember(app, owner.token, slug, "admin");
    const a = await invite(admin.token, "demoted-a@example.com", "admin");
    const m = await invite(admin.token, "demoted-m@example.com", "member");
    const kept = await invite(owner.token, "owners-own@example.com", "member");
    const demote = await app.client(owner.token).v1.orgs[":slug"].members[":userId"].$patch({
      param: { slug, userId: admin.userId },
      json: { role: "member" },
    });
    assertEquals(demote.status, 200);
    assertEquals(await pending(), ["owners-own@example.com"]);
    assertEquals((await accept(a.token)).status, 404);
    assertEquals((await accept(m.token)).status, 404);
    assertEquals((await accept(kept.token)).status, 200, "other inviters' invitations stay");
  });
  await t.step("demoted owner to admin: only the owner invitations go", async () => {
    const second = await addMember(app, owner.token, slug, "owner");
    const asOwner = await app.client(second.token).v1.orgs[":slug"].invitations.$post({
      param: { slug },
      json: { email: "future-owner@example.com", role: "owner" },
    });
    assertEquals(asOwner.status, 201);
    const ownerInv = await okJson(asOwner);
    const adminInv = await invite(second.token, "future-admin@example.com", "admin");
    const demote = await app.client(owner.token).v1.orgs[":slug"].members[":userId"].$patch({
      param: { slug, userId: second.userId },
      json: { role: "admin" },
    });
    assertEquals(demote.status, 200);
    assertEquals((await accept(ownerInv.token)).status, 404);
    assertEquals((await accept(adminInv.token)).status, 200);
  });
  await t.step("acceptance re-checks the inviter itself", async () => {
    const admin = await addMember(app, owner.token, slug, "admin");
    const inv = await invite(admin.token, "recheck@example.com", "admin");
    // The role changes behind the service's back (no revocation ran): acceptance still refuses.
    await app.deps.db.master.collection("memberships").updateOne(
      { userId: new ObjectId(admin.userId) },
      { $set: { role: "member" } },
    );
    assertEquals((await accept(inv.token)).status, 404);
  });
});

Deno.test(
  "undoing a failed acceptance reopens the invitation only if this acceptance marked it",
  dbTest,
  async () => {
    await using app = await createTestApp();
    const owner = await createOrgAndLogin(app, "Undo Co");
    const inv = await app.client(owner.token).v1.orgs[":slug"].invitations.$post({
      param: { slug: owner.org.slug },
      json: { email: "undo@example.com", role: "member" },
    });
    const { id } = await okJson(inv);
    const db = app.deps.db.master;
    const invitations = db.collection("invitations");
    const now = app.deps.now();
    const mine = await markAccepted(db, id, now);
    assert(mine, "marked");
    // What FerretDB's non-atomic update allows: a concurrent acceptance marked it too, later.
    await invitations.updateOne({ _id: new ObjectId(id) }, { $set: { acceptedBy: "theirs" } });
    await unmarkAccepted(db, id, mine);
    assert((await invitations.findOne({ _id: new ObjectId(id) }))?.acceptedAt, "still used");
    assertEquals(await markAccepted(db, id, now), null, "and not acceptable again");
    // Its own mark, it undoes.
    await invitations.updateOne({ _id: new ObjectId(id) }, {
      $set: { acceptedAt: null },
      $unset: { acceptedBy: "" },
    });
    const again = await markAccepted(db, id, now);
    assert(again);
    await unmarkAccepted(db, id, again);
    assertEquals((await invitations.findOne({ _id: new ObjectId(id) }))?.acceptedAt, null);
  },
);
