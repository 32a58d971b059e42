/**
 * The one error type the domain and the routes throw. `src/http/problem.ts` turns it into an
 * RFC 9457 problem+json response; anything else becomes a 500 that reveals nothing.
 */
export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 412 | 413 | 415 | 429 | 500 | 503;

/**
 * Every `code` the service answers with: the one list, which the OpenAPI document's `Problem`
 * and the typed client's `problemOf` (src/client-problem.ts) read. A new error adds its code here.
 */
export const ERROR_CODES = [
  "validation_failed",
  "weak_password",
  "org_required",
  "invalid_cursor",
  "invalid_filter",
  "invalid_pipeline",
  "invalid_token",
  "invalid_url",
  "result_too_large",
  "unauthorized",
  "refresh_reused",
  "insufficient_scope",
  "email_unverified",
  "sign_in_required",
  "invalid_credentials",
  "forbidden",
  "org_suspended",
  "no_membership",
  "quota_exceeded",
  "not_found",
  "org_not_found",
  "member_not_found",
  "invitation_not_found",
  "job_not_found",
  "collection_not_found",
  "document_not_found",
  "index_not_found",
  "api_key_not_found",
  "webhook_not_found",
  "delivery_not_found",
  "conflict",
  "org_exists",
  "email_taken",
  "already_there",
  "move_in_progress",
  "already_member",
  "last_owner",
  "collection_exists",
  "index_exists",
  "already_verified",
  "duplicate_key",
  "precondition_failed",
  "payload_too_large",
  "unsupported_media_type",
  "rate_limited",
  "internal",
  "unavailable",
  "overloaded",
  "mail_disabled",
  "org_maintenance",
  "org_schema_too_new",
] as const;
export type ErrorCode = typeof ERROR_CODES[number];

export interface FieldError {
  path: string;
  message: string;
}

export class AppError extends Error {
  override name = "AppError";
  constructor(
    readonly status: ErrorStatus,
    readonly code: ErrorCode,
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
const make = (status: ErrorStatus, code: ErrorCode, fallback: string) =>
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
/** 400: a reset or verification token that is unknown, spent, expired or altered. */
export const invalidToken = make(
  400,
  "invalid_token",
  "The link is unknown, used or expired; ask for a new one",
);
/** 400 `invalid_url`: a webhook URL that is malformed, not https, or names a non-public host. */
export const invalidUrl = (message: string) =>
  new AppError(400, "invalid_url", `url: ${message}`, { errors: [{ path: "url", message }] });
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
export const insufficientScope = make(
  403,
  "insufficient_scope",
  "The API key's scopes do not cover this action",
);
export const orgSuspended = make(403, "org_suspended", "The organization is suspended");
export const noMembership = make(403, "no_membership", "This user belongs to no organization");
export const emailUnverified = make(
  403,
  "email_unverified",
  "Confirm your email address first: a new confirmation mail is on its way",
);
export const notFound = make(404, "not_found", "Not found");
export const orgNotFound = make(404, "org_not_found", "Organization not found");
export const memberNotFound = make(404, "member_not_found", "Member not found");
export const invitationNotFound = make(404, "invitation_not_found", "Invitation not found");
export const webhookNotFound = make(404, "webhook_not_found", "Webhook endpoint not found");
export const deliveryNotFound = make(404, "delivery_not_found", "Delivery not found");
export const apiKeyNotFound = make(404, "api_key_not_found", "API key not found");
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
export const alreadyVerified = make(409, "already_verified", "The email address is verified");
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
export const indexNotFound = make(404, "index_not_found", "Index not found");
/** 409: an index of that name, or over the same fields in the same order, exists. */
export const indexExists = (detail: string) => new AppError(409, "index_exists", detail);
/** A unique index refused the write; `extra` says where a batch stopped. */
export const duplicateKey = (
  extra: { index?: number; insertedIds?: string[] } = {},
  detail = "A unique index already has this value",
) => new AppError(409, "duplicate_key", detail, extra);
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
  (status: 503, code: ErrorCode, fallback: string, seconds: number) =>
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
/** 503: this installation sends no mail (`MAIL=off`); not passing, so no Retry-After. */
export const mailDisabled = make(503, "mail_disabled", "This service sends no mail");
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
