/** Members and invitations: invite (and copy the link), change roles, remove, revoke. */
import { useEffect, useState } from "hono/jsx/dom";
import type { InferResponseType } from "hono/client";
import { type Problem, problemOf } from "../../src/client.ts";
import { ProblemNote, useAction } from "../problems.tsx";
import { href } from "../router.ts";
import { api, end, loadMe, type Role, send, type Session } from "../session.ts";
import { date, formValues, Heading, ROLE_LABELS } from "../ui.tsx";
import { sessionView, type SessionViewProps } from "./view.ts";

const members = api.v1.orgs[":slug"].members;
const invitations = api.v1.orgs[":slug"].invitations;
type Member = InferResponseType<typeof members.$get, 200>["items"][number];
type Invitation = InferResponseType<typeof invitations.$get, 200>["items"][number];

const ROLES: Role[] = ["member", "admin", "owner"];

/** Roles the signed-in user may give someone who now has `current` (the server decides too). */
function grantable(me: Role, current: Role): Role[] {
  if (me === "owner") return ROLES;
  if (me === "admin" && current !== "owner") return ["member", "admin"];
  return [];
}

/** A keyset-paged list: the first page, then "Show more" appends the next. */
function usePaged<T>(
  fetchPage: (cursor?: string) => Promise<{ items: T[]; nextCursor: string | null } | Problem>,
) {
  const [items, setItems] = useState<T[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [loaded, setLoaded] = useState(false);
  const action = useAction();
  const load = (cursor?: string) =>
    action.run(async () => {
      const page = await fetchPage(cursor);
      if ("code" in page) return page;
      setItems((prev) => cursor ? [...prev, ...page.items] : page.items);
      setNext(page.nextCursor);
      setLoaded(true);
    });
  return { items, next, loaded, action, load };
}

function MemberRow(
  { m, session, userId, onChanged }: {
    m: Member;
    session: Session;
    userId: string | undefined;
    onChanged: () => void;
  },
) {
  const change = useAction();
  const remove = useAction();
  const slug = session.org.slug;
  const self = m.userId === userId;
  const roles = grantable(session.role, m.role);
  const canRemove = self || roles.length > 0;
  return (
    <li class="item" data-email={m.email}>
      <div class="grow">
        <strong>{m.email}</strong>
        {self ? <span class="muted you">(you)</span> : null}
        <div class="muted">Joined {date(m.joinedAt)}</div>
      </div>
      {roles.length > 0
        ? (
          <select
            name="role"
            aria-label={`Role of ${m.email}`}
            disabled={change.busy}
            onChange={(e: Event) => {
              const select = e.target as HTMLSelectElement;
              const role = select.value as Role;
              void change.run(async () => {
                const res = await send(() =>
                  members[":userId"].$patch({ param: { slug, userId: m.userId }, json: { role } })
                );
                if (!res.ok) {
                  select.value = m.role; // unchanged: show the role they still have
                  return await problemOf(res);
                }
                if (self) await loadMe();
                onChanged();
              });
            }}
          >
            {ROLES.map((r) => (
              <option key={r} value={r} selected={r === m.role}>{ROLE_LABELS[r]}</option>
            ))}
          </select>
        )
        : <span class="badge">{ROLE_LABELS[m.role]}</span>}
      {canRemove
        ? (
          <button
            type="button"
            class="danger"
            disabled={remove.busy}
            onClick={() =>
              void remove.run(async () => {
                const question = self
                  ? "Leave this organization?"
                  : `Remove ${m.email} from the organization?`;
                if (!confirm(question)) return;
                const res = await send(() =>
                  members[":userId"].$delete({ param: { slug, userId: m.userId } })
                );
                if (!res.ok) return await problemOf(res);
                if (self) end("You left the organization.");
                else onChanged();
              })}
          >
            {self ? "Leave" : "Remove"}
            <span class="visually-hidden">{self ? "" : ` ${m.email}`}</span>
          </button>
        )
        : null}
      <div class="full">
        <ProblemNote problem={change.problem ?? remove.problem} />
      </div>
    </li>
  );
}

function InviteForm(
  { slug, role, onInvited }: { slug: string; role: Role; onInvited: () => void },
) {
  const action = useAction();
  const [link, setLink] = useState<{ email: string; url: string } | null>(null);
  const [copied, setCopied] = useState<string | null>(null);
  const copy = async () => {
    if (!link) return;
    try {
      await navigator.clipboard.writeText(link.url);
      setCopied("Copied to the clipboard.");
    } catch {
      // No clipboard (an insecure origin, or refused): select the link for the user to copy.
      (document.getElementById("invitation-link") as HTMLInputElement | null)?.select();
      setCopied("Press Ctrl+C (or ⌘C) to copy the selected link.");
    }
  };
  return (
    <section class="card" aria-labelledby="invite-title">
      <h2 id="invite-title">Invite someone</h2>
      <form
        class="stack"
        onSubmit={(e: Event) => {
          const form = e.currentTarget as HTMLFormElement;
          const v = formValues(e);
          void action.run(async () => {
            const res = await send(() =>
              invitations.$post({ param: { slug }, json: { email: v.email, role: v.role as Role } })
            );
            if (!res.ok) return await problemOf(res);
            const inv = await res.json();
            const url = `${location.origin}/console${href("accept", inv.token)}`;
            setLink({ email: inv.email, url });
            setCopied(null);
            form.reset();
            onInvited();
          });
        }}
      >
        <div class="row wrap">
          <label class="grow">
            Email
            <input name="email" type="email" required maxlength={254} autocomplete="off" />
          </label>
          <div class="field">
            <label for="invite-role">Role</label>
            <select id="invite-role" name="role">
              {(role === "owner" ? ROLES : ROLES.slice(0, 2)).map((r) => (
                <option key={r} value={r}>{ROLE_LABELS[r]}</option>
              ))}
            </select>
          </div>
        </div>
        <button type="submit" class="primary" disabled={action.busy}>Create invitation</button>
        <ProblemNote problem={action.problem} />
      </form>
      {link
        ? (
          <div class="invitation-link" role="status">
            <label>
              Invitation link for {link.email} (shown once: send it to them)
              <input id="invitation-link" readonly value={link.url} />
            </label>
            <div class="row">
              <button type="button" onClick={() => void copy()}>Copy link</button>
              {copied ? <span class="muted">{copied}</span> : null}
            </div>
          </div>
        )
        : null}
    </section>
  );
}

function Members({ session, me }: SessionViewProps) {
  const slug = session.org.slug;
  const manager = session.role === "owner" || session.role === "admin";
  const list = usePaged<Member>(async (cursor) => {
    const res = await send(() => members.$get({ param: { slug }, query: { cursor } }));
    return res.ok ? await res.json() : (await problemOf(res))!;
  });
  const pending = usePaged<Invitation>(async (cursor) => {
    const res = await send(() => invitations.$get({ param: { slug }, query: { cursor } }));
    return res.ok ? await res.json() : (await problemOf(res))!;
  });
  const reload = () => {
    void list.load();
    if (manager) void pending.load();
  };
  useEffect(reload, [slug, session.role]);

  return (
    <>
      <Heading>Members</Heading>
      {manager ? <InviteForm slug={slug} role={session.role} onInvited={reload} /> : null}
      <section class="card" aria-labelledby="members-title">
        <h2 id="members-title">Members</h2>
        <ul class="list" aria-busy={list.action.busy}>
          {list.items.map((m) => (
            <MemberRow
              key={m.userId}
              m={m}
              session={session}
              userId={me?.user.id}
              onChanged={reload}
            />
          ))}
        </ul>
        {list.next
          ? <button type="button" onClick={() => void list.load(list.next!)}>Show more</button>
          : null}
        <ProblemNote problem={list.action.problem} />
      </section>
      {manager
        ? (
          <section class="card" aria-labelledby="pending-title">
            <h2 id="pending-title">Pending invitations</h2>
            {pending.loaded && pending.items.length === 0
              ? <p class="muted">No pending invitations.</p>
              : null}
            <ul class="list">
              {pending.items.map((i) => (
                <PendingRow
                  key={i.id}
                  invitation={i}
                  slug={slug}
                  onChanged={reload}
                />
              ))}
            </ul>
            {pending.next
              ? (
                <button type="button" onClick={() => void pending.load(pending.next!)}>
                  Show more
                </button>
              )
              : null}
            <ProblemNote problem={pending.action.problem} />
          </section>
        )
        : null}
    </>
  );
}

function PendingRow(
  { invitation: i, slug, onChanged }: {
    invitation: Invitation;
    slug: string;
    onChanged: () => void;
  },
) {
  const revoke = useAction();
  return (
    <li class="item" data-email={i.email}>
      <div class="grow">
        <strong>{i.email}</strong> <span class="badge">{ROLE_LABELS[i.role]}</span>
        <div class="muted">Expires {date(i.expiresAt)}</div>
      </div>
      <button
        type="button"
        disabled={revoke.busy}
        onClick={() =>
          void revoke.run(async () => {
            const res = await send(() => invitations[":id"].$delete({ param: { slug, id: i.id } }));
            if (!res.ok) return await problemOf(res);
            onChanged();
          })}
      >
        Revoke<span class="visually-hidden">the invitation of {i.email}</span>
      </button>
      <div class="full">
        <ProblemNote problem={revoke.problem} />
      </div>
    </li>
  );
}

export const membersView = sessionView({
  name: "members",
  title: "Members",
  nav: ["owner", "admin", "member"],
  render: (props) => <Members {...props} />,
});
