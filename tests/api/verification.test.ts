/**
 * Email verification and invitations by mail (docs/api.md, "Email: verification, password reset,
 * invitations by mail"), through the typed client, with mail going through the outbox to a real
 * SMTP server on a loopback port: each test follows the link of the mail that arrived.
 */
import { okJson } from "../support/client.ts";
import { ObjectId } from "mongodb";
import {
  createOrgAndLogin,
  createOrgSignedIn,
  dbTest,
  PASSWORD,
  type TestApp,
} from "../support/app.ts";
import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import { createMailApp } from "../support/mailbox.ts";
import { linkIn } from "../support/smtp.ts";
import { sleep } from "../../tools/lib/wait.ts";
import { problemOf } from "../../src/client.ts";
import { tag } from "../../src/platform/cache.ts";

const verify = (t: TestApp, token: string) =>
  t.client().v1.auth.email.verify.$post({ json: { token } });
const verified = async (t: TestApp, token: string) =>
  (await okJson(await t.client(token).v1.me.$get())).user.emailVerified;
const login = (t: TestApp, email: string, password: string) =>
  t.client().v1.auth.login.$post({ json: { email, password } });

async function auditTypes(t: TestApp, slug: string): Promise<string[]> {
  const org = await t.deps.db.master.collection("orgs").findOne({ slug });
  const events = await t.deps.db.tenantDb(org as never).collection("_audit_log").find({}).toArray();
  return events.map((e) => e.type);
}

Deno.test(
  "sign-up starts unverified and mails a link that verifies the email, audited in each org",
  dbTest,
  async () => {
    await using m = await createMailApp();
    const t = m.app;
    const owner = await createOrgAndLogin(t, "Verify Co", "vera@example.com");
    await createOrgSignedIn(t, owner.token, "Verify Two");
    assertEquals(await verified(t, owner.token), false);
    const token = await m.tokenFrom("vera@example.com", "verify");
    assertMatch(token, /^vfy_[A-Za-z0-9_-]{43}$/);
    const [mail] = m.mailsTo("vera@example.com");
    assertMatch(mail.parsed.subject ?? "", /Verify Co/);
    assert(linkIn(String(mail.parsed.html), "verify"), "the link is in the HTML too");
    const res = await verify(t, token);
    assertEquals(res.status, 204);
    assertEquals(await verified(t, owner.token), true);
    for (const slug of ["verify-co", "verify-two"]) {
      assert((await auditTypes(t, slug)).includes("user.email_verified"), slug);
    }
    // Once verified: a spent link is 400, and asking for a new mail is 409.
    assertEquals((await problemOf(await verify(t, token)))?.code, "invalid_token");
    const again = await t.client(owner.token).v1.me.email.verification.$post();
    assertEquals(again.status, 409);
    assertEquals((await problemOf(again))?.code, "already_verified");
  },
);

Deno.test(
  "unknown, spent, expired and tampered verification tokens are 400 invalid_token and verify nothing",
  dbTest,
  async () => {
    let offsetMs = 0;
    await using m = await createMailApp({}, { now: () => new Date(Date.now() + offsetMs) });
    const t = m.app;
    const owner = await createOrgAndLogin(t, "Tamper Co", "tamper@example.com");
    const token = await m.tokenFrom("tamper@example.com", "verify");
    const refused = async (tok: string) => {
      const res = await verify(t, tok);
      assertEquals(res.status, 400, tok);
      assertEquals((await problemOf(res))?.code, "invalid_token");
      assertEquals(await verified(t, owner.token), false, "nothing changed");
    };
    await refused(token.slice(0, -1) + (token.at(-1) === "A" ? "B" : "A"));
    await refused("vfy_" + "q".repeat(43));
    await refused("rst_" + token.slice(4));
    offsetMs = 25 * 3600_000;
    await refused(token);
    offsetMs = 0;
    assertEquals((await verify(t, token)).status, 204);
  },
);

