/** Sign in; a user of several orgs chooses one (the API answers 400 `org_required` with them). */
import { useState } from "hono/jsx/dom";
import { problemOf } from "../../src/client.ts";
import { ProblemNote, useAction } from "../problems.tsx";
import { href } from "../router.ts";
import { api, getState, start } from "../session.ts";
import { formValues, Heading } from "../ui.tsx";
import type { View } from "./view.ts";

/** The sign-in form; after it the page shows what the address names (sign-in shows the overview). */
export function SignInForm() {
  const action = useAction();
  // Kept between the two steps when the user must choose an org; never stored anywhere else.
  const [pending, setPending] = useState<{ email: string; password: string } | null>(null);
  const [orgs, setOrgs] = useState<string[]>([]);

  const signIn = (email: string, password: string, org?: string) =>
    action.run(async () => {
      const res = await api.v1.auth.login.$post({ json: { email, password, org } });
      if (res.ok) {
        setPending(null);
        await start(await res.json());
        return;
      }
      const problem = await problemOf(res);
      if (problem?.code === "org_required" && problem.orgs?.length) {
        setPending({ email, password });
        setOrgs(problem.orgs);
        return;
      }
      return problem;
    });

  return pending
    ? (
      <form
        class="stack"
        onSubmit={(e: Event) => {
          const { org } = formValues(e);
          void signIn(pending.email, pending.password, org);
        }}
      >
        <fieldset>
          <legend>You belong to several organizations. Choose one:</legend>
          {orgs.map((slug, i) => (
            <label key={slug} class="choice">
              <input type="radio" name="org" value={slug} required checked={i === 0} />
              {slug}
            </label>
          ))}
        </fieldset>
        <div class="row">
          <button type="submit" class="primary" disabled={action.busy}>Continue</button>
          <button type="button" onClick={() => setPending(null)}>Back</button>
        </div>
        <ProblemNote problem={action.problem} />
      </form>
    )
    : (
      <form
        class="stack"
        onSubmit={(e: Event) => {
          const { email, password } = formValues(e);
          void signIn(email, password);
        }}
      >
        <label>
          Email
          <input name="email" type="email" autocomplete="username" required maxlength={254} />
        </label>
        <label>
          Password
          <input
            name="password"
            type="password"
            autocomplete="current-password"
            required
            maxlength={128}
          />
        </label>
        <button type="submit" class="primary" disabled={action.busy}>Sign in</button>
        <ProblemNote
          problem={action.problem}
          messages={{
            email_unverified: "Confirm your email address first: we mailed you a new link.",
          }}
        />
        <a href={href("forgot")}>Forgot password?</a>
      </form>
    );
}

function SignIn() {
  const notice = getState().notice;
  return (
    <section class="card narrow">
      <Heading>Sign in</Heading>
      {notice ? <p class="notice" role="status">{notice}</p> : null}
      <SignInForm />
      <p class="muted">
        New here? <a href={href("create")}>Create an organization</a>.
      </p>
    </section>
  );
}

export const signInView: View = {
  name: "sign-in",
  title: "Sign in",
  access: "public",
  render: () => <SignIn />,
};
