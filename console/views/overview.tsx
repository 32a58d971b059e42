/**
 * The org's overview: name, slug, status, member count; first steps while it is empty; rename
 * (owner or admin) and delete (owner).
 */
import { useState } from "hono/jsx/dom";
import { problemOf } from "../../src/client.ts";
import { failed, ok, useLoad } from "../load.ts";
import { ProblemNote, useAction } from "../problems.tsx";
import { href } from "../router.ts";
import { api, end, loadMe, renamed, send } from "../session.ts";
import { ConfirmName, date, formValues, Heading, ROLE_LABELS } from "../ui.tsx";
import { sessionView, type SessionViewProps } from "./view.ts";

/** An empty org's first steps: invite a colleague, create a collection, call the API. */
function FirstSteps({ slug, manages }: { slug: string; manages: boolean }) {
  const curl = `curl -s ${location.origin}/v1/orgs/${slug}/collections \\\n` +
    `  -H "authorization: Bearer $TOKEN"`;
  return (
    <section class="card first-steps" aria-labelledby="first-steps-title">
      <h2 id="first-steps-title">First steps</h2>
      <ol class="steps">
        {manages
          ? (
            <li>
              <a href={href("members")}>Invite a colleague</a>
              <span class="muted">: they get a link to join as a member or an admin.</span>
            </li>
          )
          : null}
        <li>
          <a href={href("data")}>Create a collection</a>
          <span class="muted">: your organization's own database, with indexes and documents.</span>
        </li>
        <li>
          <a href="/docs">Read the API docs</a>
          <span class="muted">
            : every route, with <code>{slug}</code> as the <code>slug</code>. For example:
          </span>
          <pre class="code snippet" data-testid="curl"><code>{curl}</code></pre>
        </li>
      </ol>
    </section>
  );
}

function Overview({ session }: SessionViewProps) {
  const slug = session.org.slug;
  const org = useLoad(async () => {
    const res = await send(() => api.v1.orgs[":slug"].$get({ param: { slug } }));
    return res.ok ? ok(await res.json()) : failed(await problemOf(res));
  }, [slug]);
  const cols = useLoad(async () => {
    const res = await send(() => api.v1.orgs[":slug"].collections.$get({ param: { slug } }));
    return res.ok ? ok(await res.json()) : failed(await problemOf(res));
  }, [slug]);
  const rename = useAction();
  const remove = useAction();
  const [confirm, setConfirm] = useState("");
  const canRename = session.role === "owner" || session.role === "admin";
  const canDelete = session.role === "owner";
  const o = org.data;

  return (
    <>
      <Heading>{o?.name ?? "Overview"}</Heading>
      <ProblemNote problem={org.problem} />
      {o
        ? (
          <section class="card" aria-labelledby="facts-title">
            <h2 id="facts-title">Organization</h2>
            <dl class="facts">
              <dt>Name</dt>
              <dd data-field="name">{o.name}</dd>
              <dt>Slug</dt>
              <dd data-field="slug">
                <code>{o.slug}</code>
              </dd>
              <dt>Status</dt>
              <dd data-field="status">
                <span class={`badge ${o.status}`}>{o.status}</span>
              </dd>
              <dt>Members</dt>
              <dd data-field="memberCount">{o.memberCount ?? "—"}</dd>
              <dt>Your role</dt>
              <dd>{ROLE_LABELS[session.role]}</dd>
              <dt>Created</dt>
              <dd>{date(o.createdAt)}</dd>
            </dl>
          </section>
        )
        : org.loading
        ? <p class="muted">Loading…</p>
        : null}
      {o && cols.data && cols.data.items.length === 0 && (o.memberCount ?? 0) <= 1
        ? <FirstSteps slug={o.slug} manages={canRename} />
        : null}
      {o && canRename
        ? (
          <section class="card" aria-labelledby="rename-title">
            <h2 id="rename-title">Rename</h2>
            <p class="muted">
              The slug follows the name; links with the old slug stop working. No data moves.
            </p>
            <form
              class="stack"
              onSubmit={(e: Event) => {
                const { name } = formValues(e);
                void rename.run(async () => {
                  const res = await send(() =>
                    api.v1.orgs[":slug"].$patch({ param: { slug }, json: { name } })
                  );
                  if (!res.ok) return await problemOf(res);
                  renamed((await res.json()).slug);
                  await loadMe();
                });
              }}
            >
              <label>
                New name
                <input name="name" required minlength={3} maxlength={50} value={o.name} />
              </label>
              <button type="submit" class="primary" disabled={rename.busy}>Rename</button>
              <ProblemNote problem={rename.problem} />
            </form>
          </section>
        )
        : null}
      {o && canDelete
        ? (
          <section class="card danger-zone" aria-labelledby="delete-title">
            <h2 id="delete-title">Delete this organization</h2>
            <p>
              Its database, members, invitations and sessions are removed for good, and every token
              for it stops working.
            </p>
            <form
              class="stack"
              onSubmit={(e: Event) => {
                e.preventDefault();
                void remove.run(async () => {
                  const res = await send(() => api.v1.orgs[":slug"].$delete({ param: { slug } }));
                  if (!res.ok) return await problemOf(res);
                  end(`The organization ${o.name} was deleted.`);
                });
              }}
            >
              <ConfirmName expected={o.slug} value={confirm} onInput={setConfirm} />
              <button
                type="submit"
                class="danger"
                disabled={remove.busy || confirm !== o.slug}
              >
                Delete organization
              </button>
              <ProblemNote problem={remove.problem} />
            </form>
          </section>
        )
        : null}
    </>
  );
}

export const overviewView = sessionView({
  name: "overview",
  title: "Overview",
  nav: ["owner", "admin", "member"],
  render: (props) => <Overview {...props} />,
});
