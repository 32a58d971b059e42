/** The org's audit log, newest first, a page at a time (owner or admin). */
import type { InferResponseType } from "hono/client";
import { problemOf } from "../../src/client.ts";
import { failed, ok, useLoad } from "../load.ts";
import { ProblemNote } from "../problems.tsx";
import { api, send } from "../session.ts";
import { date, Heading, PAGE_SIZE, Pager, usePages } from "../ui.tsx";
import { sessionView, type SessionViewProps } from "./view.ts";

type EventType = InferResponseType<typeof api.v1.orgs[":slug"]["audit"]["$get"], 200>["items"][
  number
]["type"];

/** Events without a label here show their type as it is. */
const EVENT_LABELS: Partial<Record<EventType, string>> = {
  "org.created": "Organization created",
  "org.renamed": "Organization renamed",
  "member.invited": "Member invited",
  "member.joined": "Member joined",
  "member.removed": "Member removed",
  "member.role_changed": "Role changed",
  "login.succeeded": "Signed in",
  "login.failed": "Sign-in failed",
  "invitation.revoked": "Invitation revoked",
  "session.revoked": "Signed out",
  "password.changed": "Password changed",
};

function Audit({ session }: SessionViewProps) {
  const slug = session.org.slug;
  const pages = usePages();
  const cursor = pages.cursor;
  const page = useLoad(async () => {
    const res = await send(() =>
      api.v1.orgs[":slug"].audit.$get({
        param: { slug },
        query: { limit: String(PAGE_SIZE.default), cursor },
      })
    );
    return res.ok ? ok(await res.json()) : failed(await problemOf(res));
  }, [slug, cursor]);
  const events = page.data?.items ?? [];
  // Events name people by user id; the members' emails make them readable.
  const people = useLoad(async () => {
    const res = await send(() =>
      api.v1.orgs[":slug"].members.$get({
        param: { slug },
        query: { limit: String(PAGE_SIZE.max) },
      })
    );
    return res.ok ? ok(await res.json()) : failed(await problemOf(res));
  }, [slug]);
  const emails = new Map((people.data?.items ?? []).map((m) => [m.userId, m.email]));
  const who = (id: string | null | undefined) => (id && emails.get(id)) ?? id ?? "—";

  return (
    <>
      <Heading>Audit log</Heading>
      <section class="card" aria-labelledby="events-title">
        <h2 id="events-title" class="visually-hidden">Events</h2>
        <ProblemNote problem={page.problem} />
        <div class="scroll" tabindex={0} role="region" aria-label="Audit events">
          <table class="events" aria-busy={page.loading}>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Event</th>
                <th scope="col">Who</th>
                <th scope="col">Details</th>
                <th scope="col">Address</th>
              </tr>
            </thead>
            <tbody>
              {events.map((e) => (
                <tr key={e.id} data-type={e.type}>
                  <td data-label="When" class="when">{date(e.at)}</td>
                  <td data-label="Event">{EVENT_LABELS[e.type] ?? e.type}</td>
                  <td data-label="Who">
                    {"type" in e.actor
                      ? `API key “${e.actor.name}”`
                      : e.actor.email ?? who(e.actor.userId)}
                  </td>
                  <td data-label="Details">
                    {e.target
                      ? Object.entries(e.target)
                        .map(([k, v]) => k === "userId" ? `user: ${who(v)}` : `${k}: ${v}`)
                        .join(", ")
                      : "—"}
                  </td>
                  <td data-label="Address">{e.ip}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {!page.loading && events.length === 0 && !page.problem
          ? <p class="muted">No events.</p>
          : null}
        <Pager pages={pages} page={page} label="Audit log pages" labels={["Newer", "Older"]} />
      </section>
    </>
  );
}

export const auditView = sessionView({
  name: "audit",
  title: "Audit log",
  nav: ["owner", "admin"],
  render: (props) => <Audit {...props} />,
});
