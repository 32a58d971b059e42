/**
 * An app whose mail goes to a real SMTP server on a loopback port (tests/support/smtp.ts),
 * through the outbox and a running sender loop, as in production: a test reads the mail that
 * arrived and follows its link as a person would.
 */
import { createMailer } from "../../src/platform/mail.ts";
import { MAIL_KIND, mailKind } from "../../src/outbox/mail.ts";
import type { Schedule } from "../../src/outbox/schedule.ts";
import { startOutboxSender } from "../../src/outbox/sender.ts";
import { createTestApp, type TestApp, type TestAppOptions } from "./app.ts";
import { linkIn, type Received, type SmtpServer, startSmtpServer } from "./smtp.ts";
import { waitUntil } from "../../tools/lib/wait.ts";

export const PUBLIC_URL = "https://orgs.example.com";
const FAST: Schedule = { delaysMs: [50, 100, 200, 400, 800] };

export interface MailApp {
  app: TestApp;
  smtp: SmtpServer;
  /** Mails that arrived for `address` (envelope), oldest first. */
  mailsTo(address: string): Received[];
  /** Wait for the `n`-th mail to `address` linking to `page`; returns its link's token. */
  tokenFrom(address: string, page: string, n?: number): Promise<string>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** The token of a console link `<PUBLIC_URL>/console/#/page?token=...`. */
export function tokenOf(link: string): string {
  return decodeURIComponent(new URL(link.replace("#/", "")).searchParams.get("token")!);
}

export async function createMailApp(
  env: Record<string, string> = {},
  opts: Omit<TestAppOptions, "env"> = {},
): Promise<MailApp> {
  const smtp = await startSmtpServer();
  const app = await createTestApp({
    ...opts,
    env: {
      SMTP_URL: smtp.url,
      MAIL_FROM: "Org Service <noreply@orgs.example.com>",
      PUBLIC_URL,
      ...env,
    },
  });
  const mailer = createMailer(app.config.mail, app.config.dataDir, app.deps.log, {
    timeoutMs: 2000,
  });
  const stop = startOutboxSender(
    app.deps,
    { [MAIL_KIND]: mailKind(mailer, app.config.mail, FAST) },
    {
      pollMs: 50,
      leaseMs: 10_000,
    },
  );
  const mailsTo = (address: string) => smtp.received.filter((m) => m.envelopeTo.includes(address));
  const self: MailApp = {
    app,
    smtp,
    mailsTo,
    async tokenFrom(address, page, n = 1) {
      const links = () =>
        mailsTo(address).map((m) => linkIn(m.parsed.text ?? "", page)).filter((l) => l);
      await waitUntil(() => links().length >= n, `mail ${n} to ${address} linking to #/${page}`, {
        timeoutMs: 15_000,
        intervalMs: 20,
      });
      return tokenOf(links()[n - 1]!);
    },
    async [Symbol.asyncDispose]() {
      await stop();
      mailer.close();
      await smtp.stop();
      await app.close();
    },
  };
  return self;
}
