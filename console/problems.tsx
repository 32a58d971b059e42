/**
 * Errors next to the action that caused them: each action keeps the problem its request
 * returned and shows it, worded by its `code`, right under its own form or button.
 */
import { useEffect, useRef, useState } from "hono/jsx/dom";
import type { Problem } from "../src/client.ts";

/** What the user should read for a code; anything else shows the server's `detail`. */
const MESSAGES: Record<string, string> = {
  invalid_credentials: "The email or the password is wrong.",
  email_taken: "This email already has an account. Sign in, then create the organization " +
    "from the console.",
  org_exists: "An organization with this name (or one giving the same short name) exists. " +
    "Choose another name.",
  org_not_found: "This organization does not exist, or you are not a member of it.",
  org_suspended: "This organization is suspended.",
  no_membership: "This account belongs to no organization yet. Create one, or open an " +
    "invitation link.",
  forbidden: "Your role does not allow this.",
  last_owner: "An organization keeps at least one owner: make someone else an owner first.",
  already_member: "This person is already a member.",
  invitation_not_found: "This invitation is unknown, already used, revoked or expired.",
  sign_in_required: "This email already has an account: sign in with it, then open the " +
    "invitation link again.",
  rate_limited: "Too many attempts. Wait a little, then try again.",
  overloaded: "The service is busy. Try again in a few seconds.",
  unavailable: "The service is unavailable. Try again in a few seconds.",
  unauthorized: "Your session has ended. Sign in again.",
  validation_failed: "Some fields are not valid.",
  network_error: "The service could not be reached. Check the connection and try again.",
  collection_exists: "A collection with this name exists. Choose another name.",
  collection_not_found: "This collection does not exist (it may have been dropped).",
  document_not_found: "This document does not exist (it may have been deleted).",
  duplicate_key: "A unique index already has this value: another document holds it.",
  precondition_failed: "This document was changed by someone else since you opened it — " +
    "reload to see it.",
  payload_too_large: "This is too large for the service to take.",
};

/** The detail is the message itself for these codes (it says what is wrong). */
const DETAILED = new Set([
  "weak_password",
  "unexpected_response",
  "invalid_filter",
  "invalid_json",
  "quota_exceeded",
]);

export function messageOf(p: Problem, overrides: Record<string, string> = {}): string {
  return overrides[p.code] ?? (DETAILED.has(p.code) ? p.detail : MESSAGES[p.code] ?? p.detail);
}

/** A problem for a request that got no answer at all. */
export function networkProblem(e: unknown): Problem {
  return {
    type: "about:blank",
    title: "Network error",
    status: 0,
    detail: e instanceof Error ? e.message : String(e),
    code: "network_error",
  };
}

/** A function an action runs: it returns the problem to show, if any. */
export type ActionBody = () => Promise<Problem | null | void>;

/** One action's state: whether it runs, and the problem it ended with. */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);
  // An action may end after its view is gone (a refused refresh ends the session meanwhile):
  // updating the view then would put it back on the page, under the one that replaced it.
  const mounted = useRef(true);
  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);
  const run = async (body: ActionBody) => {
    setBusy(true);
    setProblem(null);
    let p: Problem | null | void;
    try {
      p = await body();
    } catch (e) {
      p = networkProblem(e);
    }
    if (!mounted.current) return;
    if (p) setProblem(p);
    setBusy(false);
  };
  return { busy, problem, run, setProblem };
}

/** The problem of one action, announced to screen readers when it appears. */
export function ProblemNote(
  { problem, messages }: {
    problem: Problem | null;
    /** Wordings for codes that mean something more precise at this action. */
    messages?: Record<string, string>;
  },
) {
  if (!problem) return null;
  const fields = problem.errors?.filter((e) => e.message) ?? [];
  return (
    <div class="problem" role="alert" data-code={problem.code}>
      <p>{messageOf(problem, messages)}</p>
      {fields.length > 0 && problem.code === "validation_failed"
        ? (
          <ul>
            {fields.map((e, i) => <li key={i}>{e.path ? `${e.path}: ${e.message}` : e.message}
            </li>)}
          </ul>
        )
        : null}
    </div>
  );
}
