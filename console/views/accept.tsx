/**
 * Accept an invitation from its link (`#/accept/<token>`): signed in, with the current account
 * (docs/api.md: an existing user's bearer token, no password); signed out, as a new user choosing a
 * password, or by signing in first with an existing account.
 */
import { useState } from "hono/jsx/dom";
import { problemOf } from "../../src/client.ts";
import { ProblemNote, useAction } from "../problems.tsx";
import { go } from "../router.ts";
import { api, replace, send, signOut, start } from "../session.ts";
import { formValues, Heading, NewPassword } from "../ui.tsx";
import { SignInForm } from "./sign-in.tsx";
import type { View, ViewProps } from "./view.ts";

function Accept({ route, session, me }: ViewProps) {
  const token = route.params[0] ?? "";
  const action = useAction();
  const [mode, setMode] = useState<"new" | "existing">("new");

  if (!token) {
    return (
      <section class="card narrow">
        <Heading>Accept an invitation</Heading>
        <p>This link has no invitation in it. Open the whole link you were sent.</p>
      </section>
    );
  }

  if (session) {
    return (
      <section class="card narrow">
        <Heading>Accept the invitation</Heading>
        <p>
          You are signed in as{" "}
          <strong>{me?.user.email ?? "…"}</strong>. The invitation joins this account to the
          organization that sent it.
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
          }}
        />
      </section>
    );
  }

  return (
    <section class="card narrow">
      <Heading>Accept the invitation</Heading>
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
              Your account is created for the email the invitation was sent to.
            </p>
            <NewPassword />
            <button type="submit" class="primary" disabled={action.busy}>
              Create account and join
            </button>
            <ProblemNote problem={action.problem} />
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

export const acceptView: View = {
  name: "accept",
  title: "Accept an invitation",
  access: "public",
  render: (props) => <Accept {...props} />,
};
