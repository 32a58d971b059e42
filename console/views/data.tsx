/**
 * The org's own data: `#/data` lists the collections (with counts and indexes) and creates one;
 * `#/data/<collection>` browses its documents; `#/data/<collection>/<id>` shows one document.
 */
import { problemOf } from "../../src/client.ts";
import { collections, manages } from "../data-api.ts";
import { failed, ok, useLoad } from "../load.ts";
import { ProblemNote, useAction } from "../problems.tsx";
import { href } from "../router.ts";
import { send } from "../session.ts";
import { formValues, Heading } from "../ui.tsx";
import { CollectionPage, Indexes } from "./data-collection.tsx";
import { DocumentPage } from "./data-document.tsx";
import { sessionView, type SessionViewProps } from "./view.ts";

function CreateCollection({ slug, onCreated }: { slug: string; onCreated: () => void }) {
  const action = useAction();
  return (
    <section class="card" aria-labelledby="create-collection-title">
      <h2 id="create-collection-title">Create a collection</h2>
      <form
        class="stack"
        onSubmit={(e: Event) => {
          const form = e.currentTarget as HTMLFormElement;
          const v = formValues(e);
          const field = v.field.trim();
          const indexes = field
            ? [{
              fields: { [field]: v.direction === "-1" ? -1 as const : 1 as const },
              unique: v.unique === "on",
            }]
            : undefined;
          void action.run(async () => {
            const res = await send(() =>
              collections.$post({ param: { slug }, json: { name: v.name.trim(), indexes } })
            );
            if (!res.ok) return await problemOf(res);
            form.reset();
            onCreated();
          });
        }}
      >
        <label>
          Name
          <input
            name="name"
            required
            maxlength={64}
            pattern="[A-Za-z][A-Za-z0-9_\-]{0,63}"
            autocomplete="off"
            aria-describedby="collection-name-hint"
          />
        </label>
        <p class="muted hint" id="collection-name-hint">
          A letter, then letters, digits, <code>_</code> or <code>-</code>. Names starting with{" "}
          <code>system</code> or <code>_</code> are reserved.
        </p>
        <fieldset>
          <legend>Index (optional)</legend>
          <div class="row wrap">
            <label class="grow">
              Indexed field
              <input name="field" maxlength={256} autocomplete="off" placeholder="email" />
            </label>
            <div class="field">
              <label for="index-direction">Direction</label>
              <select id="index-direction" name="direction">
                <option value="1">Ascending</option>
                <option value="-1">Descending</option>
              </select>
            </div>
            <label class="choice">
              <input type="checkbox" name="unique" />
              Unique values
            </label>
          </div>
        </fieldset>
        <button type="submit" class="primary" disabled={action.busy}>Create collection</button>
        <ProblemNote problem={action.problem} />
      </form>
    </section>
  );
}

function Collections({ session }: SessionViewProps) {
  const slug = session.org.slug;
  const list = useLoad(async () => {
    const res = await send(() => collections.$get({ param: { slug } }));
    return res.ok ? ok(await res.json()) : failed(await problemOf(res));
  }, [slug]);
  const items = list.data?.items ?? [];
  return (
    <>
      <Heading>Data</Heading>
      <section class="card" aria-labelledby="collections-title">
        <h2 id="collections-title">Collections</h2>
        <ProblemNote problem={list.problem} />
        {!list.loading && !list.problem && items.length === 0
          ? <p class="muted">No collections yet.</p>
          : null}
        <ul class="list" aria-busy={list.loading}>
          {items.map((c) => (
            <li key={c.name} class="item" data-collection={c.name}>
              <div class="grow">
                <a href={href("data", c.name)}>
                  <strong>{c.name}</strong>
                </a>
                <div class="muted" data-field="count">
                  {c.count === 1 ? "1 document" : `${c.count.toLocaleString()} documents`}
                </div>
              </div>
              <Indexes indexes={c.indexes} />
            </li>
          ))}
        </ul>
      </section>
      {manages(session.role) ? <CreateCollection slug={slug} onCreated={list.reload} /> : null}
    </>
  );
}

function Data(props: SessionViewProps) {
  const [name, id] = props.route.params;
  if (name && id) return <DocumentPage session={props.session} name={name} id={id} />;
  if (name) return <CollectionPage session={props.session} name={name} />;
  return <Collections {...props} />;
}

export const dataView = sessionView({
  name: "data",
  title: "Data",
  nav: ["owner", "admin", "member"],
  render: (props) => <Data {...props} />,
});
