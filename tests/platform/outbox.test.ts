/**
 * The durable outbox and mail delivery against a real SMTP server on a loopback port
 * (tests/support/smtp.ts) and the real database: delivery with the link in text and HTML,
 * idempotent keys, retries while the server is down or answers 4xx, 5xx recorded as failed,
 * leases taken over from a dead sender, no header injection, the development mailbox folder.
 * The crash test (tests/resilience/crash.test.ts) kills a sending service.
 */
import { Buffer } from "node:buffer";
import { simpleParser } from "mailparser";
import { createTestApp, dbTest, type TestApp } from "../support/app.ts";
import { assert, assertEquals, assertMatch, assertRejects } from "../support/assert.ts";
import { linkIn, type SmtpServer, startSmtpServer } from "../support/smtp.ts";
import { sleep, waitUntil } from "../../tools/lib/wait.ts";
import { createMailer, type Mailer } from "../../src/platform/mail.ts";
import { MAIL_KIND, mailKind, queueMail } from "../../src/outbox/mail.ts";
import {
  claimDue,
  deleteFinishedBefore,
  findOutboxItemByKey,
  getOutboxItem,
  listOutboxItems,
  recordSent,
} from "../../src/outbox/outbox.ts";
import type { Schedule } from "../../src/outbox/schedule.ts";
import { type OutboxKind, sendDue, startOutboxSender } from "../../src/outbox/sender.ts";

/** Short waits between attempts, so that retries happen within a test. */
const FAST: Schedule = { delaysMs: [50, 100, 200, 200, 200, 200, 200, 200] };
const TOKEN = "tok_" + "a1B2".repeat(10);

interface Setup {
  app: TestApp;
  smtp: SmtpServer;
  mailer: Mailer;
  kinds: Record<string, OutboxKind>;
  [Symbol.asyncDispose](): Promise<void>;
}

async function setup(env: Record<string, string> = {}, schedule = FAST): Promise<Setup> {
  const smtp = await startSmtpServer();
  const app = await createTestApp({
    env: {
      SMTP_URL: smtp.url,
      MAIL_FROM: "Org Service <noreply@orgs.example.com>",
      PUBLIC_URL: "https://orgs.example.com/",
      ...env,
    },
  });
  const mailer = createMailer(app.config.mail, app.config.dataDir, app.deps.log, {
    timeoutMs: 2000,
  });
  return {
    app,
    smtp,
    mailer,
    kinds: { [MAIL_KIND]: mailKind(mailer, app.config.mail, schedule) },
    async [Symbol.asyncDispose]() {
      mailer.close();
      await smtp.stop();
      await app.close();
    },
  };
}

const reset = (key: string, to = "ada@example.com", orgName = "Acme Corp") => ({
  key,
  to: { address: to, name: "Ada Lovelace" },
  template: "password_reset" as const,
  vars: { token: TOKEN, orgName, validForMinutes: 60 },
});

Deno.test(
  "a queued mail arrives with its link in text and HTML; its token is gone once sent",
  dbTest,
  async () => {
    await using t = await setup();
    const { id, queued } = await queueMail(t.app.deps.db.master, reset("reset:1"));
    assert(queued);
    assertEquals(await sendDue(t.app.deps, t.kinds), 1);
    const [mail] = await t.smtp.waitFor(1);
    const url = `https://orgs.example.com/console/#/reset?token=${TOKEN}`;
    assertEquals(linkIn(mail.parsed.text ?? "", "reset"), url);
    assertEquals(linkIn(String(mail.parsed.html), "reset"), url);
    assertMatch(mail.parsed.subject ?? "", /Acme Corp/);
    assertMatch(mail.parsed.subject ?? "", /Org Service/);
    assertEquals(mail.envelopeTo, ["ada@example.com"]);
    assertEquals(mail.parsed.from?.value[0].address, "noreply@orgs.example.com");
    const item = await getOutboxItem(t.app.deps.db.master, id);
    assertEquals(item?.status, "sent");
    assertEquals(item?.secret, undefined, "the token is removed once sent");
    assertEquals(item?.attempts, 1);
    assertMatch(item?.response ?? "", /^250/);
    assert(!JSON.stringify(item).includes(TOKEN), "nothing stored holds the token");
    // Sent is final: nothing is claimed again, even when it looks due.
    await t.app.deps.db.master.collection("outbox").updateOne({}, { $set: { dueAt: new Date(0) } });
    assertEquals(await sendDue(t.app.deps, t.kinds), 0);
    assertEquals(t.smtp.offered, 1);
  },
);

