/** Small pieces every view uses. */
import { type Child, useState } from "hono/jsx/dom";
import type { Loaded } from "./load.ts";

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

/** The password field of a new account; `hint` names the element that describes the rules. */
export function NewPassword({ hint }: { hint?: string }) {
  return (
    <label>
      Choose a password
      <input
        name="password"
        type="password"
        required
        minlength={8}
        maxlength={128}
        autocomplete="new-password"
        aria-describedby={hint}
      />
    </label>
  );
}

/** The field of a destructive form: the user types `expected` before the button is enabled. */
export function ConfirmName(
  { expected, value, onInput }: { expected: string; value: string; onInput: (v: string) => void },
) {
  return (
    <label>
      <span>
        Type <code>{expected}</code> to confirm
      </span>
      <input
        name="confirm"
        autocomplete="off"
        value={value}
        onInput={(e: Event) => onInput((e.target as HTMLInputElement).value)}
      />
    </label>
  );
}

/**
 * The server's page sizes (src/platform/paging.ts `PAGE_LIMIT`: 1–100, 20 by default), written
 * again here because the console imports nothing of the server but its typed client.
 */
export const PAGE_SIZE = { default: 20, max: 100 } as const;

/**
 * Keyset pages in a view: this page's cursor and those of the pages before it, so going back
 * needs no offsets.
 */
export function usePages() {
  const [trail, setTrail] = useState<(string | undefined)[]>([]);
  const [cursor, setCursor] = useState<string | undefined>(undefined);
  return {
    cursor,
    number: trail.length + 1,
    first: () => {
      setTrail([]);
      setCursor(undefined);
    },
    back: () => {
      setCursor(trail[trail.length - 1]);
      setTrail(trail.slice(0, -1));
    },
    forward: (next: string) => {
      setTrail([...trail, cursor]);
      setCursor(next);
    },
  };
}

/** The buttons between the pages of `usePages`, for the loaded `page`. */
export function Pager(props: {
  pages: ReturnType<typeof usePages>;
  page: Loaded<{ nextCursor?: string | null }>;
  label: string;
  labels: [back: string, forward: string];
}) {
  const { pages, page: { loading, data } } = props;
  const next = data?.nextCursor;
  return (
    <nav class="row pager" aria-label={props.label}>
      <button type="button" disabled={pages.number === 1 || loading} onClick={pages.back}>
        {props.labels[0]}
      </button>
      <span class="muted" data-testid="page-number">Page {pages.number}</span>
      <button type="button" disabled={!next || loading} onClick={() => next && pages.forward(next)}>
        {props.labels[1]}
      </button>
    </nav>
  );
}
