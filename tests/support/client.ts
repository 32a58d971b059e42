/**
 * The typed client's answers in tests. Its errors are typed (each route's declared statuses), so
 * a body read without looking at the status is the success's or a `Problem`: `okJson` reads a
 * success's body, typed as the route's, and fails the test with the problem otherwise.
 */

/** What `okJson` reads: a typed client response (or a fetch `Response`). */
interface JsonResponse {
  ok: boolean;
  status: number;
  json(): Promise<unknown>;
  text(): Promise<string>;
}

/** The body of `res` when it is a success (2xx); a test failure with its text otherwise. */
export async function okJson<R extends JsonResponse>(
  res: R,
): Promise<Awaited<ReturnType<Extract<R, { ok: true }>["json"]>>> {
  if (!res.ok) throw new Error(`expected a success, got ${res.status}: ${await res.text()}`);
  return await res.json() as Awaited<ReturnType<Extract<R, { ok: true }>["json"]>>;
}
