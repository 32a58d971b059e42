/**
 * The web console: a single page on the typed client (src/client.ts). The hash names the view
 * (views/index.ts); a view that needs a session shows sign-in until there is one.
 */
import { render, useEffect, useRef, useState, useSyncExternalStore } from "hono/jsx/dom";
import { problemOf } from "../src/client.ts";
import { ProblemNote, useAction } from "./problems.tsx";
import { go, href, type Route, useRoute } from "./router.ts";
import {
  api,
  getState,
  loadMe,
  type Me,
  replace,
  resume,
  send,
  type Session,
  signOut,
  subscribe,
} from "./session.ts";
import { ROLE_LABELS } from "./ui.tsx";
import { overviewView, signInView, type View, VIEWS } from "./views/index.ts";

/** The view for this address and this state. */
function pick(route: Route, session: Session | null): View {
  const named = VIEWS.find((v) => v.name === route.name);
  if (!session) return named?.access === "public" ? named : signInView;
  if (!named || named === signInView) return overviewView;
  if (named.nav && !named.nav.includes(session.role)) return overviewView;
  return named;
}

/**
 * The org switcher: the current org's name in full, cut with an ellipsis (and then given a
 * `title`) only when the header has no room for it; a native select laid over it does the
 * choosing, so keyboards and screen readers get the usual control.
 */
function OrgSwitcher({ session, me }: { session: Session; me: Me }) {
  const action = useAction();
  const nameRef = useRef<HTMLSpanElement>(null);
  const [cut, setCut] = useState(false);
  const current = me.orgs.find((o) => o.id === session.org.id);
  const name = current?.name ?? session.org.slug;
  useEffect(() => {
    const measure = () => {
      const el = nameRef.current;
      if (el) setCut(el.scrollWidth > el.clientWidth + 1);
    };
    measure();
    addEventListener("resize", measure);
    return () => removeEventListener("resize", measure);
  }, [name]);
  return (
    <div class="switcher" title={cut ? name : undefined} data-testid="org-switcher">
      <span class="org-name" ref={nameRef} data-testid="org-name">{name}</span>
      {current ? <span class="badge role">{ROLE_LABELS[current.role]}</span> : null}
      <span class="caret" aria-hidden="true">▾</span>
      <select
        name="org"
        aria-label="Switch organization"
        disabled={action.busy}
        onChange={(e: Event) => {
          const org = (e.target as HTMLSelectElement).value;
          if (org === "__new") {
            (e.target as HTMLSelectElement).value = session.org.slug;
            go("create");
            return;
          }
          void action.run(async () => {
            const res = await send(() => api.v1.auth.switch.$post({ json: { org } }));
            if (!res.ok) return await problemOf(res);
            await replace(await res.json());
            go("overview");
          });
        }}
      >
        {me.orgs.map((o) => (
          <option key={o.id} value={o.slug} selected={o.id === session.org.id}>
            {o.name} ({ROLE_LABELS[o.role]})
          </option>
        ))}
        <option value="__new">+ New organization…</option>
      </select>
      <ProblemNote problem={action.problem} />
    </div>
  );
}

/**
 * The header: the brand, the org switcher and the main navigation; the account (email, API
 * docs, sign out) sits at the right on a wide screen and behind the Menu button on a narrow one,
 * where the navigation is one row of its own.
 */
function Header({ session, me, view }: { session: Session | null; me: Me | null; view: View }) {
  const out = useAction();
  const [open, setOpen] = useState(false);
  // A new page closes the menu.
  useEffect(() => setOpen(false), [view]);
  return (
    <header class={`top${session ? " signed-in" : ""}${open ? " open" : ""}`}>
      <a class="brand" href={href(session ? "overview" : "sign-in")}>Org console</a>
      {session && me ? <OrgSwitcher session={session} me={me} /> : null}
      {session
        ? (
          <button
            type="button"
            class="menu-button"
            aria-expanded={open ? "true" : "false"}
            aria-controls="account-menu"
            onClick={() => setOpen(!open)}
          >
            Menu
          </button>
        )
        : null}
      {session
        ? (
          <nav aria-label="Main" class="main-nav">
            {VIEWS.filter((v) => v.nav?.includes(session.role)).map((v) => (
              <a key={v.name} href={href(v.name)} aria-current={v === view ? "page" : undefined}>
                {v.title}
              </a>
            ))}
          </nav>
        )
        : null}
      {session
        ? (
          <div class="account" id="account-menu">
            <span class="muted" data-testid="user-email">{me?.user.email}</span>
            <a href="/docs">API docs</a>
            <button type="button" disabled={out.busy} onClick={() => void out.run(signOut)}>
              Sign out
            </button>
            <ProblemNote problem={out.problem} />
          </div>
        )
        : null}
    </header>
  );
}

/** Until the address is confirmed: a banner, with a new mail on demand. */
function VerifyBanner({ me }: { me: Me }) {
  const action = useAction();
  const [sent, setSent] = useState(false);
  if (me.user.emailVerified) return null;
  return (
    <div class="banner" role="region" aria-label="Email confirmation" data-testid="verify-banner">
      <p>
        Confirm your email address <strong>{me.user.email}</strong>: open the link we mailed you.
      </p>
      {sent ? <p role="status">A new mail is on its way.</p> : (
        <button
          type="button"
          disabled={action.busy}
          onClick={() =>
            void action.run(async () => {
              const res = await send(() => api.v1.me.email.verification.$post());
              if (res.ok) {
                return void setSent(true);
              }
              const problem = await problemOf(res);
              // Confirmed meanwhile (in another tab): the banner goes.
              if (problem?.code === "already_verified") {
                return void await loadMe();
              }
              return problem;
            })}
        >
          Send again
        </button>
      )}
      <ProblemNote
        problem={action.problem}
        messages={{ rate_limited: "Three mails an hour at most: try again later." }}
      />
    </div>
  );
}

function App() {
  const route = useRoute();
  const { session, me } = useSyncExternalStore(subscribe, getState);
  const view = pick(route, session);
  const signedIn = session !== null;

  const [opened, setOpened] = useState(false);
  useEffect(() => {
    document.title = `${view.title} · Org console`;
    // A new view moves the focus to its heading; the first one leaves it at the top of the page.
    if (opened) document.getElementById("page-title")?.focus();
    else setOpened(true);
  }, [view, route.params.join("/"), signedIn]);

  return (
    <>
      <a
        class="skip"
        href="#main"
        onClick={(e: Event) => {
          // The hash names the view, so the link moves the focus itself instead of navigating.
          e.preventDefault();
          document.getElementById("page-title")?.focus();
        }}
      >
        Skip to content
      </a>
      <Header session={session} me={me} view={view} />
      {session && me ? <VerifyBanner me={me} /> : null}
      <main id="main">{view.render({ route, session, me })}</main>
    </>
  );
}

await resume();
render(<App />, document.getElementById("app")!);
