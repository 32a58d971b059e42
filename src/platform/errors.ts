/**
 * The one error type the domain and the routes throw. `src/http/problem.ts` turns it into an
 * RFC 9457 problem+json response; anything else becomes a 500 that reveals nothing.
 */
export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 412 | 413 | 415 | 429 | 500 | 503;

export interface FieldError {
  path: string;
  message: string;
}

export class AppError extends Error {
  override name = "AppError";
  constructor(
    readonly status: ErrorStatus,
    readonly code: string,
    message: string,
    readonly extra:
      & { errors?: FieldError[]; headers?: Record<string, string> }
      & Record<
        string,
        unknown
      > = {},
  ) {
    super(message);
  }
}

/**
 * The catalogue: one constructor per error the service answers with, so a code is spelled once.
 * `detail` overrides the default human-readable message where the context says more.
 */
type Extra = AppError["extra"];
const make = (status: ErrorStatus, code: string, fallback: string) =>
(
  detail: string = fallback,
  extra: Extra = {},
) => new AppError(status, code, detail, extra);

/** 400 with one field error (or the given `errors`). */
export function validationFailed(detail: string, errors: FieldError[] = []): AppError {
  return new AppError(400, "validation_failed", detail, errors.length ? { errors } : {});
}
/** 400 for one field of the request: `{ errors: [{ path, message }] }`. */
export const invalidField = (path: string, message: string) =>
  validationFailed(`${path}: ${message}`, [{ path, message }]);

export const weakPassword = make(400, "weak_password", "The password is too easy to guess");
export const orgRequired = make(
  400,
  "org_required",
  "You belong to several organizations; name one",
);
export const unauthorized = make(401, "unauthorized", "Missing or invalid access token");
export const invalidCredentials = make(
  401,
  "invalid_credentials",
  "The email or password is wrong",
);
export const forbidden = make(403, "forbidden", "This action is not allowed");
export const orgSuspended = make(403, "org_suspended", "The organization is suspended");
export const noMembership = make(403, "no_membership", "This user belongs to no organization");
export const notFound = make(404, "not_found", "Not found");
export const orgNotFound = make(404, "org_not_found", "Organization not found");
export const memberNotFound = make(404, "member_not_found", "Member not found");
export const invitationNotFound = make(404, "invitation_not_found", "Invitation not found");
export const conflict = make(409, "conflict", "The resource changed meanwhile; try again");
export const orgExists = make(409, "org_exists", "An organization with this name already exists");
export const alreadyMember = make(409, "already_member", "This user is already a member");
export const lastOwner = make(409, "last_owner", "An organization must keep at least one owner");
export const payloadTooLarge = make(413, "payload_too_large", "The request body is too large");
export const unsupportedMediaType = make(
  415,
  "unsupported_media_type",
  "Send the body as application/json",
);
export const internal = make(500, "internal", "An unexpected error occurred");

// The document API's (API.md, "Tenant data").
export const collectionNotFound = make(404, "collection_not_found", "Collection not found");
export const documentNotFound = make(404, "document_not_found", "Document not found");
export const collectionExists = (name: string) =>
  new AppError(409, "collection_exists", `A collection named ${name} exists`);
/** A unique index refused the write; `extra` says where a batch stopped. */
export const duplicateKey = (extra: { index?: number; insertedIds?: string[] } = {}) =>
  new AppError(409, "duplicate_key", "A unique index already has this value", extra);
export const preconditionFailed = make(
  412,
  "precondition_failed",
  "The document changed since the If-Match tag",
);
export const quotaExceeded = (what: string, limit: number) =>
  new AppError(403, "quota_exceeded", `The organization's quota of ${limit} ${what} is reached`, {
    quota: what,
    limit,
  });

/** 429 with `Retry-After` (seconds, at least 1). */
export function rateLimited(retryAfterSeconds: number, detail = "Too many attempts; try later") {
  const s = String(Math.max(1, Math.ceil(retryAfterSeconds)));
  return new AppError(429, "rate_limited", detail, { headers: { "Retry-After": s } });
}
/** 503 with `Retry-After`: the database does not answer (or another passing cause). */
export function unavailable(detail = "The database is unavailable; retry later", retryAfter = 5) {
  return new AppError(503, "unavailable", detail, {
    headers: { "Retry-After": String(retryAfter) },
  });
}
