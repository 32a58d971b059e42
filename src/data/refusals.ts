/**
 * The one place that tells a database refusing what the caller sent (a pipeline, filter or
 * document it will not run or store: the caller's to change, 400) from a database fault (500,
 * or 503 when it cannot be reached), by the server's error code.
 *
 * MongoDB names the refusals of its parsers and checks with codes such as BadValue or
 * FailedToParse, and most of them with a "location" code (`Location31254`: the place in the
 * server's source that refused). FerretDB v1 answers with MongoDB's codes where it checks the
 * same thing, but it answers InternalError when PostgreSQL refuses a value (a data exception,
 * SQLSTATE class 22: a NUL in a string, which PostgreSQL's JSON cannot hold); that one is a
 * refusal too, every other InternalError stays a fault.
 */
import { MongoServerError } from "mongodb";
import { isUnavailable, ServerErrorCode } from "../platform/db.ts";

/** The codes of a refusal, by MongoDB's names: the caller's input, never a fault. */
const REFUSALS = {
  BadValue: 2,
  FailedToParse: 9,
  TypeMismatch: 14,
  Overflow: 15,
  InvalidLength: 16,
  PathNotViable: 28,
  ConflictingUpdateOperators: 40,
  DollarPrefixedFieldName: 52,
  InvalidIdField: 53,
  EmptyFieldName: 56,
  DottedFieldName: 57,
  InvalidOptions: 72,
  ExceededMemoryLimit: 146,
  InvalidPipelineOperator: 168,
  QueryFeatureNotAllowed: 224,
  ConversionFailure: 241,
  QueryExceededMemoryLimitNoDiskUseAllowed: 292,
  BSONObjectTooLarge: 10334,
} as const;
const REFUSAL_CODES = new Set<number>(Object.values(REFUSALS));

/** A PostgreSQL data exception carried by a FerretDB InternalError: its words, else null. */
function dataException(e: MongoServerError): string | null {
  if (e.code !== ServerErrorCode.InternalError) return null;
  const m = /ERROR: ([^\n]*?) \(SQLSTATE 22[0-9A-Z]{3}\)\s*$/.exec(e.message);
  return m ? m[1] : null;
}

/** The server's message without FerretDB's source locations (`[file.go:12 pkg.Func] `). */
function words(message: string): string {
  const text = message.replace(/\[[\w./-]+:\d+ [^\]]*\]\s*/g, "").trim();
  return text.length > 300 ? `${text.slice(0, 297)}...` : text;
}

/**
 * The database's reason in words when `e` is the database refusing the caller's input (see
 * above), else null: faults, unavailability, duplicate keys and time limits are not refusals.
 */
export function databaseRefusal(e: unknown): string | null {
  if (!(e instanceof MongoServerError) || isUnavailable(e)) return null;
  const nul = dataException(e);
  if (nul !== null) return `The database cannot hold a value: ${nul}`;
  const code = Number(e.code);
  if (REFUSAL_CODES.has(code) || /^Location\d+$/.test(e.codeName ?? "")) {
    return words(e.message) || `Refused by the database (code ${code})`;
  }
  return null;
}
