/**
 * Password reset by mail (docs/api.md, "Accounts by mail"),
 * through the typed client and HTTP, with mail going through the outbox to a real SMTP server on
 * a loopback port: each test reads the mail that arrived and follows its link.
 */
import { okJson } from "../support/client.ts";
import {
  createOrgAndLogin,
  createOrgSignedIn,
  createTestApp,
  dbTest,
  json,
  mongoUri,
  PASSWORD,
  requestFrom,
  type TestApp,
} from "../support/app.ts";
import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import { createMailApp, PUBLIC_URL, tokenOf } from "../support/mailbox.ts";
import { linkIn } from "../support/smtp.ts";
import { sleep, waitUntil } from "../../tools/lib/wait.ts";
import { createMailer } from "../../src/platform/mail.ts";
import { MAIL_KIND, mailKind, queueMail } from "../../src/outbox/mail.ts";
import { sendDue } from "../../src/outbox/sender.ts";
import { problemOf } from "../../src/client.ts";

const NEW_PASSWORD = "a brand new passphrase for ada";

const forgot = (t: TestApp, email: string) =>
  t.client().v1.auth.password.forgot.$post({ json: { email } });
const reset = (t: TestApp, token: string, newPassword = NEW_PASSWORD) =>
  t.client().v1.auth.password.reset.$post({ json: { token, newPassword } });
const login = (t: TestApp, email: string, password: string, org?: string) =>
  t.client().v1.auth.login.$post({ json: { email, password, ...(org ? { org } : {}) } });

/** What a reset must not have touched: the password hash and the live sessions. */
async function accountState(t: TestApp, email: string) {
  const user = await t.deps.db.master.collection("users").findOne({ email });
  const live = await t.deps.db.master.collection("sessions").countDocuments({
    userId: user!._id,
    revokedAt: null,
  });
  return { hash: user!.passwordHash, verified: user!.emailVerifiedAt ?? null, live };
}

async function auditTypes(t: TestApp, slug: string): Promise<string[]> {
  const org = await t.deps.db.master.collection("orgs").findOne({ slug });
  const events = await t.deps.db.tenantDb(org as never).collection("_audit_log").find({}).toArray();
  return events.map((e) => e.type);
}

Deno.test(
  "forgot password: the mailed link sets a new password, revokes every session, spends the other links and verifies the email",
  dbTest,
  async () => {
    await using m = await createMailApp();
    const t = m.app;
    const owner = await createOrgAndLogin(t, "Reset Co", "ada@example.com");
    const second = await createOrgSignedIn(t, owner.token, "Reset Two");
    const res = await forgot(t, "ADA@example.com ");
    assertEquals(res.status, 202);
    assertEquals(await res.json(), { status: "accepted" });
    assertEquals(res.headers.get("Cache-Control"), "no-store");
    const first = await m.tokenFrom("ada@example.com", "reset", 1);
    assertEquals((await forgot(t, "ada@example.com")).status, 202);
    const other = await m.tokenFrom("ada@example.com", "reset", 2);
    const mail =
      m.mailsTo("ada@example.com").filter((r) => linkIn(r.parsed.text ?? "", "reset"))[0];
    assertEquals(
      linkIn(String(mail.parsed.html), "reset"),
      `${PUBLIC_URL}/console/#/reset?token=${encodeURIComponent(first)}`,
      "the link is in the HTML too",
    );
    assertMatch(first, /^rst_[A-Za-z0-9_-]{43}$/, "256 random bits");
    assertEquals((await accountState(t, "ada@example.com")).verified, null, "unverified so far");

    const done = await reset(t, first);
    assertEquals(done.status, 204);
    assertEquals(done.headers.get("Cache-Control"), "no-store");
    // Every session of the user is revoked, the current one included.
    assertEquals((await t.client(owner.token).v1.me.$get()).status, 401);
    assertEquals((await t.client(second.token).v1.me.$get()).status, 401);
    const refreshed = await t.client().v1.auth.refresh.$post({
      json: { refreshToken: owner.refreshToken },
    });
    assertEquals(refreshed.status, 401);
    assertEquals((await login(t, "ada@example.com", PASSWORD, "reset-co")).status, 401);
    const signedIn = await login(t, "ada@example.com", NEW_PASSWORD, "reset-co");
    assertEquals(signedIn.status, 200);
    const me = await t.client((await okJson(signedIn)).accessToken).v1.me.$get();
    assertEquals((await okJson(me)).user.emailVerified, true, "the mail proved the address");
    // The token works once, and the other link mailed earlier is spent too.
    assertEquals((await reset(t, first, "yet another passphrase 42")).status, 400);
    const spent = await reset(t, other, "yet another passphrase 42");
    assertEquals(spent.status, 400);
    assertEquals((await problemOf(spent))?.code, "invalid_token");
    for (const slug of ["reset-co", "reset-two"]) {
      assert((await auditTypes(t, slug)).includes("user.password_reset"), slug);
    }
    // The token left the outbox once the mail was sent.
    const items = await t.deps.db.master.collection("outbox").find({}).toArray();
    assert(!JSON.stringify(items).includes(first), "no stored item holds the token");
  },
);

