/** A structured logger: one JSON object per line on stdout (stderr for warnings and errors). */
import type { LogLevel } from "./config.ts";

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type Fields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: Fields): void;
  info(msg: string, fields?: Fields): void;
  warn(msg: string, fields?: Fields): void;
  error(msg: string, fields?: Fields): void;
  enabled(level: LogLevel): boolean;
}

/** Create a logger; `write` receives each finished line (tests capture it). */
export function createLogger(
  level: LogLevel,
  write: (line: string, level: LogLevel) => void = defaultWrite,
): Logger {
  const min = ORDER[level];
  const emit = (l: LogLevel) => (msg: string, fields: Fields = {}) => {
    if (ORDER[l] < min) return;
    write(JSON.stringify({ time: new Date().toISOString(), level: l, msg, ...fields }), l);
  };
  return {
    debug: emit("debug"),
    info: emit("info"),
    warn: emit("warn"),
    error: emit("error"),
    enabled: (l) => ORDER[l] >= min,
  };
}

function defaultWrite(line: string, level: LogLevel) {
  if (ORDER[level] >= ORDER.warn) console.error(line);
  else console.log(line);
}

/**
 * A duplicate-key error from MongoDB quotes the clashing key (`dup key: { email: "..." }`),
 * which is an email, a slug or a throttle key holding an email: personal data the log must
 * not carry. The index name (before it) says which constraint failed; the value is dropped.
 */
const DUP_KEY = /dup key: .*$/gm;
const withoutKeys = (text: string) => text.replace(DUP_KEY, "dup key: { <redacted> }");

/** Describe an unknown error for the log without leaking it to clients, and without key values. */
export function describeError(e: unknown): Fields {
  if (e instanceof Error) {
    return {
      error: e.name,
      message: withoutKeys(e.message),
      stack: e.stack === undefined ? undefined : withoutKeys(e.stack),
    };
  }
  return { error: withoutKeys(String(e)) };
}
