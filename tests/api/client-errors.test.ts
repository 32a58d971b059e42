/**
 * Typed errors in the client (docs/api.md, "The typed client for frontends"): after `if (!res.ok)`,
 * `res.status` narrows to the error statuses the route declares, and `problemOf` gives a
 * `Problem` whose `code` is one of the catalogue's. The branches below are type-checked by
 * `deno test` (a status the route does not declare is a compile error), then run.
 */
import { ERROR_CODES, type ErrorCode } from "../../src/platform/errors.ts";
import { type Problem, type ProblemCode, problemOf } from "../../src/client.ts";
import { assertEquals } from "../support/assert.ts";
import { createOrgAndLogin, createTestApp, dbTest, PASSWORD } from "../support/app.ts";

/** `A` and `B` are the same type (else this is `false`, and the assignment below fails). */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

Deno.test(
  "after !res.ok the client narrows the status to the route's declared errors and types the code",
  dbTest,
  async () => {
    await using t = await createTestApp();
    const { email } = await createOrgAndLogin(t, "Typed Errors Corp");
    const api = t.client();

    const again = await api.v1.orgs.$post({
      json: {
        name: "Typed Errors Corp",
        admin: { email: "other@example.com", password: PASSWORD },
      },
    });
    let branch = "none";
    if (!again.ok) {
      // Exactly the statuses POST /v1/orgs declares.
      const declared: Same<typeof again.status, 400 | 401 | 403 | 409 | 413 | 415 | 429 | 503> =
        true;
      assertEquals(declared, true);
      if (again.status === 409) {
        const problem = await problemOf(again);
        // `code` is a union of the catalogue's codes: a misspelled one does not compile.
        // @ts-expect-error "org_exist" is no code of the service
        assertEquals(problem?.code === "org_exist", false);
        if (problem?.code === "org_exists") branch = "409 org_exists";
      }
      // @ts-expect-error POST /v1/orgs never answers 412: the comparison does not compile
      if (again.status === 412) branch = "412";
      // @ts-expect-error nor 404
      if (again.status === 404) branch = "404";
    }
    assertEquals(branch, "409 org_exists");

    const wrong = await api.v1.auth.login.$post({ json: { email, password: "not it" } });
    if (!wrong.ok) {
      assertEquals(wrong.status === 401, true);
      // @ts-expect-error sign-in never answers 409
      assertEquals(wrong.status === 409, false);
      const problem = await problemOf(wrong);
      assertEquals(problem?.code, "invalid_credentials");
    } else throw new Error("a wrong password signed in");

    // GET /v1/orgs/{slug} declares 400, 401, 403 (an API key), 404 and 503; a 404 narrows to a
    // problem.
    const missing = await api.v1.orgs[":slug"].$get({ param: { slug: "no-such-org" } });
    if (!missing.ok) {
      const declared: Same<typeof missing.status, 400 | 401 | 403 | 404 | 503> = true;
      assertEquals(declared, true);
      if (missing.status === 404) assertEquals((await problemOf(missing))?.code, "org_not_found");
    }
  },
);

Deno.test("a Problem's code is the catalogue's codes and the client's own, no wider", () => {
  const codes: Same<
    ProblemCode,
    ErrorCode | "unexpected_response" | "network_error" | "invalid_json"
  > = true;
  const field: Same<Problem["code"], ProblemCode> = true;
  const one: ErrorCode = ERROR_CODES[0];
  assertEquals([codes, field, typeof one], [true, true, "string"]);
  // @ts-expect-error a string is not a code
  const _wide: Problem["code"] = "anything" as string;
});