Deno.test(
  "forgot password for an unknown email: the same answer and the same database work as for a known one, and no mail",
  dbTest,
  async () => {
    const uri = new URL(mongoUri());
    uri.searchParams.set("monitorCommands", "true");
    await using t = await createTestApp({ uri: uri.toString() });
    const commands: string[] = [];
    t.deps.db.clients.default.on("commandStarted", (e) => {
      const target = e.command[e.commandName];
      commands.push(
        `${e.databaseName === t.config.masterDb ? "master" : "other"}.${
          typeof target === "string" ? target : ""
        }.${e.commandName}`,
      );
    });
    await createOrgAndLogin(t, "Known Co", "known@example.com");
    await sleep(50); // the sign-up's verification mail is queued
    const outbox = () => t.deps.db.master.collection("outbox").countDocuments({});
    const before = await outbox();
    const attempt = async (email: string) => {
      commands.length = 0;
      const started = performance.now();
      const res = await forgot(t, email);
      const done = [...commands].sort();
      return { status: res.status, body: await res.text(), done, ms: performance.now() - started };
    };
    const unknown = await attempt("nobody@example.com");
    const known = await attempt("known@example.com");
    assertEquals([known.status, known.body], [unknown.status, unknown.body]);
    assert(known.done.length > 0, "the commands were seen");
    assertEquals(known.done, unknown.done, "the same commands before the answer");
    await waitUntil(async () => await outbox() === before + 1, "the known email's reset mail");
    await sleep(100);
    assertEquals(await outbox(), before + 1, "nothing queued for the unknown email");
  },
);

Deno.test(
  "mail bombing: at most 3 reset mails per email per hour, every request still 202",
  dbTest,
  async () => {
    await using m = await createMailApp();
    await createOrgAndLogin(m.app, "Bomb Co", "target@example.com");
    for (let i = 0; i < 8; i++) {
      const res = await forgot(m.app, "target@example.com");
      assertEquals([res.status, await res.json()], [202, { status: "accepted" }]);
    }
    await m.tokenFrom("target@example.com", "reset", 3);
    await sleep(500);
    const resets = m.mailsTo("target@example.com")
      .filter((r) => linkIn(r.parsed.text ?? "", "reset"));
    assertEquals(resets.length, 3);
    const tokens = await m.app.deps.db.master.collection("account_tokens")
      .countDocuments({ purpose: "password_reset" });
    assertEquals(tokens, 3, "no token beyond the limit either");
  },
);

