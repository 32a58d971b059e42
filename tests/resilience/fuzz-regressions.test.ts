/**
 * Regressions for what Schemathesis found (tests/resilience/fuzz.test.ts): each failing request,
 * replayed as a plain test. Each answer must be the expected one AND documented for its
 * operation in /openapi.json (the fuzzer's status code conformance check).
 */
import { assert, assertEquals } from "../support/assert.ts";
import { createOrgAndLogin, createTestApp, dbTest, json } from "../support/app.ts";

Deno.test(
  "fuzz regressions: answers Schemathesis found undocumented are documented",
  dbTest,
  async (t) => {
    await using app = await createTestApp();
    const doc = await (await app.request("/openapi.json")).json();
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
      const responses = doc.paths[template][method].responses;
      assert(
        String(status) in responses,
        `${status} is not documented for ${method.toUpperCase()} ${template}: ` +
          Object.keys(responses).join(", "),
      );
    };

    await t.step("GET /v1/orgs/{slug} with a 65-character slug: 400", async () => {
      await expectDocumented(
        await app.request(`/v1/orgs/${long}`),
        "get",
        "/v1/orgs/{slug}",
        400,
      );
    });
    await t.step("DELETE /v1/orgs/{slug} with a 65-character slug: 400", async () => {
      const res = await app.request(`/v1/orgs/${long}`, { method: "DELETE", headers: auth });
      await expectDocumented(res, "delete", "/v1/orgs/{slug}", 400);
    });
    await t.step(
      "DELETE /v1/orgs/{slug}/members/{userId} with a 65-character id: 400",
      async () => {
        const res = await app.request(`/v1/orgs/${owner.org.slug}/members/${long}`, {
          method: "DELETE",
          headers: auth,
        });
        await expectDocumented(res, "delete", "/v1/orgs/{slug}/members/{userId}", 400);
      },
    );
    await t.step(
      "DELETE /v1/orgs/{slug}/invitations/{id} with a 65-character id: 400",
      async () => {
        const res = await app.request(`/v1/orgs/${owner.org.slug}/invitations/${long}`, {
          method: "DELETE",
          headers: auth,
        });
        await expectDocumented(res, "delete", "/v1/orgs/{slug}/invitations/{id}", 400);
      },
    );
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
