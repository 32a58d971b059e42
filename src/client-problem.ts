/**
 * RFC 9457 problem+json as this service sends it: its types and a small parser. Imports
 * nothing at run time, so browsers (the console) and scripts read an error's `code` without casts.
 */
import type { ErrorCode } from "./app.ts";

/**
 * A problem's `code`: one of the service's catalogue (src/platform/errors.ts), or one a client
 * makes itself: `unexpected_response` (`problemOf`: an error answer that is not problem+json, a
 * proxy's page, say), `network_error` (no answer at all), `invalid_json` (input refused before
 * anything was sent).
 */
export type ProblemCode = ErrorCode | "unexpected_response" | "network_error" | "invalid_json";

/** One invalid field of a 400 `validation_failed`. */
export interface FieldError {
  path: string;
  message: string;
}

/** The body of every error response (docs/api.md, "Conventions"). */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  /** Stable machine-readable error code, such as `validation_failed` or `org_required`. */
  code: ProblemCode;
  errors?: FieldError[];
  /** With 400 `org_required`: the slugs of the user's orgs, one of which must be named. */
  orgs?: string[];
  /** Further members a code may carry. */
  [member: string]: unknown;
}

/** What `problemOf` reads: a fetch `Response` or a typed client's response. */
export interface ResponseLike {
  ok: boolean;
  status: number;
  statusText: string;
  headers: Headers;
  text(): Promise<string>;
}

/**
 * The problem of an error response, or `null` for a successful one (whose body is left
 * unread). An error response that is not problem+json (a proxy's HTML page, say) becomes a
 * problem with the code `unexpected_response`, so callers always have a `code` to branch on.
 *
 * @example
 * const res = await api.v1.auth.login.$post({ json: { email, password } });
 * const problem = await problemOf(res);
 * if (problem?.code === "org_required") choose(problem.orgs ?? []);
 */
export async function problemOf(res: ResponseLike): Promise<Problem | null> {
  if (res.ok) return null;
  const text = await res.text().catch(() => "");
  const parsed = parseProblem(text);
  if (parsed) return parsed;
  return {
    type: "about:blank",
    title: res.statusText || "Error",
    status: res.status,
    detail: `The server answered ${res.status} without a problem document`,
    code: "unexpected_response",
  };
}

/** A problem document from its JSON text, or `null` if the text is not one. */
export function parseProblem(text: string): Problem | null {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) return null;
  const p = body as Record<string, unknown>;
  if (typeof p.code !== "string" || typeof p.status !== "number") return null;
  return {
    ...p,
    type: typeof p.type === "string" ? p.type : "about:blank",
    title: typeof p.title === "string" ? p.title : "",
    status: p.status,
    detail: typeof p.detail === "string" ? p.detail : "",
    // What the server sends: a code this client does not know yet comes from a newer server.
    code: p.code as ProblemCode,
    errors: Array.isArray(p.errors) ? p.errors.filter(isFieldError) : undefined,
    orgs: Array.isArray(p.orgs) ? p.orgs.filter((s) => typeof s === "string") : undefined,
  };
}

function isFieldError(e: unknown): e is FieldError {
  if (typeof e !== "object" || e === null) return false;
  const f = e as Record<string, unknown>;
  return typeof f.path === "string" && typeof f.message === "string";
}
