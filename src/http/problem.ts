/** RFC 9457 problem+json: the one shape of every error this service sends. */
import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { isUnavailable } from "../platform/db.ts";
import {
  AppError,
  ERROR_CODES,
  type ErrorStatus,
  type FieldError,
  internal,
  invalidField,
  payloadTooLarge,
  unauthorized,
  unavailable,
  unsupportedMediaType,
  validationFailed,
} from "../platform/errors.ts";
import { describeError, type Logger } from "../platform/log.ts";

export const ProblemSchema = z.object({
  type: z.string().openapi({ example: "about:blank" }),
  title: z.string().openapi({ example: "Bad Request" }),
  status: z.number().int().openapi({ example: 400 }),
  detail: z.string(),
  code: z.enum(ERROR_CODES).openapi({
    description: "Stable machine-readable error code (docs/api.md lists what each means)",
    example: "validation_failed",
  }),
  errors: z.array(z.object({ path: z.string(), message: z.string() })).optional().openapi({
    description: "The invalid fields: `path` is dotted (`admin.email`, `documents.2.name`), " +
      "empty only for the body as a whole (malformed JSON)",
  }),
  orgs: z.array(z.string()).optional().openapi({
    description: "With `org_required`: the slugs of the caller's orgs, one of which to name",
  }),
  index: z.number().int().optional().openapi({
    description: "With `duplicate_key` from a batch: the position of the refused document",
  }),
  insertedIds: z.array(z.string()).optional().openapi({
    description: "With `duplicate_key` from a batch: the ids inserted before it stopped",
  }),
  limit: z.number().int().optional().openapi({
    description: "With `result_too_large` (bytes) and `quota_exceeded` (the quota)",
  }),
  quota: z.string().optional().openapi({
    description: "With `quota_exceeded`: what the quota counts",
  }),
}).openapi("Problem");

const TITLES: Record<ErrorStatus, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  409: "Conflict",
  412: "Precondition Failed",
  413: "Content Too Large",
  415: "Unsupported Media Type",
  429: "Too Many Requests",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

export function problem(c: Context, err: AppError): Response {
  const { errors, headers, ...extra } = err.extra;
  const body = {
    type: "about:blank",
    title: TITLES[err.status],
    status: err.status,
    detail: err.message,
    code: err.code,
    ...extra,
    ...(errors ? { errors } : {}),
  };
  // baseHeaders (src/http/middleware.ts) adds X-Request-Id and the security headers afterwards.
  return c.body(JSON.stringify(body), err.status, {
    ...(err.status === 401 ? { "WWW-Authenticate": "Bearer" } : {}),
    ...headers,
    "Content-Type": "application/problem+json",
  });
}

/** Map anything thrown to a problem; log what clients must not see. */
export function toAppError(e: unknown, log: Logger, requestId?: string): AppError {
  if (e instanceof AppError) return e;
  if (e instanceof HTTPException) {
    switch (e.status) {
      case 400:
        return invalidField("", e.message || "Bad request");
      case 401:
        return unauthorized();
      case 413:
        return payloadTooLarge();
      case 415:
        return unsupportedMediaType();
    }
  }
  if (isUnavailable(e)) {
    log.warn("database unavailable", { requestId, ...describeError(e) });
    return unavailable();
  }
  log.error("unhandled error", { requestId, ...describeError(e) });
  return internal();
}

/** The zod-openapi hook: validation failures become 400 `validation_failed` with field errors. */
export function validationHook(
  result: { success: boolean; error?: { issues: z.core.$ZodIssue[] } },
  c: Context,
): Response | undefined {
  if (result.success || !result.error) return;
  // An unknown key is reported at its own path (`admin.role`), not at its object's.
  const errors: FieldError[] = result.error.issues.flatMap((i) =>
    i.code === "unrecognized_keys"
      ? i.keys.map((key) => ({ path: [...i.path, key].join("."), message: "Unknown field" }))
      : [{ path: i.path.map(String).join("."), message: i.message }]
  );
  return problem(
    c,
    validationFailed("The request is not valid", errors),
  );
}