Deno.test("the same key queued twice sends one mail", dbTest, async () => {
  await using t = await setup();
  const first = await queueMail(t.app.deps.db.master, reset("verify:42"));
  const again = await queueMail(t.app.deps.db.master, reset("verify:42"));
  assertEquals(again, { id: first.id, queued: false });
  assertEquals(await sendDue(t.app.deps, t.kinds), 1);
  // And after it was sent, queuing the key again still queues nothing.
  assertEquals((await queueMail(t.app.deps.db.master, reset("verify:42"))).queued, false);
  assertEquals(await sendDue(t.app.deps, t.kinds), 0);
  assertEquals(t.smtp.received.length, 1);
  assertEquals((await listOutboxItems(t.app.deps.db.master)).length, 1);
});

Deno.test(
  "an SMTP server stopped mid-way: the outbox retries and delivers each mail once when it is back",
  dbTest,
  async () => {
    await using t = await setup();
    t.smtp.delayMs = 30;
    const stop = startOutboxSender(t.app.deps, t.kinds, { pollMs: 50, leaseMs: 10_000 });
    try {
      const n = 12;
      for (let i = 0; i < n; i++) {
        await queueMail(t.app.deps.db.master, reset(`reset:${i}`, `user${i}@example.com`));
      }
      await t.smtp.waitFor(3);
      await t.smtp.stop();
      // The sender meets refused connections meanwhile, and keeps those mails for a retry.
      await waitUntil(
        async () =>
          (await listOutboxItems(t.app.deps.db.master))
            .some((i) => i.status === "pending" && i.lastError),
        "some mails were retried while the server was down",
      );
      await t.smtp.start();
      await waitUntil(
        async () => (await listOutboxItems(t.app.deps.db.master, { status: "sent" })).length === n,
        "every mail recorded sent",
      );
      const to = t.smtp.received.map((r) => r.envelopeTo[0]).sort();
      assertEquals(to, Array.from({ length: n }, (_, i) => `user${i}@example.com`).sort());
    } finally {
      await stop();
    }
  },
);

Deno.test(
  "a 5xx answer is recorded as failed, with its token removed, and never retried",
  dbTest,
  async () => {
    await using t = await setup();
    t.smtp.reject(550, "No such user here");
    const { id } = await queueMail(t.app.deps.db.master, reset("reset:550"));
    assertEquals(await sendDue(t.app.deps, t.kinds), 1);
    const item = await getOutboxItem(t.app.deps.db.master, id);
    assertEquals(item?.status, "failed");
    assertMatch(item?.lastError ?? "", /550/);
    assertEquals(item?.secret, undefined);
    t.smtp.reject(null);
    await sleep(300); // past every wait of the schedule
    assertEquals(await sendDue(t.app.deps, t.kinds), 0);
    assertEquals(t.smtp.offered, 1);
    assertEquals(t.smtp.received.length, 0);
  },
);

