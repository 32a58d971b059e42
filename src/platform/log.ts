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

/** Where `lineWriter` writes: stdout and stderr, each taking a whole text. */
export interface LineSinks {
  out(text: string): void;
  err(text: string): void;
}

const encoder = new TextEncoder();

/** Write all of `bytes` to a synchronous stream (a pipe may take part of it per call). */
function writeAllSync(stream: { writeSync(p: Uint8Array): number }, bytes: Uint8Array) {
  for (let at = 0; at < bytes.length;) at += stream.writeSync(bytes.subarray(at));
}

const stdio: LineSinks = {
  out: (text) => writeAllSync(Deno.stdout, encoder.encode(text)),
  err: (text) => writeAllSync(Deno.stderr, encoder.encode(text)),
};

/**
 * A logger's `write`: debug and info lines (at info, the access log's line per request) are
 * gathered and written to stdout together once per turn of the event loop, one system call
 * for all the requests answered in that turn instead of one each through `console.log`. A
 * warning or an error goes to stderr at once, after the lines gathered before it, so that the
 * two streams keep their order; what is gathered is also written when the process exits
 * (Deno's `unload`, which `Deno.exit` dispatches too). A failed write (a closed stdout) drops
 * the lines rather than fail the request that logged them.
 */
export function lineWriter(
  sinks: LineSinks = stdio,
  schedule: (flush: () => void) => void = (flush) => setTimeout(flush, 0),
): { write(line: string, level: LogLevel): void; flush(): void } {
  let pending = "";
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (!pending) return;
    const text = pending;
    pending = "";
    try {
      sinks.out(text);
    } catch { /* nowhere left to say it */ }
  };
  return {
    write(line, level) {
      if (ORDER[level] >= ORDER.warn) {
        flush();
        try {
          sinks.err(line + "\n");
        } catch { /* as above */ }
        return;
      }
      pending += line + "\n";
      if (!scheduled) {
        scheduled = true;
        schedule(flush);
      }
    },
    flush,
  };
}

let processWriter: ReturnType<typeof lineWriter> | undefined;

/** The process's own writer to stdout and stderr, made on first use. */
function defaultWrite(line: string, level: LogLevel) {
  if (!processWriter) {
    const w = processWriter = lineWriter();
    globalThis.addEventListener("unload", () => w.flush());
  }
  processWriter.write(line, level);
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
