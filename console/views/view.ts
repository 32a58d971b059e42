/** What a page of the console is: the router shows the view named by the address's hash. */
import type { Child } from "hono/jsx/dom";
import type { Route } from "../router.ts";
import type { Me, Role, Session } from "../session.ts";

export interface ViewProps {
  route: Route;
  /** The current session (always set for a view with `access: "session"`). */
  session: Session | null;
  me: Me | null;
}

export interface SessionViewProps extends ViewProps {
  session: Session;
}

export interface View {
  /** The first segment of the hash: `#/members` is the view `members`. */
  name: string;
  /** The page's heading and the document's title. */
  title: string;
  /** `session`: signed-in users only (others see sign-in); `public`: anyone. */
  access: "session" | "public";
  /** Listed in the main navigation for these roles. */
  nav?: readonly Role[];
  render(props: ViewProps): Child;
}

/** A view that needs a session gets it typed as present. */
export function sessionView(
  view: Omit<View, "access" | "render"> & { render(props: SessionViewProps): Child },
): View {
  return {
    ...view,
    access: "session",
    render: (props) => props.session ? view.render({ ...props, session: props.session }) : null,
  };
}
