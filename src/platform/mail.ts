/**
 * Mail delivery: one rendered message out through nodemailer's SMTP transport (`SMTP_URL`:
 * `smtp://` upgraded with STARTTLS whenever the server offers it, `smtps://` for TLS from the
 * start), or, in development without `SMTP_URL`, into an `.eml` file under `<DATA_DIR>/mail/`
 * whose path (never its link) is logged. Nothing here knows what a message is about: the outbox
 * (src/outbox/) renders it, queues it and retries it by the error's `temporary`.
 *
 * Headers cannot be injected: control characters in a name or subject become spaces here, an
 * address holding anything but an address is refused, and nodemailer encodes every header
 * value (RFC 2047) besides.
 */
import { Buffer } from "node:buffer";
// @ts-types="@types/nodemailer"
import nodemailer from "nodemailer";
import type { MailConfig } from "./config.ts";
import type { Logger } from "./log.ts";

export interface Message {
  to: { name?: string; address: string };
  subject: string;
  text: string;
  html: string;
}

export interface Sent {
  /** The SMTP server's answer (`250 ...`), or the file written in development. */
  response: string;
  messageId: string;
}

/**
 * A message that did not go out. `temporary`: try again later (the server could not be reached,
 * or answered 4xx); otherwise it was refused for good (5xx) and must not be sent again.
 */
export class MailError extends Error {
  override name = "MailError";
  constructor(
    message: string,
    readonly temporary: boolean,
    readonly responseCode?: number,
    readonly code?: string,
  ) {
    super(message);
  }
}

export interface Mailer {
  readonly mode: MailConfig["mode"];
  /** Send one message; throws `MailError`. */
  send(message: Message): Promise<Sent>;
  close(): void;
}

/** Control characters (CR and LF first of all) to spaces: a header value stays one line. */
export const oneLine = (s: string) => s.replace(/\p{Cc}+/gu, " ").trim();

/** An address that is exactly one address: nothing a header could be built from. */
const ADDRESS = /^[^\s<>@,;:"\p{Cc}]+@[^\s<>@,;:"\p{Cc}]+$/u;

/** `SMTP_URL` with its password replaced by `***`, for the log. */
export function redactSmtpUrl(raw: string): string {
  try {
    const url = new URL(raw);
    if (url.password) url.password = "***";
    return url.href;
  } catch {
    return "(invalid SMTP_URL)";
  }
}

export interface MailerOptions {
  /** Give up on an SMTP conversation after this long (connection, greeting, each reply). */
  timeoutMs?: number;
  /** Connections kept open to the server (nodemailer's pool). */
  maxConnections?: number;
}

/** The mailer of `config.mode`. */
export function createMailer(
  config: MailConfig,
  dataDir: string,
  log: Logger,
  opts: MailerOptions = {},
): Mailer {
  const from = config.from.name
    ? { name: oneLine(config.from.name), address: config.from.address }
    : config.from.address;
  const mail = (m: Message) => {
    if (!ADDRESS.test(m.to.address)) {
      throw new MailError("The recipient is not one email address", false);
    }
    return {
      from,
      to: m.to.name ? { name: oneLine(m.to.name), address: m.to.address } : m.to.address,
      subject: oneLine(m.subject),
      text: m.text,
      html: m.html,
    };
  };
  if (config.mode === "off") {
    return {
      mode: "off",
      send: () => Promise.reject(new MailError("Mail is turned off (MAIL=off)", false)),
      close() {},
    };
  }
  if (config.mode === "files") {
    // nodemailer's own MIME builder writes the file, so it is the message SMTP would carry.
    const transport = nodemailer.createTransport({ streamTransport: true, buffer: true });
    const folder = `${dataDir}/mail`;
    return {
      mode: "files",
      async send(m) {
        const info = await transport.sendMail(mail(m));
        await Deno.mkdir(folder, { recursive: true });
        const stamp = new Date().toISOString().replace(/[:.]/g, "-");
        const path = `${folder}/${stamp}-${crypto.randomUUID().slice(0, 8)}.eml`;
        await Deno.writeFile(path, info.message as unknown as Buffer, { mode: 0o600 });
        // The path only: the message holds the link, and the link is a credential.
        log.info("mail written", { path });
        return { response: `written to ${path}`, messageId: info.messageId };
      },
      close: () => transport.close(),
    };
  }
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const transport = nodemailer.createTransport({
    url: config.smtpUrl!,
    pool: true,
    maxConnections: opts.maxConnections ?? 4,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
    // nodemailer logs nothing (its logger could print the AUTH exchange).
    logger: false,
    debug: false,
  });
  log.info("mail through SMTP", { smtp: redactSmtpUrl(config.smtpUrl!) });
  return {
    mode: "smtp",
    async send(m) {
      const message = mail(m);
      try {
        const info = await transport.sendMail(message);
        return { response: String(info.response ?? ""), messageId: String(info.messageId) };
      } catch (e) {
        throw classify(e);
      }
    },
    close: () => transport.close(),
  };
}

/**
 * A nodemailer error as a `MailError`: an SMTP 5xx is permanent (the server refused this
 * message), except for a refused login, which is the configuration's fault and no reason to
 * drop the message; 4xx, timeouts and connection errors are temporary.
 */
export function classify(e: unknown): MailError {
  if (e instanceof MailError) return e;
  const err = e as { message?: string; responseCode?: unknown; code?: unknown };
  const responseCode = typeof err.responseCode === "number" ? err.responseCode : undefined;
  const code = typeof err.code === "string" ? err.code : undefined;
  const permanent = responseCode !== undefined
    ? responseCode >= 500 && code !== "EAUTH"
    : code === "EENVELOPE" || code === "EMESSAGE";
  const message = oneLine(String(err.message ?? e)).slice(0, 500);
  return new MailError(message, !permanent, responseCode, code);
}
