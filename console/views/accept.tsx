/**
 * Accept an invitation from its link (`#/accept/<token>` or `#/accept?token=<token>`). It first
 * says what the invitation is (the org, who invited, the role), or plainly that the link is
 * spent or expired; then, signed in, with the current account
 * (docs/api.md: an existing user's bearer token, no password); signed out, as a new user choosing a
 * password, or by signing in first with an existing account.
 */
import { useState } from "hono/jsx/dom";
import type { InferResponseType } from "hono/client";
import { problemOf } from "../../src/client.ts";
import { failed, ok, useLoad } from "../load.ts";
import { ProblemNote, useAction } from "../problems.tsx";
import { go, hashQuery } from "../router.ts";
import { api, replace, send, signOut, start } from "../session.ts";
import { date, formValues, Heading, NewPassword, ROLE_LABELS } from "../ui.tsx";
import { SignInForm } from "./sign-in.tsx";
import type { View, ViewProps } from "./view.ts";

type Preview = InferResponseType<typeof api.v1.invitations.preview.$post, 200>;

/** What the invitation is: the org, who invited, the role, for which email, until when. */
function About({ p }: { p: Preview }) {
  return (
    <div class="invitation" data-testid="invitation">
      <p>
        <strong>{p.invitedBy.email}</strong> invited you to join{" "}
        <strong data-field="org">{p.org.name}</strong> as{" "}
        <strong data-field="role">{ROLE_LABELS[p.role].toLowerCase()}</strong>.
      </p>
      <dl class="facts">
        <dt>For</dt>
        <dd data-field="email">{p.email}</dd>
        <dt>Valid until</dt>
        <dd>{date(p.expiresAt)}</dd>
      </dl>
    </div>
  );
}

function Accept({ route, session, me }: ViewProps) {
  const token = route.params[0] ?? hashQuery(location.hash).get("token") ?? "";
  const action = useAction();
  const [mode, setMode] = useState<"new" | "existing">("new");
  const about = useLoad(async () => {
    if (!token) return failed(null);
    const res = await api.v1.invitations.preview.$post({ json: { token } });
    return res.ok ? ok(await res.json()) : failed(await problemOf(res));
  }, [token]);

  if (!token) {
    return (
      <section class="card narrow">
        <Heading>Accept an invitation</Heading>
        <p>This link has no invitation in it. Open the whole link you were sent.</p>
      </section>
    );
  }

  if (about.loading && !about.data) {
    return (
      <section class="card narrow">
        <Heading>Accept the invitation</Heading>
        <p class="muted" aria-busy="true">Reading the invitation…</p>
      </section>
    );
  }

  if (!about.data) {
    const gone = about.problem?.code === "invitation_not_found";
    return (
      <section class="card narrow">
        <Heading>{gone ? "This invitation link no longer works" : "Accept the invitation"}</Heading>
        {gone
          ? (
            <p data-testid="invitation-gone">
              It was used already, has expired, or was withdrawn. Ask the person who invited you to
              send a new invitation.
            </p>
          )
          : <ProblemNote problem={about.problem} />}
      </section>
    );
  }

  if (session) {
    return (
      <section class="card narrow">
        <Heading>Accept the invitation</Heading>
        <About p={about.data} />
        <p>
          You are signed in as{" "}
          <strong>{me?.user.email ?? "…"}</strong>. Accepting joins this account to{" "}
          {about.data.org.name}.
        </p>
        <div class="row">
          <button
            type="button"
            class="primary"
            disabled={action.busy}
            onClick={() =>
              void action.run(async () => {
                // An existing account proves itself with its token, not a password.
                const res = await send(() => api.v1.invitations.accept.$post({ json: { token } }));
                if (!res.ok) return await problemOf(res);
                await replace(await res.json());
                go("overview");
              })}
          >
            Accept invitation
          </button>
          <button type="button" onClick={() => void signOut()}>
            Not you? Sign out
          </button>
        </div>
        <ProblemNote
          problem={action.problem}
          messages={{
            forbidden: "This invitation was sent to another email. Sign out, then open the " +
              "link again to sign in with that email.",
            email_unverified: JOINED_UNVERIFIED,
          }}
        />
      </section>
    );
  }

  return (
    <section class="card narrow">
      <Heading>Accept the invitation</Heading>
      <About p={about.data} />
      <div class="tabs" role="group" aria-label="Do you have an account?">
        <button type="button" aria-pressed={mode === "new"} onClick={() => setMode("new")}>
          I am new here
        </button>
        <button
          type="button"
          aria-pressed={mode === "existing"}
          onClick={() => setMode("existing")}
        >
          I have an account
        </button>
      </div>
      {mode === "new"
        ? (
          <form
            class="stack"
            onSubmit={(e: Event) => {
              const { password } = formValues(e);
              void action.run(async () => {
                const res = await api.v1.invitations.accept.$post({ json: { token, password } });
                if (!res.ok) return await problemOf(res);
                await start(await res.json());
                go("overview");
              });
            }}
          >
            <p class="muted">
              Your account is created for <strong>{about.data.email}</strong>.
            </p>
            <NewPassword />
            <button type="submit" class="primary" disabled={action.busy}>
              Create account and join
            </button>
            <ProblemNote
              problem={action.problem}
              messages={{ email_unverified: JOINED_UNVERIFIED }}
            />
          </form>
        )
        : (
          <>
            <p class="muted">Sign in first; then accept the invitation here.</p>
            <SignInForm />
          </>
        )}
    </section>
  );
}

/** REQUIRE_VERIFIED_EMAIL: the member has joined, but signs in once the address is confirmed. */
const JOINED_UNVERIFIED = "You have joined. Confirm your email address with the link we mailed " +
  "you, then sign in.";

export const acceptView: View = {
  name: "accept",
  title: "Accept an invitation",
  access: "public",
  render: (props) => <Accept {...props} />,
};
