/**
 * Mail through the outbox. The one call for the domain:
 *
 * ```ts
 * await queueMail(deps.db.master, {
 *   key: `reset:${tokenId}`,              // once per key: a retried step queues nothing twice
 *   to: { address: user.email, name: user.name },   // or just the address
 *   template: "password_reset",           // or "email_verification", "invitation"
 *   vars: { token, orgName, validForMinutes: 60 },  // the template's variables (below)
 * }, deps.now());
 * ```
 *
 * Call it in the same step as the change that causes the mail, right after that change is
 * stored (a reset token's insert, an invitation's); derive `key` from that change, so that a
 * step run again after a crash or by a retrying client queues the mail once. When it resolves,
 * the mail will be sent by some instance's sender loop, at least once, even if this process is
 * killed at once. Before queuing, a route answers 503 `mail_disabled` when
 * `mailEnabled(config)` is false (`MAIL=off`).
 *
 * What is stored is the template's name and its variables, not the rendered message: the
 * message is rendered when it is sent, so the token (the one secret, kept apart in the item's
 * `secret`) lives in one field that is removed once the mail is sent or has failed, and never in
 * a stored body. Links are `PUBLIC_URL` + the template's path + the token, made at send time.
 */
import type { Db } from "mongodb";
import type { Config, MailConfig } from "../platform/config.ts";
import { type Mailer, MailError, type Message } from "../platform/mail.ts";
import { enqueue, type OutboxItem } from "./outbox.ts";
import { MAIL_SCHEDULE, type Schedule } from "./schedule.ts";
import type { OutboxKind, Outcome } from "./sender.ts";

export const MAIL_KIND = "mail";

/** The variables of each template; `token` is the secret (removed once sent). */
export interface TemplateVars {
  /** `<PUBLIC_URL>/console/#/reset?token=...` */
  password_reset: { token: string; orgName?: string; validForMinutes?: number };
  /** `<PUBLIC_URL>/console/#/verify?token=...` */
  email_verification: { token: string; orgName?: string; validForMinutes?: number };
  /** `<PUBLIC_URL>/console/#/accept?token=...` */
  invitation: { token: string; orgName: string; role: string; inviterName?: string };
}

export type TemplateName = keyof TemplateVars;

export type MailRequest = {
  [T in TemplateName]: {
    /** Unique per mail; queuing the same key again queues nothing. */
    key: string;
    to: string | { address: string; name?: string };
    template: T;
    vars: TemplateVars[T];
  };
}[TemplateName];

/** False with `MAIL=off`: the mail-sending routes answer 503 `mail_disabled`. */
export const mailEnabled = (config: Config) => config.mail.mode !== "off";

/**
 * Queue one mail (see the module's header). `queued` is false when `key` was queued before.
 * Throws on an address that is not one plain address (the routes validate emails first).
 */
export async function queueMail(
  db: Db,
  req: MailRequest,
  now = new Date(),
): Promise<{ id: string; queued: boolean }> {
  const to = typeof req.to === "string" ? { address: req.to } : req.to;
  if (!/^[^\s<>@,;:"\p{Cc}]+@[^\s<>@,;:"\p{Cc}]+$/u.test(to.address)) {
    throw new Error("queueMail: `to` must be one email address");
  }
  if (!(req.template in TEMPLATES)) throw new Error(`queueMail: no template ${req.template}`);
  const { token, ...vars } = req.vars;
  return await enqueue(db, {
    key: `mail:${req.key}`,
    kind: MAIL_KIND,
    payload: { to, template: req.template, vars },
    secret: { token },
  }, now);
}

interface Rendered {
  subject: string;
  text: string;
  html: string;
}

interface Context {
  publicUrl: string;
  serviceName: string;
}

/** HTML text: names and org names are data, never markup. */
const esc = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!,
  );

const link = (ctx: Context, page: string, token: string) =>
  `${ctx.publicUrl}/console/#/${page}?token=${encodeURIComponent(token)}`;

