/**
 * The pages a mail links to, and the one that sends the reset mail: "Forgot password?"
 * (`#/forgot`), a new password (`#/reset?token=...`) and the address's confirmation
 * (`#/verify?token=...`). Public: the link's token is the proof.
 */
import { useEffect, useState } from "hono/jsx/dom";
import { problemOf } from "../../src/client.ts";
import { ProblemNote, useAction } from "../problems.tsx";
import { go, href } from "../router.ts";
import { api, end, getState, loadMe } from "../session.ts";
import { formValues, Heading, NewPassword } from "../ui.tsx";
import type { View, ViewProps } from "./view.ts";

const TOKEN_MESSAGES = {
  invalid_token: "This link is used, expired or incomplete. Ask for a new mail and open its link.",
};

function Forgot() {
  const action = useAction();
  const [sent, setSent] = useState<string | null>(null);
  return (
    <section class="card narrow">
      <Heading>Forgot your password?</Heading>
      {sent
        ? (
          <p class="notice" role="status" data-testid="forgot-sent">
            If <strong>{sent}</strong>{" "}
            has an account, a mail with a link to choose a new password is on its way. The link
            works once, for an hour.
          </p>
        )
        : (
          <form
            class="stack"
            onSubmit={(e: Event) => {
              const { email } = formValues(e);
              void action.run(async () => {
                const res = await api.v1.auth.password.forgot.$post({ json: { email } });
                if (!res.ok) return await problemOf(res);
                setSent(email);
              });
            }}
          >
            <p class="muted">We mail you a link to choose a new password.</p>
            <label>
              Email
              <input name="email" type="email" autocomplete="username" required maxlength={254} />
            </label>
            <button type="submit" class="primary" disabled={action.busy}>Send the link</button>
            <ProblemNote
              problem={action.problem}
              messages={{ mail_disabled: "This service sends no mail: ask an administrator." }}
            />
          </form>
        )}
      <p class="muted">
        <a href={href("sign-in")}>Back to sign-in</a>
      </p>
    </section>
  );
}

function Reset({ route }: ViewProps) {
  const token = route.params[0] ?? "";
  const action = useAction();
  return (
    <section class="card narrow">
      <Heading>Choose a new password</Heading>
      {token
        ? (
          <form
            class="stack"
            onSubmit={(e: Event) => {
              const { password } = formValues(e);
              void action.run(async () => {
                const res = await api.v1.auth.password.reset.$post({
                  json: { token, newPassword: password },
                });
                if (!res.ok) return await problemOf(res);
                // Every session of the account ended, this one too: sign in again.
                end("Your password is changed. Sign in with the new one.");
                go("sign-in");
              });
            }}
          >
            <p class="muted">Choosing it signs you out everywhere.</p>
            <NewPassword />
            <button type="submit" class="primary" disabled={action.busy}>Set the password</button>
            <ProblemNote problem={action.problem} messages={TOKEN_MESSAGES} />
          </form>
        )
        : <p>This link has no token in it. Open the whole link of the mail.</p>}
      <p class="muted">
        <a href={href("forgot")}>Send a new link</a>
      </p>
    </section>
  );
}

function Verify({ route }: ViewProps) {
  const token = route.params[0] ?? "";
  const action = useAction();
  const [done, setDone] = useState(false);
  useEffect(() => {
    if (!token) return;
    void action.run(async () => {
      const res = await api.v1.auth.email.verify.$post({ json: { token } });
      if (!res.ok) return await problemOf(res);
      setDone(true);
      if (getState().session) await loadMe();
    });
  }, [token]);
  return (
    <section class="card narrow">
      <Heading>Confirm your email address</Heading>
      {!token ? <p>This link has no token in it. Open the whole link of the mail.</p> : null}
      {done
        ? (
          <p class="notice" role="status" data-testid="verified">
            Your email address is confirmed.
          </p>
        )
        : action.busy
        ? <p class="muted">Confirming…</p>
        : null}
      <ProblemNote problem={action.problem} messages={TOKEN_MESSAGES} />
      <p class="muted">
        <a href={href(getState().session ? "overview" : "sign-in")}>Continue</a>
      </p>
    </section>
  );
}

export const forgotView: View = {
  name: "forgot",
  title: "Forgot password",
  access: "public",
  render: () => <Forgot />,
};

export const resetView: View = {
  name: "reset",
  title: "New password",
  access: "public",
  render: (props) => <Reset {...props} />,
};

export const verifyView: View = {
  name: "verify",
  title: "Confirm email",
  access: "public",
  render: (props) => <Verify {...props} />,
};
