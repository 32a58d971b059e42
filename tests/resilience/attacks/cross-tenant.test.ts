/**
 * Generated from the OpenAPI document: every operation on an org's `{slug}`, called with another
 * org's token, is 403 or 404 and leaves the org unchanged; so are the compatibility routes.
 */
import { okJson } from "../../support/client.ts";
import { assert, assertEquals } from "../../support/assert.ts";
import { addMember, bearer, createOrgAndLogin, createTestApp, dbTest } from "../../support/app.ts";
import { fillPath, openapi, operations, pathParameters, sample } from "../../support/openapi.ts";

Deno.test("every {slug} operation, with another org's token, is 403 or 404 and changes nothing", {
  ...dbTest,
}, async (t) => {
  await using app = await createTestApp();
  const doc = await openapi(app);
  const a = await createOrgAndLogin(app, "Target Org");
  const aMember = await addMember(app, a.token, a.org.slug, "admin");
  const inv = await app.client(a.token).v1.orgs[":slug"].invitations.$post({
    param: { slug: a.org.slug },
    json: { email: "pending@example.com", role: "member" },
  });
  assertEquals(inv.status, 201);
  const aInvitation = await okJson(inv);
  const aCollection = await app.client(a.token).v1.orgs[":slug"].collections.$post({
    param: { slug: a.org.slug },
    json: { name: "target" },
  });
  assertEquals(aCollection.status, 201);
  const aDocument = await app.client(a.token).v1.orgs[":slug"].collections[":name"].documents
    .$post({ param: { slug: a.org.slug, name: "target" }, json: { secret: "a's" } });
  assertEquals(aDocument.status, 201);
  const aDocumentId = aDocument.status === 201 ? String((await aDocument.json())._id) : "";
  const b = await createOrgAndLogin(app, "Attacker Org");

  const snapshot = async () => {
    const org = await (await app.request(`/v1/orgs/${a.org.slug}`, { headers: bearer(a.token) }))
      .json();
    const members = await (await app.request(`/v1/orgs/${a.org.slug}/members`, {
      headers: bearer(a.token),
    })).json();
    const invitations = await (await app.request(`/v1/orgs/${a.org.slug}/invitations`, {
      headers: bearer(a.token),
    })).json();
    const collections = await (await app.request(`/v1/orgs/${a.org.slug}/collections`, {
      headers: bearer(a.token),
    })).json();
    const documents = await (await app.request(
      `/v1/orgs/${a.org.slug}/collections/target/documents`,
      { headers: bearer(a.token) },
    )).json();
    return { org, members, invitations, collections, documents };
  };
  const before = await snapshot();
  assertEquals(before.org.name, "Target Org");
  assertEquals(before.members.items.length, 2);
  assertEquals(before.invitations.items.length, 1);
  assertEquals(before.documents.items.length, 1);

  // Org A's real resources by parameter name; any other parameter (a resource of a newer route)
  // gets a stand-in that names nothing, which must be refused all the same.
  const params: Record<string, string> = {
    slug: a.org.slug,
    userId: aMember.userId,
    id: aInvitation.id,
    invitationId: aInvitation.id,
    name: "target",
    documentId: aDocumentId,
  };
  let tried = 0;
  for (const { template, method, op } of operations(doc)) {
    if (!pathParameters(template).includes("slug")) continue;
    const path = fillPath(doc, template, params, op);
    const schema = op.requestBody?.content["application/json"]?.schema;
    const body = schema ? sample(doc, schema) : undefined;
    await t.step(`${method.toUpperCase()} ${template}`, async () => {
      const res = await app.request(path, {
        method: method.toUpperCase(),
        headers: { ...bearer(b.token), ...(body ? { "Content-Type": "application/json" } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      const text = await res.text();
      // A token is required unless the security is absent or optional (`{}` among its options).
      const required = op.security?.length &&
        op.security.every((s) => Object.keys(s as object).length > 0);
      if (required) {
        assert(
          res.status === 403 || res.status === 404,
          `${method.toUpperCase()} ${path} as another org: ${res.status} ${text}`,
        );
      } else {
        // Public (GET /v1/orgs/{slug}): the public fields only, none of the members'.
        assertEquals(res.status, 200, text);
        const org = JSON.parse(text);
        for (const field of ["databaseName", "cluster", "role", "memberCount"]) {
          assertEquals(org[field], undefined, `${field} shown to another org`);
        }
      }
    });
    tried++;
  }
  assert(tried >= 21, `only ${tried} operations on {slug} were found in the OpenAPI document`);

  await t.step(
    "the compatibility routes name orgs in the body: 403 for another org",
    async () => {
      const update = await app.request("/org/update", {
        method: "PUT",
        headers: { ...bearer(b.token), "Content-Type": "application/json" },
        body: JSON.stringify({
          organization_name: "Target Org",
          new_organization_name: "Hijacked By B",
        }),
      });
      assertEquals(update.status, 403);
      const del = await app.request("/org/delete", {
        method: "DELETE",
        headers: { ...bearer(b.token), "Content-Type": "application/json" },
        body: JSON.stringify({ organization_name: "Target Org" }),
      });
      assertEquals(del.status, 403);
    },
  );
  await t.step("the target org is unchanged", async () => {
    assertEquals(await snapshot(), before);
    assertEquals((await app.request("/v1/me", { headers: bearer(aMember.token) })).status, 200);
  });
});
