/**
 * The signed-in state: the access token lives in memory only and is refreshed with the
 * refresh token a minute before it expires; a request answered 401 refreshes once and
 * retries; a refused refresh ends the session and the console returns to sign-in.
 *
 * A reload keeps the session: the refresh token is put in sessionStorage while the page
 * unloads and taken out (removed) as the next page starts, so no two tabs ever hold the same
 * refresh token (presenting a spent one revokes the whole session).
 */
import type { InferResponseType } from "hono/client";
import { createClient } from "../src/client.ts";

/** The typed client; every request carries the current access token, if any. */
export const api = createClient(location.origin, { token: () => state.session?.accessToken });

export type TokenPair = InferResponseType<typeof api.v1.auth.login.$post, 200>;
export type Me = InferResponseType<typeof api.v1.me.$get, 200>;
export type Role = NonNullable<TokenPair["role"]>;

export interface Session {
  accessToken: string;
  refreshToken: string;
  org: { id: string; slug: string };
  role: Role;
}

export interface State {
  session: Session | null;
  /** The user and their orgs, loaded after each sign-in or switch. */
  me: Me | null;
  /** A message for the sign-in page (why the session ended). */
  notice: string | null;
}

let state: State = { session: null, me: null, notice: null };
const listeners = new Set<() => void>();
let refreshTimer: ReturnType<typeof setTimeout> | undefined;
let refreshing: Promise<boolean> | null = null;

export const getState = () => state;

export function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function set(next: Partial<State>) {
  state = { ...state, ...next };
  for (const l of listeners) l();
}

/** Start (or replace) the session with a token pair; loads `/v1/me` for a new one. */
export async function start(pair: TokenPair, opts: { sameSession?: boolean } = {}) {
  if (!pair.org || !pair.role) {
    // An operator who belongs to no org: the console's pages are all an org's.
    end("This account belongs to no organization: use the operator API (/v1/admin)");
    return;
  }
  const session: Session = {
    accessToken: pair.accessToken,
    refreshToken: pair.refreshToken,
    org: pair.org,
    role: pair.role,
  };
  scheduleRefresh(pair.expiresIn);
  set({ session, notice: null, ...(opts.sameSession ? {} : { me: null }) });
  if (!opts.sameSession) await loadMe();
}

/** Reload the user and their orgs (after a rename, a new org, a role change). */
export async function loadMe() {
  const res = await send(() => api.v1.me.$get(), { followRename: false });
  if (!res.ok) return;
  const me = await res.json();
  // The role may have changed since the token was issued; the server checks the current one.
  // So may the slug, renamed in another session: routes name the org by its current slug.
  const session = state.session;
  const slug = me.orgs.find((o) => o.id === session?.org.id)?.slug ?? session?.org.slug;
  set({
    me,
    session: session &&
      { ...session, role: me.role ?? session.role, org: { ...session.org, slug: slug! } },
  });
}

/** Change the current org's slug after a rename (the token is bound to the org's id). */
export function renamed(slug: string) {
  if (state.session) set({ session: { ...state.session, org: { ...state.session.org, slug } } });
}

/** End the session here (the server has already ended it, or is told by `signOut`). */
export function end(notice: string | null) {
  clearTimeout(refreshTimer);
  set({ session: null, me: null, notice });
}

/** Revoke the session on the server, then forget it. */
export async function signOut() {
  try {
    await api.v1.auth.logout.$post();
  } finally {
    end("You are signed out.");
  }
}

/** Replace the session with a pair for another org, and revoke the one it replaces. */
export async function replace(pair: TokenPair) {
  const old = state.session;
  await start(pair);
  if (old) {
    // The old session would otherwise stay valid until its refresh token expires.
    await createClient(location.origin, { token: old.accessToken }).v1.auth.logout.$post()
      .catch(() => {});
  }
}

/**
 * Send an authenticated request; on 401, refresh the token once and send it again. If the
 * refresh is refused, the session ends (the console shows sign-in) and the 401 is returned.
 */
export async function send<R extends { status: number }>(
  request: () => Promise<R>,
  opts: { followRename?: boolean } = {},
): Promise<R> {
  const res = await request();
  // A 404 may mean the org was renamed meanwhile: its current slug is in /v1/me, and views
  // keyed on the slug load again with it.
  if (res.status === 404 && state.session && opts.followRename !== false) void loadMe();
  if (res.status !== 401 || !state.session) return res;
  return await refresh() ? await request() : res;
}

function scheduleRefresh(expiresIn: number) {
  clearTimeout(refreshTimer);
  const seconds = expiresIn > 120 ? expiresIn - 60 : expiresIn * 0.75;
  refreshTimer = setTimeout(() => void refresh(), seconds * 1000);
}

/** Refresh the token pair; concurrent callers share one refresh. */
export function refresh(): Promise<boolean> {
  refreshing ??= refreshOnce().finally(() => refreshing = null);
  return refreshing;
}

async function refreshOnce(): Promise<boolean> {
  const session = state.session;
  if (!session) return false;
  try {
    const res = await api.v1.auth.refresh.$post({
      json: { refreshToken: session.refreshToken },
    });
    if (state.session !== session) return state.session !== null;
    if (res.ok) {
      await start(await res.json(), { sameSession: true });
      return true;
    }
    if (res.status >= 500) {
      retryRefreshSoon();
      return false;
    }
    end("Your session has ended. Sign in again.");
    return false;
  } catch {
    retryRefreshSoon(); // offline for a moment: the access token may still be good
    return false;
  }
}

function retryRefreshSoon() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => void refresh(), 10_000);
}

const HANDOVER = "console.refreshToken";

/** Resume the session a reload handed over, if any; hand it over when this page unloads. */
export async function resume() {
  globalThis.addEventListener("pagehide", () => {
    if (state.session) sessionStorage.setItem(HANDOVER, state.session.refreshToken);
  });
  // Back from the page cache: this page still holds its session, the handover is stale.
  globalThis.addEventListener("pageshow", (e: PageTransitionEvent) => {
    if (e.persisted) sessionStorage.removeItem(HANDOVER);
  });
  const refreshToken = sessionStorage.getItem(HANDOVER);
  if (!refreshToken) return;
  sessionStorage.removeItem(HANDOVER);
  try {
    const res = await api.v1.auth.refresh.$post({ json: { refreshToken } });
    if (res.ok) await start(await res.json());
  } catch {
    // offline: sign in again
  }
}