Deno.test(
  "a new verification mail makes the earlier links stop working; at most 3 an hour (429)",
  dbTest,
  async () => {
    await using m = await createMailApp();
    const t = m.app;
    const owner = await createOrgAndLogin(t, "Again Co", "again@example.com");
    const first = await m.tokenFrom("again@example.com", "verify", 1);
    const me = t.client(owner.token).v1.me.email.verification;
    const res = await me.$post();
    assertEquals(res.status, 202);
    assertEquals(await res.json(), { status: "accepted" });
    const second = await m.tokenFrom("again@example.com", "verify", 2);
    assertEquals((await me.$post()).status, 202); // the third mail this hour
    const limited = await me.$post();
    assertEquals(limited.status, 429);
    assert(limited.headers.get("Retry-After"));
    await m.tokenFrom("again@example.com", "verify", 3);
    await sleep(300);
    assertEquals(m.mailsTo("again@example.com").length, 3, "no fourth mail");
    assertEquals((await problemOf(await verify(t, first)))?.code, "invalid_token");
    assertEquals((await problemOf(await verify(t, second)))?.code, "invalid_token");
    const third = await m.tokenFrom("again@example.com", "verify", 3);
    assertEquals((await verify(t, third)).status, 204);
  },
);

Deno.test("users that existed before verification count as unverified", dbTest, async () => {
  await using m = await createMailApp();
  const owner = await createOrgAndLogin(m.app, "Old Co", "old@example.com");
  // A user document as it was before: no verification field at all.
  await m.app.deps.db.master.collection("users").updateOne(
    { email: "old@example.com" },
    { $unset: { emailVerifiedAt: "" } },
  );
  m.app.deps.cache.forget(tag.user(owner.admin.id));
  assertEquals(await verified(m.app, owner.token), false);
});

Deno.test(
  "REQUIRE_VERIFIED_EMAIL=1: an unverified user's right password is 403 email_unverified with a new mail; a wrong one stays 401",
  dbTest,
  async () => {
    await using m = await createMailApp({ REQUIRE_VERIFIED_EMAIL: "1" });
    const t = m.app;
    const created = await t.client().v1.orgs.$post({
      json: { name: "Strict Co", admin: { email: "strict@example.com", password: PASSWORD } },
    });
    assertEquals(created.status, 201);
    await m.tokenFrom("strict@example.com", "verify", 1);
    const wrong = await login(t, "strict@example.com", "not the right password");
    assertEquals(wrong.status, 401);
    const right = await login(t, "strict@example.com", PASSWORD);
    assertEquals(right.status, 403);
    assertEquals((await problemOf(right))?.code, "email_unverified");
    const token = await m.tokenFrom("strict@example.com", "verify", 2);
    assertEquals((await verify(t, token)).status, 204);
    assertEquals((await login(t, "strict@example.com", PASSWORD)).status, 200);
  },
);