Deno.test("a 4xx answer is retried until the server accepts", dbTest, async () => {
  await using t = await setup({}, { delaysMs: [300, 300] });
  t.smtp.reject(451, "Greylisted, try again later");
  const { id } = await queueMail(t.app.deps.db.master, reset("reset:451"));
  assertEquals(await sendDue(t.app.deps, t.kinds), 1);
  let item = await getOutboxItem(t.app.deps.db.master, id);
  assertEquals(item?.status, "pending");
  assertMatch(item?.lastError ?? "", /451/);
  assert(item!.dueAt > new Date(), "due again later, not at once");
  assertEquals(item?.secret?.token, TOKEN, "kept until sent");
  t.smtp.reject(null);
  await waitUntil(async () => (await sendDue(t.app.deps, t.kinds)) === 1, "the retry");
  item = await getOutboxItem(t.app.deps.db.master, id);
  assertEquals(item?.status, "sent");
  assertEquals(item?.attempts, 2);
  assertEquals(t.smtp.received.length, 1);
});

Deno.test(
  "temporary failures past the kind's schedule are recorded as failed",
  dbTest,
  async () => {
    await using t = await setup({}, { delaysMs: [20, 20] });
    await t.smtp.stop();
    const { id } = await queueMail(t.app.deps.db.master, reset("reset:down"));
    await waitUntil(async () => {
      await sendDue(t.app.deps, t.kinds);
      return (await getOutboxItem(t.app.deps.db.master, id))?.status === "failed";
    }, "the item recorded failed");
    const item = await getOutboxItem(t.app.deps.db.master, id);
    assertEquals(item?.attempts, 3, "the first attempt and one per wait of the schedule");
    assertMatch(item?.lastError ?? "", /^Gave up after 3 attempts/);
    assertEquals(item?.secret, undefined);
  },
);

Deno.test(
  "a lease held by a dead sender is taken over once it expires, and the dead one records nothing",
  dbTest,
  async () => {
    await using t = await setup();
    const master = t.app.deps.db.master;
    const { id } = await queueMail(master, reset("reset:lease"));
    const dead = await claimDue(master, {
      kinds: [MAIL_KIND],
      holder: "dead-instance",
      leaseMs: 1500,
      now: new Date(),
    });
    assertEquals(dead?.id, id);
    assertEquals(await sendDue(t.app.deps, t.kinds), 0, "not while the lease lasts");
    await sleep(1600);
    assertEquals(await sendDue(t.app.deps, t.kinds), 1);
    assertEquals(t.smtp.received.length, 1);
    const item = await getOutboxItem(master, id);
    assertEquals(item?.status, "sent");
    assertEquals(item?.attempts, 2);
    assertEquals(await recordSent(master, dead!, "250 late", new Date()), false);
    assertEquals((await getOutboxItem(master, id))?.response, item?.response);
  },
);

Deno.test("CR/LF in a name or an org name never adds a header", dbTest, async () => {
  await using t = await setup();
  const evil = "Acme\r\nBcc: victim@example.com\r\nX-Injected: yes";
  await queueMail(t.app.deps.db.master, {
    key: "invite:evil",
    to: { address: "ada@example.com", name: "Ada\r\nCc: other@example.com\nX-Also: 1" },
    template: "invitation",
    vars: {
      token: TOKEN,
      orgName: evil,
      role: "admin",
      inviterName: "Eve <script>x</script>\r\nX-Inviter: 1",
    },
  });
  assertEquals(await sendDue(t.app.deps, t.kinds), 1);
  const [mail] = await t.smtp.waitFor(1);
  assertEquals(mail.envelopeTo, ["ada@example.com"], "no other recipient");
  for (const h of ["bcc", "cc", "x-injected", "x-also", "x-inviter"]) {
    assertEquals(mail.parsed.headers.has(h), false, `no ${h} header`);
  }
  const head = mail.raw.split("\r\n\r\n")[0];
  for (const line of head.split("\r\n")) {
    assert(!/^(bcc|cc|x-injected|x-also|x-inviter):/i.test(line), `header line ${line}`);
  }
  assertMatch(mail.parsed.subject ?? "", /^Acme Bcc: victim@example\.com X-Injected: yes on /);
  assert(!String(mail.parsed.html).includes("<script"), "names are escaped in HTML");
  await assertRejects(() =>
    queueMail(t.app.deps.db.master, reset("reset:bad", "ada@example.com\r\nBcc: x@example.com"))
  );
});

