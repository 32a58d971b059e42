/**
 * Regressions for what Schemathesis found (tests/resilience/fuzz.test.ts): each failing request,
 * replayed as a plain test. Each answer must be the expected one AND documented for its
 * operation in /openapi.json (the fuzzer's status code conformance check).
 */
import { assert, assertEquals } from "../support/assert.ts";
import { createOrgAndLogin, createTestApp, dbTest, json } from "../support/app.ts";
import { fillPath, openapi, pathParameters } from "../support/openapi.ts";

Deno.test(
  "fuzz regressions: answers Schemathesis found undocumented are documented",
  dbTest,
  async (t) => {
    await using app = await createTestApp();
    const doc = await openapi(app);
    const owner = await createOrgAndLogin(app, "Regress Co");
    const auth = { Authorization: `Bearer ${owner.token}` };
    const long = "0".repeat(65); // over the 64-character limit of path parameters
    const expectDocumented = async (
      res: Response,
      method: string,
      template: string,
      status: number,
    ) => {
      assertEquals(res.status, status, `${method.toUpperCase()} ${template}`);
      assertEquals(res.headers.get("Content-Type"), "application/problem+json");
      assertEquals((await res.json()).status, status);
      const responses = doc.paths[template][method].responses ?? {};
      assert(
        String(status) in responses,
        `${status} is not documented for ${method.toUpperCase()} ${template}: ` +
          Object.keys(responses).join(", "),
      );
    };

    // Each route with a path parameter over the limit, the last one of its template; the
    // templates are found in the document, so a renamed parameter is still covered.
    const tooLong = [
      ["get", /^\/v1\/orgs\/\{slug\}$/],
      ["delete", /^\/v1\/orgs\/\{slug\}$/],
      ["delete", /^\/v1\/orgs\/\{slug\}\/members\/\{\w+\}$/],
      ["delete", /^\/v1\/orgs\/\{slug\}\/invitations\/\{\w+\}$/],
    ] as const;
    for (const [method, pattern] of tooLong) {
      const template = Object.keys(doc.paths).find((p) => pattern.test(p) && doc.paths[p][method]);
      assert(template, `no ${method.toUpperCase()} operation matches ${pattern}`);
      const name = pathParameters(template).at(-1)!;
      await t.step(
        `${method.toUpperCase()} ${template} with a 65-character ${name}: 400`,
        async () => {
          const path = fillPath(doc, template, { slug: owner.org.slug, [name]: long });
          const res = await app.request(path, { method: method.toUpperCase(), headers: auth });
          await expectDocumented(res, method, template, 400);
        },
      );
    }
    await t.step("POST /admin/login after repeated failures: 429", async () => {
      let res: Response | undefined;
      for (let i = 0; i < 6; i++) {
        await res?.body?.cancel();
        res = await app.request(
          "/admin/login",
          json({ email: "ada@example.com", password: "wrong password" }),
        );
      }
      await expectDocumented(res!, "post", "/admin/login", 429);
      assert(res!.headers.get("Retry-After"));
    });
  },
);