/** Plain text and HTML of the same paragraphs, with the link (button) in both. */
function layout(
  ctx: Context,
  subject: string,
  paragraphs: string[],
  action: { label: string; url: string },
  footer: string,
): Rendered {
  const text = [...paragraphs, `${action.label}: ${action.url}`, footer, `— ${ctx.serviceName}`]
    .join("\n\n") + "\n";
  const html = `<!doctype html>
<html><head><meta charset="utf-8"><title>${esc(subject)}</title></head>
<body style="font-family: sans-serif; line-height: 1.5; max-width: 36em">
${paragraphs.map((p) => `<p>${esc(p)}</p>`).join("\n")}
<p><a href="${esc(action.url)}">${esc(action.label)}</a></p>
<p style="font-size: small; word-break: break-all">${esc(action.url)}</p>
<p style="font-size: small; color: #555">${esc(footer)}</p>
<p>— ${esc(ctx.serviceName)}</p>
</body></html>
`;
  return { subject, text, html };
}

const minutes = (n: number) =>
  n % 60 === 0 ? `${n / 60} hour${n === 60 ? "" : "s"}` : `${n} minutes`;

type Templates = {
  [T in TemplateName]: (vars: TemplateVars[T], ctx: Context) => Rendered;
};

const TEMPLATES: Templates = {
  password_reset(v, ctx) {
    const where = v.orgName ? `${v.orgName} on ${ctx.serviceName}` : ctx.serviceName;
    return layout(
      ctx,
      `${where}: reset your password`,
      [
        `Someone asked to reset the password of your ${ctx.serviceName} account.`,
        `The link works once${
          v.validForMinutes ? `, for ${minutes(v.validForMinutes)}` : ""
        }; using it signs you out everywhere.`,
      ],
      { label: "Choose a new password", url: link(ctx, "reset", v.token) },
      "If you did not ask for this, ignore this mail: your password stays as it is.",
    );
  },
  email_verification(v, ctx) {
    const where = v.orgName ? `${v.orgName} on ${ctx.serviceName}` : ctx.serviceName;
    return layout(
      ctx,
      `${where}: confirm your email address`,
      [
        `Confirm that this address is yours to finish setting up your ${ctx.serviceName} account.`,
        ...(v.validForMinutes ? [`The link works for ${minutes(v.validForMinutes)}.`] : []),
      ],
      { label: "Confirm my address", url: link(ctx, "verify", v.token) },
      "If you did not sign up, ignore this mail.",
    );
  },
  invitation(v, ctx) {
    const who = v.inviterName ? `${v.inviterName} invites you` : "You are invited";
    return layout(
      ctx,
      `${v.orgName} on ${ctx.serviceName}: you are invited`,
      [`${who} to join ${v.orgName} on ${ctx.serviceName} as ${v.role}.`],
      { label: "Accept the invitation", url: link(ctx, "accept", v.token) },
      "If you do not know this organization, ignore this mail.",
    );
  },
};

/** Render a queued mail's message (at send time, with its token). */
export function renderMail(
  config: MailConfig,
  payload: { to: Message["to"]; template: string; vars: Record<string, unknown> },
  token: string,
): Message {
  const render = TEMPLATES[payload.template as TemplateName] as
    | ((vars: Record<string, unknown>, ctx: Context) => Rendered)
    | undefined;
  if (!render) throw new MailError(`No mail template ${payload.template}`, false);
  const ctx = { publicUrl: config.publicUrl, serviceName: config.serviceName };
  return { to: payload.to, ...render({ ...payload.vars, token }, ctx) };
}

/** The `mail` kind of the sender loop: render, send through `mailer`, classify the outcome. */
export function mailKind(
  mailer: Mailer,
  config: MailConfig,
  schedule: Schedule = MAIL_SCHEDULE,
): OutboxKind {
  return {
    schedule,
    async send(item: OutboxItem): Promise<Outcome> {
      try {
        const token = item.secret?.token;
        if (typeof token !== "string") {
          throw new MailError("The mail's token is gone (sent before?)", false);
        }
        const message = renderMail(config, item.payload as Parameters<typeof renderMail>[1], token);
        const sent = await mailer.send(message);
        return { ok: true, response: sent.response };
      } catch (e) {
        if (e instanceof MailError) return { ok: false, temporary: e.temporary, error: e.message };
        throw e;
      }
    },
  };
}
