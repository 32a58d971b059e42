/**
 * Operator injection in every string field of every request body (generated from the OpenAPI
 * document) is 400, and strings that look like operators are stored as plain data.
 */
import { assert, assertEquals, assertProblem } from "../../support/assert.ts";
import {
  addMember,
  bearer,
  createOrgAndLogin,
  createTestApp,
  dbTest,
  json,
  PASSWORD,
} from "../../support/app.ts";
import {
  fillPath,
  openapi,
  operations,
  sample,
  stringFields,
  withValue,
} from "../../support/openapi.ts";

Deno.test(
  "operator injection in every string field of every request body is 400",
  dbTest,
  async (t) => {
    await using app = await createTestApp();
    const doc = await openapi(app);
    const owner = await createOrgAndLogin(app, "Target Org");
    const member = await addMember(app, owner.token, owner.org.slug, "admin");
    // Other path parameters (ids) get stand-ins that name nothing: the body is refused first.
    const params: Record<string, string> = {
      slug: owner.org.slug,
      userId: member.userId,
      name: "target",
    };
    const injections = [{ $gt: "" }, { $ne: null }, { $where: "sleep(1000)" }, ["$gt", ""]];
    let tried = 0;
    for (const { template, method, op } of operations(doc)) {
      if (!op.requestBody) continue;
      const schema = op.requestBody.content["application/json"].schema;
      const base = sample(doc, schema);
      const path = fillPath(doc, template, params, op);
      for (const field of stringFields(doc, schema)) {
        await t.step(`${method.toUpperCase()} ${template} ${field.join(".")}`, async () => {
          for (const value of injections) {
            const res = await app.request(path, {
              method: method.toUpperCase(),
              headers: { ...bearer(owner.token), "Content-Type": "application/json" },
              body: JSON.stringify(withValue(base, field, value)),
            });
            await assertProblem(res, 400, "validation_failed", JSON.stringify(value));
            tried++;
          }
        });
      }
      await t.step(`${method.toUpperCase()} ${template} with an operator key`, async () => {
        const res = await app.request(path, {
          method: method.toUpperCase(),
          headers: { ...bearer(owner.token), "Content-Type": "application/json" },
          body: JSON.stringify({ ...(base as object), $where: "1", "a.$gt": 1 }),
        });
        assertEquals(res.status, 400);
      });
    }
    assert(tried >= 60, `only ${tried} injections were sent`);
    await t.step("an operator in a query parameter is 400", async () => {
      const res = await app.request("/org/get?organization_name[$ne]=x");
      assertEquals(res.status, 400);
    });
    await t.step("nothing changed", async () => {
      const me = await app.request("/v1/me", { headers: bearer(owner.token) });
      assertEquals((await me.json()).org.name, "Target Org");
      assertEquals(await app.deps.db.master.collection("orgs").countDocuments({}), 1);
    });
  },
);

Deno.test("strings that look like operators are plain data", dbTest, async (t) => {
  await using app = await createTestApp();
  const orgs = app.deps.db.master.collection("orgs");
  let token = "";
  await t.step("an org named $where", async () => {
    const res = await app.request(
      "/v1/orgs",
      json({ name: "$where", admin: { email: "where@example.com", password: PASSWORD } }),
    );
    assertEquals(res.status, 201);
    assertEquals((await res.json()).org.slug, "where");
    assertEquals((await orgs.findOne({ slug: "where" }))?.name, "$where");
    const login = await app.request(
      "/v1/auth/login",
      json({ email: "where@example.com", password: PASSWORD }),
    );
    token = (await login.json()).accessToken;
  });
  await t.step('renamed to {"$ne": null} as a string', async () => {
    const res = await app.request("/v1/orgs/where", {
      method: "PATCH",
      headers: { ...bearer(token), "Content-Type": "application/json" },
      body: JSON.stringify({ name: '{"$ne": null}' }),
    });
    assertEquals(res.status, 200);
    assertEquals((await orgs.findOne({ slug: "ne-null" }))?.name, '{"$ne": null}');
    const got = await app.request("/org/get?organization_name=%7B%22%24ne%22%3A%20null%7D");
    assertEquals((await got.json()).organization_name, '{"$ne": null}');
  });
  await t.step("a password or an org reference that looks like an operator", async () => {
    const wrong = await app.request(
      "/v1/auth/login",
      json({ email: "where@example.com", password: "$where" }),
    );
    assertEquals(wrong.status, 401);
    const named = await app.request(
      "/v1/auth/login",
      json({ email: "where@example.com", password: PASSWORD, org: "$ne" }),
    );
    assertEquals(named.status, 404);
    const missing = await app.request("/org/get?organization_name=%24where");
    assertEquals(missing.status, 404);
    // A slug is checked by its pattern before anything is looked up (docs/api.md, path
    // parameters): `$gt` is no slug, 400, and never reaches a query.
    const slug = await app.request("/v1/orgs/$gt");
    await assertProblem(slug, 400, "validation_failed");
  });
  await t.step("an invitation to an address with $ in it", async () => {
    const res = await app.request("/v1/orgs/ne-null/invitations", {
      method: "POST",
      headers: { ...bearer(token), "Content-Type": "application/json" },
      body: JSON.stringify({ email: "$ne@example.com", role: "member" }),
    });
    assert(res.status === 201 || res.status === 400, `status ${res.status}`);
    if (res.status === 201) {
      const stored = await app.deps.db.master.collection("invitations").findOne({
        email: "$ne@example.com",
      });
      assert(stored, "stored with the literal address");
    }
  });
});
