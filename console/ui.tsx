/** Small pieces every view uses. */
import type { Child } from "hono/jsx/dom";

/** A view's heading: focused when the view opens, so keyboard and screen-reader users land on it. */
export function Heading({ children }: { children: Child }) {
  return <h1 tabindex={-1} id="page-title">{children}</h1>;
}

export function formValues(e: Event): Record<string, string> {
  e.preventDefault();
  const data = new FormData(e.currentTarget as HTMLFormElement);
  return Object.fromEntries([...data].map(([k, v]) => [k, String(v)]));
}

export const date = (iso: string) =>
  new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });

export const ROLE_LABELS = { owner: "Owner", admin: "Admin", member: "Member" } as const;