Deno.test(
  "unknown, spent, expired and tampered reset tokens are 400 invalid_token and change nothing",
  dbTest,
  async () => {
    let offsetMs = 0;
    await using m = await createMailApp({ PASSWORD_RESET_TTL_MINUTES: "30" }, {
      now: () => new Date(Date.now() + offsetMs),
    });
    const t = m.app;
    await createOrgAndLogin(t, "Token Co", "grace@example.com");
    await forgot(t, "grace@example.com");
    const token = await m.tokenFrom("grace@example.com", "reset");
    let state = await accountState(t, "grace@example.com");
    const refused = async (tok: string) => {
      const res = await reset(t, tok);
      assertEquals(res.status, 400, tok);
      assertEquals((await problemOf(res))?.code, "invalid_token");
      assertEquals(await accountState(t, "grace@example.com"), state, "nothing changed");
    };
    const last = token.at(-1) === "A" ? "B" : "A";
    await refused(token.slice(0, -1) + last); // tampered
    await refused("rst_" + "x".repeat(43)); // unknown
    await refused("vfy_" + token.slice(4)); // another purpose's prefix
    await refused(token + "A"); // longer
    offsetMs = 31 * 60_000;
    await refused(token); // expired
    offsetMs = 0;
    assertEquals((await reset(t, token)).status, 204, "the real token, in time, works");
    state = await accountState(t, "grace@example.com");
    await refused(token); // spent
  },
);

Deno.test(
  "a weak new password is 400 weak_password and leaves the reset link usable",
  dbTest,
  async () => {
    await using m = await createMailApp();
    await createOrgAndLogin(m.app, "Weak Co", "weak@example.com");
    await forgot(m.app, "weak@example.com");
    const token = await m.tokenFrom("weak@example.com", "reset");
    const weak = await reset(m.app, token, "password123");
    assertEquals(weak.status, 400);
    assertEquals((await problemOf(weak))?.code, "weak_password");
    const short = await reset(m.app, token, "short");
    assertEquals(short.status, 400);
    assertEquals((await reset(m.app, token)).status, 204);
  },
);

Deno.test(
  "reset attempts count on the client address's throttle: wrong tokens past LOGIN_ADDRESS_LIMIT are 429",
  dbTest,
  async () => {
    await using m = await createMailApp({ LOGIN_ADDRESS_LIMIT: "3" });
    await createOrgAndLogin(m.app, "Guess Co", "guess@example.com");
    await forgot(m.app, "guess@example.com");
    const token = await m.tokenFrom("guess@example.com", "reset");
    const body = (tok: string) => json({ token: tok, newPassword: NEW_PASSWORD });
    const from = (ip: string, tok: string) =>
      requestFrom(m.app, ip, "/v1/auth/password/reset", body(tok));
    for (let i = 0; i < 3; i++) {
      assertEquals((await from("203.0.113.9", `rst_${"g".repeat(42)}${i}`)).status, 400);
    }
    const limited = await from("203.0.113.9", token);
    assertEquals(limited.status, 429);
    assert(limited.headers.get("Retry-After"));
    const state = await accountState(m.app, "guess@example.com");
    assertEquals(state.verified, null, "the refused attempt changed nothing");
    // Another address is not held back, and the valid token still works from it.
    assertEquals((await from("198.51.100.7", token)).status, 204);
  },
);

Deno.test(
  "MAIL=off: forgot password and a new verification mail are 503 mail_disabled",
  dbTest,
  async () => {
    await using t = await createTestApp({ env: { MAIL: "off" } });
    const owner = await createOrgAndLogin(t, "Quiet Co", "quiet@example.com");
    const res = await forgot(t, "quiet@example.com");
    assertEquals(res.status, 503);
    assertEquals((await problemOf(res))?.code, "mail_disabled");
    const again = await t.client(owner.token).v1.me.email.verification.$post();
    assertEquals(again.status, 503);
    assertEquals((await problemOf(again))?.code, "mail_disabled");
    assertEquals(await t.deps.db.master.collection("outbox").countDocuments({}), 0);
  },
);

