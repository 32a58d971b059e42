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
