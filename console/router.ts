/**
 * Hash routes (`#/members`, `#/accept/<token>` or `#/accept?token=<token>`): the page is one
 * document at `/console`, and
 * what follows `#` never reaches the server, so an invitation token in a link stays out of
 * its logs. The links of mails read `#/<view>?token=<token>`: the token is then the view's
 * first parameter, as in `#/<view>/<token>`.
 */
import { useEffect, useState } from "hono/jsx/dom";

export interface Route {
  /** The first segment: the view's name. */
  name: string;
  /** The remaining segments, decoded. */
  params: string[];
}

/** The `?key=value` part of a hash (`#/accept?token=…`), or an empty one. */
export function hashQuery(hash: string): URLSearchParams {
  const at = hash.indexOf("?");
  return new URLSearchParams(at < 0 ? "" : hash.slice(at + 1));
}

export function parseHash(hash: string): Route {
  const [path, query = ""] = hash.replace(/^#\/?/, "").split("?", 2);
  const token = new URLSearchParams(query).get("token");
  const [name = "", ...params] = [
    ...path.split("/").filter(Boolean),
    ...(token ? [encodeURIComponent(token)] : []),
  ]
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    });
  return { name, params };
}

export function href(name: string, ...params: string[]): string {
  return `#/${[name, ...params].map(encodeURIComponent).join("/")}`;
}

export function go(name: string, ...params: string[]) {
  const next = href(name, ...params);
  if (location.hash !== next) location.hash = next;
}

/** The current route, following the address bar. */
export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseHash(location.hash));
  useEffect(() => {
    const update = () => setRoute(parseHash(location.hash));
    addEventListener("hashchange", update);
    return () => removeEventListener("hashchange", update);
  }, []);
  return route;
}