Deno.test(
  "development without SMTP_URL writes each mail as an .eml file and logs only its path",
  dbTest,
  async () => {
    const dataDir = await Deno.makeTempDir({ prefix: "mailbox-" });
    await using app = await createTestApp({ env: { DATA_DIR: dataDir } });
    assertEquals(app.config.mail.mode, "files");
    const mailer = createMailer(app.config.mail, app.config.dataDir, app.deps.log);
    try {
      const kinds = { [MAIL_KIND]: mailKind(mailer, app.config.mail, FAST) };
      const { id } = await queueMail(app.deps.db.master, reset("reset:dev"));
      assertEquals(await sendDue(app.deps, kinds), 1);
      const files = [...Deno.readDirSync(`${dataDir}/mail`)].map((e) => e.name);
      assertEquals(files.length, 1);
      assertMatch(files[0], /\.eml$/);
      const eml = await simpleParser(
        Buffer.from(await Deno.readFile(`${dataDir}/mail/${files[0]}`)),
      );
      assertEquals(eml.subject, "Acme Corp on Org Service: reset your password");
      const url = `http://localhost:8000/console/#/reset?token=${TOKEN}`;
      assertEquals(linkIn(eml.text ?? "", "reset"), url);
      assertEquals(linkIn(String(eml.html), "reset"), url);
      const logged = app.logs.find((l) => l.includes("mail written"));
      assert(logged, "the path is logged");
      assertEquals(JSON.parse(logged).path, `${dataDir}/mail/${files[0]}`);
      assert(!app.logs.join("\n").includes(TOKEN), "the token is never logged");
      assertEquals((await getOutboxItem(app.deps.db.master, id))?.status, "sent");
    } finally {
      mailer.close();
      await Deno.remove(dataDir, { recursive: true });
    }
  },
);

Deno.test(
  "the SMTP password is never logged nor stored, even when sending fails",
  dbTest,
  async () => {
    await using t = await setup();
    await t.smtp.stop();
    const { id } = await queueMail(t.app.deps.db.master, reset("reset:pw"));
    assertEquals(await sendDue(t.app.deps, t.kinds), 1);
    const all = t.app.logs.join("\n");
    assert(all.includes("smtp://tester:***@127.0.0.1"), "the URL is logged redacted");
    assert(!all.includes("secret-password"), "the password is not logged");
    const item = await getOutboxItem(t.app.deps.db.master, id);
    assert(item?.lastError, "the failure is recorded");
    assert(!JSON.stringify(item).includes("secret-password"));
  },
);

Deno.test("queuing a mail wakes this process's sender at once", dbTest, async () => {
  await using t = await setup();
  const stop = startOutboxSender(t.app.deps, t.kinds, { pollMs: 60_000 });
  try {
    await sleep(100); // the first look finds nothing; the loop now waits a minute
    const started = Date.now();
    await queueMail(t.app.deps.db.master, reset("reset:wake"));
    await t.smtp.waitFor(1, 5000);
    assert(Date.now() - started < 5000);
  } finally {
    await stop();
  }
});

Deno.test(
  "the maintenance sweep deletes only items finished before the retention",
  dbTest,
  async () => {
    await using t = await setup();
    const master = t.app.deps.db.master;
    await queueMail(master, reset("reset:old"));
    await sendDue(t.app.deps, t.kinds);
    await queueMail(master, reset("reset:pending"));
    assertEquals(await deleteFinishedBefore(master, new Date(Date.now() - 60_000)), 0);
    assertEquals(await deleteFinishedBefore(master, new Date(Date.now() + 60_000)), 1);
    assertEquals((await findOutboxItemByKey(master, "mail:reset:pending"))?.status, "pending");
  },
);
