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

export const orgRequired = make(
  400,
  "org_required",
  "You belong to several organizations; name one",
);
/** 400 `weak_password`, reported on the `password` field. */
export function weakPassword(weakness: string): AppError {
  return new AppError(400, "weak_password", `The password ${weakness}`, {
    errors: [{ path: "password", message: `Password ${weakness}` }],
  });
}
export const invalidCursor = () =>
  new AppError(400, "invalid_cursor", "The cursor is not one this API returned", {
    errors: [{ path: "cursor", message: "Not a cursor this API returned for this query" }],
  });
export const unauthorized = make(401, "unauthorized", "Missing or invalid access token");
/** 401 for a token that verified but whose session, user, membership or org is gone. */
export const tokenRevoked = () => unauthorized("The token is no longer valid");
export const refreshReused = make(
  401,
  "refresh_reused",
  "This refresh token was already used; the session is revoked",
);
export const signInRequired = make(
  401,
  "sign_in_required",
  "This email belongs to a user: sign in as that user, then accept with your token",
);
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
export const jobNotFound = make(404, "job_not_found", "Job not found");
export const conflict = make(409, "conflict", "The resource changed meanwhile; try again");
export const orgExists = make(
  409,
  "org_exists",
  "An organization with this name (or one that gives the same slug) exists",
);
export const emailTaken = make(
  409,
  "email_taken",
  "This email belongs to a user: sign in, then create the organization",
);
export const alreadyThere = make(409, "already_there", "The organization is there already");
export const moveInProgress = make(
  409,
  "move_in_progress",
  "The organization is being moved already",
);
export const alreadyMember = make(409, "already_member", "This user is already a member");
export const lastOwner = make(409, "last_owner", "An organization must keep at least one owner");
export const payloadTooLarge = make(413, "payload_too_large", "The request body is too large");
export const unsupportedMediaType = make(
  415,
  "unsupported_media_type",
  "Send the body as application/json",
);
/** The compatibility routes answer 400, not 409, for a name or an admin email that exists. */
export const orgExistsLegacy = make(400, "org_exists", "Organization already exists");
export const emailTakenLegacy = make(400, "email_taken", "This email belongs to a user");
/** A route that is not there. */
export const noRoute = (method: string, path: string) =>
  new AppError(404, "not_found", `No route for ${method} ${path}`);
export const internal = make(500, "internal", "An unexpected error occurred");

// The document API's (docs/data-api.md).
/** 400 for a filter the service or the database server will not run; `errors` say where. */
export const invalidFilter = (detail: string, errors: FieldError[]) =>
  new AppError(400, "invalid_filter", detail, { errors });
/** 400 for a pipeline the service or the database server will not run; `errors` say where. */
export const invalidPipeline = (detail: string, errors: FieldError[]) =>
  new AppError(400, "invalid_pipeline", detail, { errors });
/** 400: an aggregation's results pass `limit` bytes; the server's cursor is closed there. */
export const resultTooLarge = (limit: number) =>
  new AppError(
    400,
    "result_too_large",
    `The results are larger than ${limit} bytes: narrow them ($match, $project, $limit)`,
    { limit, errors: [{ path: "pipeline", message: `Results larger than ${limit} bytes` }] },
  );
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
/** Seconds a client should wait before retrying after a 503 `unavailable`. */
export const RETRY_AFTER_SECONDS = 5;

const retryAfter =
  (status: 503, code: string, fallback: string, seconds: number) =>
  (detail: string = fallback, after: number = seconds) =>
    new AppError(status, code, detail, { headers: { "Retry-After": String(after) } });

/** 503 with `Retry-After`: the database does not answer (or another passing cause). */
export const unavailable = retryAfter(
  503,
  "unavailable",
  "The database is unavailable; retry later",
  RETRY_AFTER_SECONDS,
);
/** 503: the password-hashing queue is full; a second is about what a full queue takes to drain. */
export const overloaded = retryAfter(
  503,
  "overloaded",
  "Too many password checks at once; try again shortly",
  1,
);
/** 503 while the org refuses writes (a move's switch); reads continue. */
export const orgMaintenance = retryAfter(
  503,
  "org_maintenance",
  "The organization is in maintenance: reads work, writes resume shortly",
  2,
);
/** 503: the org's data schema is newer than this instance knows (a rolling upgrade). */
export const orgSchemaTooNew = retryAfter(
  503,
  "org_schema_too_new",
  "This instance does not know the organization's data schema yet; retry later",
  30,
);