Deno.test(
  "REQUIRE_VERIFIED_EMAIL=1: no way to tokens skips it: accepting an invitation, refresh and switching orgs are 403 email_unverified too",
  dbTest,
  async () => {
    await using m = await createMailApp({ REQUIRE_VERIFIED_EMAIL: "1" });
    const t = m.app;
    const created = await t.client().v1.orgs.$post({
      json: { name: "Gate Co", admin: { email: "gate@example.com", password: PASSWORD } },
    });
    assertEquals(created.status, 201);
    const ownerId = (await okJson(created)).admin!.id;
    assertEquals((await verify(t, await m.tokenFrom("gate@example.com", "verify", 1))).status, 204);
    const signedIn = await login(t, "gate@example.com", PASSWORD);
    assertEquals(signedIn.status, 200);
    const owner = await okJson(signedIn);

    // Accepting through the inviter's token: the new member joins, but gets no tokens before
    // the address is verified, and is sent one verification mail (besides the invitation's).
    const invited = await t.client(owner.accessToken).v1.orgs[":slug"].invitations.$post({
      param: { slug: "gate-co" },
      json: { email: "joiner@example.com", role: "member" },
    });
    const shown = (await okJson(invited)).token;
    const accepted = await t.client().v1.invitations.accept.$post({
      json: { token: shown, password: PASSWORD },
    });
    assertEquals(accepted.status, 403);
    assertEquals((await problemOf(accepted))?.code, "email_unverified");
    const members = await okJson(
      await t.client(owner.accessToken).v1.orgs[":slug"].members.$get({
        param: { slug: "gate-co" },
        query: {},
      }),
    );
    assert(members.items.some((i) => i.email === "joiner@example.com"), "joined all the same");
    const joinerVerify = await m.tokenFrom("joiner@example.com", "verify", 1);
    await sleep(300);
    assertEquals(m.mailsTo("joiner@example.com").length, 2, "the invitation and one verification");
    assertEquals((await verify(t, joinerVerify)).status, 204);
    assertEquals((await login(t, "joiner@example.com", PASSWORD)).status, 200);

    // A user whose tokens predate the rule (their address unverified): refresh and switching
    // orgs answer 403 and leave the refresh token current, to be used once the address is.
    const second = await createOrgSignedIn(t, owner.accessToken, "Gate Two");
    await t.deps.db.master.collection("users").updateOne(
      { email: "gate@example.com" },
      { $unset: { emailVerifiedAt: "" } },
    );
    t.deps.cache.forget(tag.user(ownerId));
    const refresh = (refreshToken: string) =>
      t.client().v1.auth.refresh.$post({ json: { refreshToken } });
    const refused = await refresh(second.refreshToken);
    assertEquals(refused.status, 403);
    assertEquals((await problemOf(refused))?.code, "email_unverified");
    const switched = await t.client(second.token).v1.auth.switch.$post({
      json: { org: "gate-co" },
    });
    assertEquals(switched.status, 403);
    assertEquals((await problemOf(switched))?.code, "email_unverified");
    // Each refusal sent a new mail (at most 3 an hour): the latest link verifies.
    assertEquals((await verify(t, await m.tokenFrom("gate@example.com", "verify", 3))).status, 204);
    assertEquals((await refresh(second.refreshToken)).status, 200);
  },
);

Deno.test(
  "invitations are mailed with a token of their own: either accepts, one spends both; the mailed one verifies a new user, the inviter's does not",
  dbTest,
  async () => {
    await using m = await createMailApp();
    const t = m.app;
    const owner = await createOrgAndLogin(t, "Invite Co", "boss@example.com");
    const invite = async (email: string) => {
      const res = await t.client(owner.token).v1.orgs[":slug"].invitations.$post({
        param: { slug: "invite-co" },
        json: { email, role: "member" },
      });
      assertEquals(res.status, 201);
      return (await okJson(res)).token;
    };
    const accept = (token: string) =>
      t.client().v1.invitations.accept.$post({ json: { token, password: PASSWORD } });

    // Through the mailed token: a verified new user; the inviter's token is spent with it.
    const shownA = await invite("mailed@example.com");
    const mailedA = await m.tokenFrom("mailed@example.com", "accept");
    assert(mailedA !== shownA, "the mail carries a token of its own");
    const [mail] = m.mailsTo("mailed@example.com");
    assertMatch(mail.parsed.subject ?? "", /Invite Co/);
    const joined = await accept(mailedA);
    assertEquals(joined.status, 200);
    assertEquals(joined.headers.get("Cache-Control"), "no-store");
    assertEquals(await verified(t, (await okJson(joined)).accessToken), true);
    assertEquals((await accept(shownA)).status, 404, "using one spends both");

    // Through the inviter's token: unverified, and sent a verification mail.
    const shownB = await invite("shown@example.com");
    const mailedB = await m.tokenFrom("shown@example.com", "accept");
    const joinedB = await accept(shownB);
    assertEquals(joinedB.status, 200);
    assertEquals(await verified(t, (await okJson(joinedB)).accessToken), false);
    assertEquals((await accept(mailedB)).status, 404, "using one spends both");
    await m.tokenFrom("shown@example.com", "verify");
    const user = await t.deps.db.master.collection("users").findOne({ email: "shown@example.com" });
    assert(user?._id instanceof ObjectId);
  },
);
