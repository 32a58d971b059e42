/**
 * Create an org. Signed out: with a new account as its owner, then signed in to it. Signed in:
 * another org owned by the same user (docs/api.md: a bearer token and `{ name }` alone), then
 * switched to it.
 */
import { type Problem, problemOf } from "../../src/client.ts";
import { ProblemNote, useAction } from "../problems.tsx";
import { go, href } from "../router.ts";
import { api, replace, send, start } from "../session.ts";
import { formValues, Heading, NewPassword } from "../ui.tsx";
import type { View, ViewProps } from "./view.ts";

async function createSignedOut(name: string, email: string, password: string) {
  const res = await api.v1.orgs.$post({ json: { name, admin: { email, password } } });
  if (!res.ok) return await problemOf(res);
  const { org } = await res.json();
  const login = await api.v1.auth.login.$post({ json: { email, password, org: org.slug } });
  if (!login.ok) return await problemOf(login);
  await start(await login.json());
  go("overview");
}

async function createSignedIn(name: string): Promise<Problem | null | void> {
  // Signed in, the owner is the token's user, so the body is the name alone.
  const res = await send(() => api.v1.orgs.$post({ json: { name } }));
  if (!res.ok) return await problemOf(res);
  const { org } = await res.json();
  const switched = await send(() => api.v1.auth.switch.$post({ json: { org: org.slug } }));
  if (!switched.ok) return await problemOf(switched);
  await replace(await switched.json());
  go("overview");
}

function CreateOrg({ session }: ViewProps) {
  const action = useAction();
  return (
    <section class="card narrow">
      <Heading>{session ? "Create another organization" : "Create an organization"}</Heading>
      <form
        class="stack"
        onSubmit={(e: Event) => {
          const v = formValues(e);
          void action.run(() =>
            session ? createSignedIn(v.name) : createSignedOut(v.name, v.email, v.password)
          );
        }}
      >
        <label>
          Organization name
          <input name="name" required minlength={3} maxlength={50} autocomplete="organization" />
        </label>
        {session ? <p class="muted">You will be its owner, and the console switches to it.</p> : (
          <>
            <label>
              Your email
              <input name="email" type="email" required maxlength={254} autocomplete="email" />
            </label>
            <NewPassword hint="password-hint" />
            <p class="muted" id="password-hint">
              At least 8 characters; a long phrase is best. Common passwords are refused.
            </p>
          </>
        )}
        <button type="submit" class="primary" disabled={action.busy}>Create organization</button>
        <ProblemNote problem={action.problem} />
      </form>
      {session ? null : (
        <p class="muted">
          Already have an account?{" "}
          <a href={href("sign-in")}>Sign in</a>, then create the organization from the console.
        </p>
      )}
    </section>
  );
}

export const createOrgView: View = {
  name: "create",
  title: "Create an organization",
  access: "public",
  render: (props) => <CreateOrg {...props} />,
};
