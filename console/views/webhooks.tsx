/**
 * Webhooks (owner or admin): the org's endpoints with their events, add one (its signing secret
 * shown once, with a copy button), enable or disable, send a test event, delete, and each
 * endpoint's recent deliveries with their status and a retry button.
 */
import { useState } from "hono/jsx/dom";
import type { InferResponseType } from "hono/client";
import { problemOf } from "../../src/client.ts";
import { failed, ok, useLoad } from "../load.ts";
import { ProblemNote, useAction } from "../problems.tsx";
import { api, send } from "../session.ts";
import { date, formValues, Heading } from "../ui.tsx";
import { sessionView, type SessionViewProps } from "./view.ts";

const webhooks = api.v1.orgs[":slug"].webhooks;
type Webhook = InferResponseType<typeof webhooks.$get, 200>["items"][number];
type Delivery = InferResponseType<
  typeof webhooks[":id"]["deliveries"]["$get"],
  200
>["items"][number];

const EVENTS = [
  "org.updated",
  "org.deleted",
  "org.suspended",
  "org.resumed",
  "org.moved",
  "member.joined",
  "member.role_changed",
  "member.removed",
  "invitation.created",
  "invitation.revoked",
  "collection.created",
  "collection.dropped",
  "api_key.created",
  "api_key.revoked",
  "webhook.test",
] as const;
type EventName = typeof EVENTS[number] | "*";

function NewWebhook({ slug, onCreated }: { slug: string; onCreated: () => void }) {
  const action = useAction();
  const [secret, setSecret] = useState<{ url: string; secret: string } | null>(null);
  const [copied, setCopied] = useState<string | null>(null);
  const copy = async () => {
    if (!secret) return;
    try {
      await navigator.clipboard.writeText(secret.secret);
      setCopied("Copied to the clipboard.");
    } catch {
      (document.getElementById("webhook-secret") as HTMLInputElement | null)?.select();
      setCopied("Press Ctrl+C (or ⌘C) to copy the selected secret.");
    }
  };
  return (
    <section class="card" aria-labelledby="new-webhook-title">
      <h2 id="new-webhook-title">Add an endpoint</h2>
      <form
        class="stack"
        onSubmit={(e: Event) => {
          const form = e.currentTarget as HTMLFormElement;
          const v = formValues(e);
          const chosen = [...form.querySelectorAll<HTMLInputElement>("input[name=event]:checked")]
            .map((i) => i.value as EventName);
          const events: EventName[] = v.all === "on" || !chosen.length ? ["*"] : chosen;
          void action.run(async () => {
            const res = await send(() =>
              webhooks.$post({
                param: { slug },
                json: { url: v.url, events, description: v.description || undefined },
              })
            );
            if (!res.ok) return await problemOf(res);
            const created = await res.json();
            setSecret({ url: created.url, secret: created.secret });
            setCopied(null);
            form.reset();
            onCreated();
          });
        }}
      >
        <label>
          URL
          <input name="url" type="url" required maxlength={2048} placeholder="https://" />
        </label>
        <label>
          Description
          <input name="description" maxlength={500} />
        </label>
        <fieldset>
          <legend>Events</legend>
          <label>
            <input type="checkbox" name="all" checked /> Every event
          </label>
          <div class="row wrap">
            {EVENTS.map((ev) => (
              <label key={ev}>
                <input type="checkbox" name="event" value={ev} /> {ev}
              </label>
            ))}
          </div>
        </fieldset>
        <button type="submit" class="primary" disabled={action.busy}>Add endpoint</button>
        <ProblemNote
          problem={action.problem}
          messages={{
            invalid_url: "This URL is not allowed: it must be https:// and reach a public address.",
            quota_exceeded: "An organization has at most 10 endpoints.",
          }}
        />
      </form>
      {secret
        ? (
          <div class="webhook-secret" role="status">
            <p class="warning">
              <strong>Copy this signing secret now: it is shown once and never again.</strong>{" "}
              Your receiver verifies each delivery to {secret.url} with it.
            </p>
            <label>
              Signing secret
              <input id="webhook-secret" readonly value={secret.secret} />
            </label>
            <div class="row">
              <button type="button" onClick={() => void copy()}>Copy secret</button>
              {copied ? <span class="muted">{copied}</span> : null}
            </div>
          </div>
        )
        : null}
    </section>
  );
}

