/**
 * A real SMTP server on a loopback port, in the test process (the `smtp-server` package): the
 * service connects to it as to any mail server. It keeps every message it accepted, parsed
 * (`mailparser`) and raw; a test can make it answer 4xx or 5xx to the next messages, slow it
 * down, stop it and start it again on the same port.
 */
import { Buffer } from "node:buffer";
import { type ParsedMail, simpleParser } from "mailparser";
import { SMTPServer } from "smtp-server";
import { freePort } from "../../src/platform/embedded/ferretdb.ts";
import { waitUntil } from "../../tools/lib/wait.ts";

export interface Received {
  /** The envelope: who the server was told to deliver to (RCPT TO). */
  envelopeTo: string[];
  envelopeFrom: string;
  raw: string;
  parsed: ParsedMail;
}

export interface SmtpServer {
  port: number;
  /** `smtp://user:pass@127.0.0.1:port` (any credentials are accepted). */
  url: string;
  received: Received[];
  /** Every DATA the server was offered, accepted or not. */
  offered: number;
  /** Answer the next messages' DATA with `code` (e.g. 451, 550); null: accept again. */
  reject(code: number | null, message?: string): void;
  /** Wait this long before answering each DATA (messages in flight for a while). */
  delayMs: number;
  /** Close the listener and drop open connections; `start()` listens again on the same port. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Wait until `n` messages have arrived. */
  waitFor(n: number, timeoutMs?: number): Promise<Received[]>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Start a server on a free loopback port. */
export async function startSmtpServer(): Promise<SmtpServer> {
  const port = freePort();
  let rejection: { code: number; message: string } | null = null;
  let server: SMTPServer | undefined;
  const self: SmtpServer = {
    port,
    url: `smtp://tester:secret-password@127.0.0.1:${port}`,
    received: [],
    offered: 0,
    delayMs: 0,
    reject(code, message = code && code >= 500 ? "Mailbox unavailable" : "Try again later") {
      rejection = code === null ? null : { code, message };
    },
    async start() {
      if (server) return;
      const s = new SMTPServer({
        // A plain loopback server: no STARTTLS offered (nodemailer would upgrade and refuse its
        // self-signed certificate), any login accepted.
        disabledCommands: ["STARTTLS"],
        authOptional: true,
        logger: false,
        // stop() drops open connections at once (the default waits 30 s for them).
        closeTimeout: 50,
        onAuth(auth, _session, callback) {
          callback(null, { user: auth.username });
        },
        onData(stream, session, callback) {
          const chunks: Buffer[] = [];
          stream.on("data", (c: Buffer) => chunks.push(c));
          stream.on("end", async () => {
            self.offered++;
            if (self.delayMs) await new Promise((r) => setTimeout(r, self.delayMs));
            if (rejection) {
              const err = new Error(rejection.message) as Error & { responseCode: number };
              err.responseCode = rejection.code;
              return callback(err);
            }
            const raw = Buffer.concat(chunks).toString("utf8");
            const parsed = await simpleParser(raw);
            self.received.push({
              envelopeTo: session.envelope.rcptTo.map((r) => r.address),
              envelopeFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
              raw,
              parsed,
            });
            callback();
          });
        },
      });
      await new Promise<void>((resolve, reject) => {
        s.once("error", reject);
        s.listen(port, "127.0.0.1", () => resolve());
      });
      s.on("error", () => {}); // a client that goes away mid-conversation
      server = s;
    },
    async stop() {
      const s = server;
      server = undefined;
      if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
    },
    async waitFor(n, timeoutMs = 30_000) {
      await waitUntil(() => self.received.length >= n, `${n} messages at the SMTP server`, {
        timeoutMs,
      });
      return self.received;
    },
    [Symbol.asyncDispose]: () => self.stop(),
  };
  await self.start();
  return self;
}

/** The link to `page` of the console in a text (`<PUBLIC_URL>/console/#/page?token=...`). */
export function linkIn(text: string, page: string): string | undefined {
  return new RegExp(`https?://\\S+/console/#/${page}\\?token=[A-Za-z0-9_%.~-]+`).exec(text)?.[0];
}
