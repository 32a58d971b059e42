/** The typed client: problems read by `problemOf` without casts, and a token getter. */
import { okJson } from "../support/client.ts";
import type { z } from "@hono/zod-openapi";
import { createClient, type Problem, problemOf } from "../../src/client.ts";
import type { ProblemSchema } from "../../src/http/problem.ts";
import { assert, assertEquals } from "../support/assert.ts";
import { createOrgAndLogin, createTestApp, dbTest, PASSWORD } from "../support/app.ts";

Deno.test(
  "problemOf() gives the code, the field errors and null for a success",
  dbTest,
  async () => {
    await using t = await createTestApp();
    const { email } = await createOrgAndLogin(t, "Problem Corp");
    const api = t.client();

    const wrong = await api.v1.auth.login.$post({
      json: { email, password: "not the password" },
    });
    const p = await problemOf(wrong);
    assertEquals(p?.status, 401);
    assertEquals(p?.code, "invalid_credentials");

    const invalid = await api.v1.orgs.$post({
      json: { name: "x", admin: { email: "not-an-email", password: PASSWORD } },
    });
    const v = await problemOf(invalid);
    assertEquals(v?.code, "validation_failed");
    assert(v?.errors?.some((e) => e.path === "name"), JSON.stringify(v?.errors));

    const ok = await api.v1.auth.login.$post({ json: { email, password: PASSWORD } });
    assertEquals(await problemOf(ok), null);
    assertEquals(ok.bodyUsed, false, "a success's body is left for the caller");
    assertEquals((await okJson(ok)).tokenType, "Bearer");
  },
);

// The browser-safe type describes what the server sends: a changed schema is a type error here.
const _sent: Problem = {} as z.infer<typeof ProblemSchema>;

Deno.test("createClient() reads a token getter before every request", dbTest, async () => {
  await using t = await createTestApp();
  const { token, email } = await createOrgAndLogin(t, "Getter Corp");
  let current: string | undefined;
  const fetch = (input: RequestInfo | URL, init?: RequestInit) =>
    Promise.resolve(t.app.request(input, init));
  const api = createClient("http://localhost", { token: () => current, fetch });

  assertEquals((await problemOf(await api.v1.me.$get()))?.code, "unauthorized");
  current = token;
  const me = await api.v1.me.$get();
  assertEquals(me.status, 200);
  if (me.ok) assertEquals((await me.json()).user.email, email);
  current = "not-a-token";
  assertEquals((await api.v1.me.$get()).status, 401);

  // A fixed token still works as before.
  const fixed = createClient("http://localhost", { token, fetch });
  assertEquals((await fixed.v1.me.$get()).status, 200);
});
