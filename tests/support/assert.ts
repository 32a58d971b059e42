/**
 * Minimal assertions (JSR's @std/assert is not reachable from our machines, so the few we use
 * are written here, failing with the values compared).
 */
import type { Problem } from "../../src/client-problem.ts";

export class AssertionError extends Error {
  override name = "AssertionError";
}

export function assert(cond: unknown, msg = "assertion failed"): asserts cond {
  if (!cond) throw new AssertionError(msg);
}

function equal(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a), kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) =>
    equal((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])
  );
}

export function assertEquals<T>(actual: T, expected: T, msg?: string): void {
  if (!equal(actual, expected)) {
    throw new AssertionError(
      `${msg ? msg + ": " : ""}expected ${Deno.inspect(expected)}, got ${Deno.inspect(actual)}`,
    );
  }
}

export function assertNotEquals<T>(actual: T, expected: T, msg?: string): void {
  if (equal(actual, expected)) {
    throw new AssertionError(msg ?? `expected not ${Deno.inspect(expected)}`);
  }
}

export function assertMatch(actual: string, re: RegExp, msg?: string): void {
  if (!re.test(actual)) {
    throw new AssertionError(msg ?? `${Deno.inspect(actual)} does not match ${re}`);
  }
}

export async function assertRejects(
  fn: () => Promise<unknown>,
  msgIncludes?: string,
): Promise<Error> {
  try {
    await fn();
  } catch (e) {
    if (msgIncludes && !(e instanceof Error && e.message.includes(msgIncludes))) {
      throw new AssertionError(`expected an error containing ${msgIncludes}, got ${e}`);
    }
    return e as Error;
  }
  throw new AssertionError("expected the promise to reject");
}

/** A fetch or typed-client response, or an answer whose body is already read (`call`). */
export type ProblemSource =
  | { status: number; headers: Headers; json(): Promise<unknown> }
  | { status: number; headers: Headers; body: unknown };

async function problemBody(res: ProblemSource): Promise<Problem> {
  if ("json" in res && typeof res.json === "function") return await res.json() as Problem;
  return (res as { body: unknown }).body as Problem;
}

/** The problem `code` of an error response, for tests that collect answers before comparing. */
export async function problemCode(res: ProblemSource): Promise<string> {
  return (await problemBody(res))?.code;
}

/**
 * Assert that `res` is a problem+json answer with `status` and `code` (the status in the body
 * too); returns the problem for further checks.
 */
export async function assertProblem(
  res: ProblemSource,
  status: number,
  code: string,
  msg?: string,
): Promise<Problem> {
  const at = msg ? `${msg}: ` : "";
  const body = await problemBody(res);
  assertEquals(
    { status: res.status, code: body?.code },
    { status, code },
    `${at}status and problem code (${JSON.stringify(body)?.slice(0, 500)})`,
  );
  assertMatch(
    res.headers.get("Content-Type") ?? "",
    /^application\/problem\+json\b/,
    `${at}a problem's Content-Type`,
  );
  assertEquals(body.status, status, `${at}the problem's status member`);
  assertEquals(
    [typeof body.title, typeof body.detail],
    ["string", "string"],
    `${at}a problem's title and detail`,
  );
  return body;
}