function Deliveries({ slug, id, version }: { slug: string; id: string; version: number }) {
  const [again, setAgain] = useState(0);
  const action = useAction();
  const page = useLoad(async () => {
    const res = await send(() =>
      webhooks[":id"].deliveries.$get({ param: { slug, id }, query: { limit: "10" } })
    );
    return res.ok ? ok(await res.json()) : failed(await problemOf(res));
  }, [slug, id, version, again]);
  const items: Delivery[] = page.data?.items ?? [];
  return (
    <div class="deliveries">
      <div class="row">
        <h4>Recent deliveries</h4>
        <button type="button" onClick={() => setAgain((n) => n + 1)}>Refresh</button>
      </div>
      <ProblemNote problem={page.problem ?? action.problem} />
      {items.length === 0 && !page.loading
        ? <p class="muted">No deliveries yet.</p>
        : (
          <table aria-busy={page.loading}>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Event</th>
                <th scope="col">Status</th>
                <th scope="col">Attempts</th>
                <th scope="col">Last answer</th>
                <th scope="col"></th>
              </tr>
            </thead>
            <tbody>
              {items.map((d) => (
                <tr key={d.id} class="delivery" data-status={d.status}>
                  <td data-label="When">{date(d.createdAt)}</td>
                  <td data-label="Event">{d.type}</td>
                  <td data-label="Status" class="delivery-status">{d.status}</td>
                  <td data-label="Attempts">{d.attempts}</td>
                  <td data-label="Last answer">
                    {d.lastStatus ?? ""} {d.lastError ?? ""}
                  </td>
                  <td>
                    <button
                      type="button"
                      disabled={action.busy}
                      onClick={() =>
                        void action.run(async () => {
                          const res = await send(() =>
                            webhooks[":id"].deliveries[":deliveryId"].retry.$post({
                              param: { slug, id, deliveryId: d.id },
                            })
                          );
                          if (!res.ok) return await problemOf(res);
                          setAgain((n) => n + 1);
                        })}
                    >
                      Retry
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
    </div>
  );
}

function Endpoint(
  { slug, w, onChanged }: { slug: string; w: Webhook; onChanged: () => void },
) {
  const action = useAction();
  const [version, setVersion] = useState(0);
  const [note, setNote] = useState<string | null>(null);
  const param = { slug, id: w.id };
  return (
    <li class="card webhook" data-id={w.id}>
      <div class="row wrap">
        <strong class="webhook-url">{w.url}</strong>
        <span class="webhook-state">
          {w.enabled ? "Enabled" : `Disabled${w.disabledReason ? ` (${w.disabledReason})` : ""}`}
        </span>
      </div>
      {w.description ? <p>{w.description}</p> : null}
      <p class="muted webhook-events">Events: {w.events.join(", ")}</p>
      <div class="row wrap">
        <button
          type="button"
          disabled={action.busy}
          onClick={() =>
            void action.run(async () => {
              const res = await send(() =>
                webhooks[":id"].$patch({ param, json: { enabled: !w.enabled } })
              );
              if (!res.ok) return await problemOf(res);
              onChanged();
            })}
        >
          {w.enabled ? "Disable" : "Enable"}
        </button>
        <button
          type="button"
          disabled={action.busy || !w.enabled}
          onClick={() =>
            void action.run(async () => {
              const res = await send(() => webhooks[":id"].test.$post({ param }));
              if (!res.ok) return await problemOf(res);
              setNote("Test event queued.");
              setTimeout(() => setVersion((n) => n + 1), 1000);
            })}
        >
          Send test event
        </button>
        <button
          type="button"
          class="danger"
          disabled={action.busy}
          onClick={() => {
            if (!confirm(`Delete the endpoint ${w.url}? Pending deliveries will not be sent.`)) {
              return;
            }
            void action.run(async () => {
              const res = await send(() => webhooks[":id"].$delete({ param }));
              if (!res.ok) return await problemOf(res);
              onChanged();
            });
          }}
        >
          Delete
        </button>
        {note ? <span class="muted" role="status">{note}</span> : null}
      </div>
      <ProblemNote problem={action.problem} />
      <Deliveries slug={slug} id={w.id} version={version} />
    </li>
  );
}

function Webhooks({ session }: SessionViewProps) {
  const slug = session.org.slug;
  const [version, setVersion] = useState(0);
  const list = useLoad(async () => {
    const res = await send(() => webhooks.$get({ param: { slug }, query: { limit: "20" } }));
    return res.ok ? ok(await res.json()) : failed(await problemOf(res));
  }, [slug, version]);
  const items = list.data?.items ?? [];
  const changed = () => setVersion((n) => n + 1);
  return (
    <>
      <Heading>Webhooks</Heading>
      <NewWebhook slug={slug} onCreated={changed} />
      <section class="card" aria-labelledby="endpoints-title">
        <h2 id="endpoints-title">Endpoints</h2>
        <ProblemNote problem={list.problem} />
        {!list.loading && items.length === 0 && !list.problem
          ? <p class="muted">No endpoints.</p>
          : null}
        <ul class="webhooks">
          {items.map((w) => <Endpoint key={w.id} slug={slug} w={w} onChanged={changed} />)}
        </ul>
      </section>
    </>
  );
}

export const webhooksView = sessionView({
  name: "webhooks",
  title: "Webhooks",
  nav: ["owner", "admin"],
  render: (props) => <Webhooks {...props} />,
});
