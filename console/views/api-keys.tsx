/**
 * API keys (owners and admins): create one with a name, scopes and an expiry, see it once with
 * a copy button, list the org's keys with their last use, revoke one after confirming.
 */
import { useEffect, useState } from "hono/jsx/dom";
import type { InferResponseType } from "hono/client";
import { problemOf } from "../../src/client.ts";
import { ProblemNote, useAction } from "../problems.tsx";
import { api, send } from "../session.ts";
import { date, Heading } from "../ui.tsx";
import { sessionView, type SessionViewProps } from "./view.ts";

const apiKeys = api.v1.orgs[":slug"]["api-keys"];
type ApiKey = InferResponseType<typeof apiKeys.$get, 200>["items"][number];
type Scope = ApiKey["scopes"][number];

const SCOPES: { scope: Scope; label: string }[] = [
  { scope: "data:read", label: "Read data (collections and documents)" },
  { scope: "data:write", label: "Write data (create, change and delete documents)" },
  { scope: "collections:manage", label: "Manage collections (create and drop)" },
  { scope: "members:read", label: "List members" },
  { scope: "audit:read", label: "Read the audit log" },
];
const EXPIRIES = [
  { days: "30", label: "30 days" },
  { days: "90", label: "90 days" },
  { days: "365", label: "1 year" },
  { days: "", label: "Never" },
];

function CreateKey({ slug, onCreated }: { slug: string; onCreated: () => void }) {
  const action = useAction();
  const [shown, setShown] = useState<{ name: string; key: string } | null>(null);
  const [copied, setCopied] = useState<string | null>(null);
  const copy = async () => {
    if (!shown) return;
    try {
      await navigator.clipboard.writeText(shown.key);
      setCopied("Copied to the clipboard.");
    } catch {
      (document.getElementById("new-api-key") as HTMLInputElement | null)?.select();
      setCopied("Press Ctrl+C (or ⌘C) to copy the selected key.");
    }
  };
  return (
    <section class="card" aria-labelledby="create-key-title">
      <h2 id="create-key-title">Create an API key</h2>
      <form
        class="stack"
        onSubmit={(e: Event) => {
          e.preventDefault();
          const form = e.currentTarget as HTMLFormElement;
          const data = new FormData(form);
          const name = String(data.get("name") ?? "");
          const scopes = data.getAll("scope").map(String) as Scope[];
          const days = String(data.get("expiry") ?? "");
          void action.run(async () => {
            const res = await send(() =>
              apiKeys.$post({
                param: { slug },
                json: { name, scopes, ...(days ? { expiresInDays: Number(days) } : {}) },
              })
            );
            if (!res.ok) return await problemOf(res);
            const created = await res.json();
            setShown({ name: created.name, key: created.key });
            setCopied(null);
            form.reset();
            onCreated();
          });
        }}
      >
        <label>
          Name
          <input name="name" required maxlength={100} autocomplete="off" />
        </label>
        <fieldset>
          <legend>Scopes</legend>
          {SCOPES.map((s) => (
            <label key={s.scope} class="choice">
              <input type="checkbox" name="scope" value={s.scope} /> {s.label}{" "}
              <code>{s.scope}</code>
            </label>
          ))}
        </fieldset>
        <div class="field">
          <label for="key-expiry">Expires after</label>
          <select id="key-expiry" name="expiry">
            {EXPIRIES.map((x) => <option key={x.label} value={x.days}>{x.label}</option>)}
          </select>
        </div>
        <button type="submit" class="primary" disabled={action.busy}>Create key</button>
        <ProblemNote problem={action.problem} />
      </form>
      {shown
        ? (
          <div class="invitation-link" role="status">
            <p class="warning">
              <strong>Copy this key now.</strong>{" "}
              It is shown only this once and cannot be shown again; anyone holding it can act on
              this organization's data with its scopes. Keep it secret, like a password.
            </p>
            <label>
              API key “{shown.name}”
              <input id="new-api-key" readonly value={shown.key} />
            </label>
            <div class="row">
              <button type="button" onClick={() => void copy()}>Copy key</button>
              {copied ? <span class="muted">{copied}</span> : null}
            </div>
          </div>
        )
        : null}
    </section>
  );
}

function KeyRow({ k, slug, onChanged }: { k: ApiKey; slug: string; onChanged: () => void }) {
  const revoke = useAction();
  return (
    <li class="item" data-key-name={k.name}>
      <div class="grow">
        <strong>{k.name}</strong> <code data-field="prefix">{k.prefix}…</code>
        <div>
          {k.scopes.map((s) => <span key={s} class="badge">{s}</span>)}
        </div>
        <div class="muted">
          Created {date(k.createdAt)} · Last used{" "}
          <span data-field="lastUsedAt">{k.lastUsedAt ? date(k.lastUsedAt) : "never"}</span> ·{" "}
          {k.expiresAt ? `Expires ${date(k.expiresAt)}` : "Never expires"}
        </div>
      </div>
      <button
        type="button"
        class="danger"
        disabled={revoke.busy}
        onClick={() =>
          void revoke.run(async () => {
            const question = `Revoke the API key “${k.name}”? Everything using it stops ` +
              "working at once.";
            if (!confirm(question)) return;
            const res = await send(() => apiKeys[":id"].$delete({ param: { slug, id: k.id } }));
            if (!res.ok) return await problemOf(res);
            onChanged();
          })}
      >
        Revoke<span class="visually-hidden">the API key {k.name}</span>
      </button>
      <div class="full">
        <ProblemNote problem={revoke.problem} />
      </div>
    </li>
  );
}

function ApiKeys({ session }: SessionViewProps) {
  const slug = session.org.slug;
  const [items, setItems] = useState<ApiKey[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [loaded, setLoaded] = useState(false);
  const list = useAction();
  const load = (cursor?: string) =>
    void list.run(async () => {
      const res = await send(() => apiKeys.$get({ param: { slug }, query: { cursor } }));
      if (!res.ok) return await problemOf(res);
      const page = await res.json();
      setItems((prev) => cursor ? [...prev, ...page.items] : page.items);
      setNext(page.nextCursor);
      setLoaded(true);
    });
  useEffect(() => load(), [slug]);
  return (
    <>
      <Heading>API keys</Heading>
      <p class="muted">
        An API key lets a backend or a script use this organization's data without a person's
        password. Send it as <code>Authorization: Bearer osk_…</code>.
      </p>
      <CreateKey slug={slug} onCreated={() => load()} />
      <section class="card" aria-labelledby="keys-title">
        <h2 id="keys-title">Keys</h2>
        {loaded && items.length === 0 ? <p class="muted">No API keys yet.</p> : null}
        <ul class="list" aria-busy={list.busy}>
          {items.map((k) => <KeyRow key={k.id} k={k} slug={slug} onChanged={() => load()} />)}
        </ul>
        {next ? <button type="button" onClick={() => load(next)}>Show more</button> : null}
        <ProblemNote problem={list.problem} />
      </section>
    </>
  );
}

export const apiKeysView = sessionView({
  name: "api-keys",
  title: "API keys",
  nav: ["owner", "admin"],
  render: (props) => <ApiKeys {...props} />,
});