Deno.test(
  "a reset link is never logged: in development only the .eml file's path",
  dbTest,
  async () => {
    const dataDir = await Deno.makeTempDir();
    await using t = await createTestApp({ env: { DATA_DIR: dataDir } });
    assertEquals(t.config.mail.mode, "files");
    await createOrgAndLogin(t, "Logged Co", "logged@example.com");
    await forgot(t, "logged@example.com");
    await waitUntil(
      async () =>
        await t.deps.db.master.collection("outbox").countDocuments({ key: /^mail:reset:/ }) === 1,
      "the reset mail queued",
    );
    const mailer = createMailer(t.config.mail, dataDir, t.deps.log);
    try {
      await sendDue(t.deps, { [MAIL_KIND]: mailKind(mailer, t.config.mail) });
    } finally {
      mailer.close();
    }
    const files: string[] = [];
    for await (const f of Deno.readDir(`${dataDir}/mail`)) files.push(`${dataDir}/mail/${f.name}`);
    const eml = await Promise.all(files.map((f) => Deno.readTextFile(f)));
    const resetMail = eml.find((text) => text.includes("#/reset?token="));
    assert(resetMail, "the reset mail was written as a file");
    const token = tokenOf(linkIn(resetMail.replace(/=\r?\n/g, ""), "reset")!);
    const logs = t.logs.join("\n");
    assert(files.every((f) => logs.includes(f)), "each file's path is logged");
    assert(!logs.includes(token), "the token is not");
    assert(!logs.includes("#/reset"), "nor the link");
    await Deno.remove(dataDir, { recursive: true });
  },
);

Deno.test(
  "no header injection: CR/LF in an org name is refused, and one queued anyway stays inside its header",
  dbTest,
  async () => {
    await using m = await createMailApp();
    const t = m.app;
    const evil = "Evil\r\nBcc: victim@example.net\r\nSubject: pwned";
    const created = await t.client().v1.orgs.$post({
      json: { name: evil, admin: { email: "evil@example.com", password: PASSWORD } },
    });
    assertEquals(created.status, 400);
    await queueMail(t.deps.db.master, {
      key: "invitation:injection",
      to: "invitee@example.com",
      template: "invitation",
      vars: { token: "inv_" + "z".repeat(43), orgName: evil, role: "member" },
    });
    await waitUntil(() => m.mailsTo("invitee@example.com").length === 1, "the invitation mail");
    const [mail] = m.mailsTo("invitee@example.com");
    assertEquals(mail.envelopeTo, ["invitee@example.com"]);
    assertEquals(mail.parsed.bcc, undefined);
    const head = mail.raw.split("\r\n\r\n")[0];
    assert(!/^Bcc:/im.test(head), "no Bcc header");
    assertEquals((head.match(/^Subject:/gim) ?? []).length, 1, "one Subject header");
    assert(!mail.parsed.subject?.includes("\n"));
  },
);

Deno.test(
  "work done after the answer survives a stop: a reset asked just before closing gets its mail queued, a wrong password its audit entry",
  dbTest,
  async () => {
    const t = await createTestApp();
    const owner = await createOrgAndLogin(t, "Stop Co", "ada@example.com");
    assertEquals((await forgot(t, "ada@example.com")).status, 202);
    assertEquals((await login(t, "ada@example.com", `${PASSWORD}-wrong`)).status, 401);
    // The process stops at once (src/main.ts closes the dependencies after the last answer).
    await t.close({ drop: false });

    await using after = await createTestApp({ sameDatabaseAs: t });
    const queued = await after.deps.db.master.collection("outbox")
      .countDocuments({ key: { $regex: "^mail:reset:" } });
    assertEquals(queued, 1, "the reset mail was queued before the database closed");
    assert(
      (await auditTypes(after, owner.org.slug)).includes("login.failed"),
      "the failed sign-in was audited before the database closed",
    );
    await after.deps.db.master.dropDatabase();
    for (const name of await after.tenantDatabases()) {
      await after.deps.db.clients.default.db(name).dropDatabase();
    }
  },
);
