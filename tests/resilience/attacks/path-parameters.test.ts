/**
 * Generated from the OpenAPI document: every path parameter of every route, sent through the
 * typed client with a value holding `/`, `..`, `%2F`, `?` or `#`, reaches the server as that one
 * parameter — the path keeps its shape, the server answers 400 or 404 for that resource, and no
 * other resource is touched (a link to the "document" `<id>/../../../../../<slug>` must not turn
 * a document's Delete into `DELETE /v1/orgs/<slug>`). The caller is the org's owner and an
 * operator, so nothing is refused for lack of rights.
 */
import { okJson } from "../../support/client.ts";
import { setOperator } from "../../../src/access/operators.ts";
import { createClient } from "../../../src/client.ts";
import { assert, assertEquals, assertProblem } from "../../support/assert.ts";
import { addMember, bearer, createOrgAndLogin, createTestApp, dbTest } from "../../support/app.ts";
import { openapi, operations, pathParameters, sample } from "../../support/openapi.ts";

/** Values that would change the path if they were put into it unencoded. */
function attacks(real: string, depth: number, slug: string): string[] {
  // `depth` segments come before the parameter: enough `..` to climb back to `/v1/orgs/`.
  const climb = "/..".repeat(Math.max(1, depth - 1));
  return [
    `${real}${climb}/${slug}`,
    `x${climb}/${slug}`,
    `${real}/..`,
    `../${real}`,
    `${real}%2F..%2F..%2F..%2F${slug}`,
    `${real}%2f`,
    `a/b`,
    `${real}?x=1`,
    `${real}#x`,
    `${real}/%2E%2E/%2e%2e/${slug}`,
    `:slug`,
  ];
}

Deno.test(
  "every path parameter, whatever it holds, is one parameter: no value changes the path",
  dbTest,
  async (t) => {
    await using app = await createTestApp();
    const doc = await openapi(app);
    const a = await createOrgAndLogin(app, "Target Org");
    await setOperator(app.deps, a.email, true);
    const member = await addMember(app, a.token, a.org.slug, "member");
    const api = app.client(a.token);
    const inv = await api.v1.orgs[":slug"].invitations.$post({
      param: { slug: a.org.slug },
      json: { email: "pending@example.com", role: "member" },
    });
    assertEquals(inv.status, 201);
    const invitation = await okJson(inv);
    const created = await api.v1.orgs[":slug"].collections.$post({
      param: { slug: a.org.slug },
      json: { name: "target" },
    });
    assertEquals(created.status, 201);
    const stored = await api.v1.orgs[":slug"].collections[":name"].documents.$post({
      param: { slug: a.org.slug, name: "target" },
      json: { keep: "me" },
    });
    assertEquals(stored.status, 201);
    const documentId = stored.status === 201 ? String((await stored.json())._id) : "";

    const snapshot = async () => {
      const get = async (path: string) =>
        await (await app.request(path, { headers: bearer(a.token) })).json();
      const org = `/v1/orgs/${a.org.slug}`;
      return {
        org: await get(org),
        members: await get(`${org}/members`),
        invitations: await get(`${org}/invitations`),
        collections: await get(`${org}/collections`),
        documents: await get(`${org}/collections/target/documents`),
      };
    };
    const before = await snapshot();
    assertEquals(before.org.status, "active");
    assertEquals(before.documents.items.length, 1);

    // Real values by parameter name; a parameter of a newer route gets a plain stand-in.
    const real: Record<string, string> = {
      slug: a.org.slug,
      userId: member.userId,
      id: invitation.id,
      name: "target",
      documentId,
    };
    // Every request the client sends, as the server receives it.
    const sent: URL[] = [];
    const client = createClient("http://localhost", {
      token: a.token,
      fetch: (input, init) => {
        sent.push(new URL(input instanceof Request ? input.url : String(input)));
        return Promise.resolve(app.app.request(input, init));
      },
    });

    let tried = 0;
    for (const { template, method, op } of operations(doc)) {
      const names = pathParameters(template);
      if (names.length === 0) continue;
      const segments = template.split("/").slice(1);
      const keys = segments.map((s) => s.replace(/^\{(\w+)\}$/, ":$1"));
      const schema = op.requestBody?.content["application/json"]?.schema;
      const body = schema ? sample(doc, schema) : undefined;
      for (const name of names) {
        const depth = segments.indexOf(`{${name}}`);
        await t.step(`${method.toUpperCase()} ${template}: {${name}}`, async () => {
          for (const value of attacks(real[name] ?? "x", depth, a.org.slug)) {
            const param = Object.fromEntries(names.map((n) => [n, real[n] ?? "stand-in"]));
            param[name] = value;
            // deno-lint-ignore no-explicit-any
            let node: any = client;
            for (const key of keys) node = node[key];
            sent.length = 0;
            const res: Response = await node[`$${method}`]({
              param,
              query: {},
              header: {},
              ...(body === undefined ? {} : { json: body }),
            });
            const text = await res.text();
            const what = `${method.toUpperCase()} ${template} with ${name}=${value}`;
            assertEquals(sent.length, 1, what);
            const got = sent[0].pathname.split("/").slice(1);
            assertEquals(got.length, segments.length, `${what} was sent as ${sent[0].pathname}`);
            assertEquals(decodeURIComponent(got[depth]), value, `${what}: ${sent[0].pathname}`);
            assertEquals(sent[0].search, "", `${what}: ${sent[0].href}`);
            assert(res.status === 400 || res.status === 404, `${what}: ${res.status} ${text}`);
            tried++;
          }
        });
      }
    }
    assert(tried >= 30 * 5, `only ${tried} requests were tried`);

    await t.step("the org and everything in it are unchanged", async () => {
      assertEquals(await snapshot(), before);
    });
  },
);

Deno.test(
  "the client refuses an empty, `.` or `..` path parameter before sending anything",
  dbTest,
  async () => {
    await using app = await createTestApp();
    const a = await createOrgAndLogin(app, "Dot Org");
    let sent = 0;
    const client = createClient("http://localhost", {
      token: a.token,
      fetch: (input, init) => {
        sent++;
        return Promise.resolve(app.app.request(input, init));
      },
    });
    const documents = client.v1.orgs[":slug"].collections[":name"].documents;
    for (const value of ["", ".", ".."]) {
      let refused: unknown = null;
      try {
        await documents[":documentId"].$delete({
          param: { slug: a.org.slug, name: "target", documentId: value },
          header: {},
        });
      } catch (e) {
        refused = e;
      }
      assert(refused instanceof TypeError, `documentId=${JSON.stringify(value)} was not refused`);
      assertEquals(sent, 0);
    }
    const org = await app.request(`/v1/orgs/${a.org.slug}`, { headers: bearer(a.token) });
    assertEquals(org.status, 200);
  },
);

Deno.test(
  "the server routes by raw `/` only: a parameter holding %2F never matches another route",
  dbTest,
  async () => {
    await using app = await createTestApp();
    const a = await createOrgAndLogin(app, "Routed Org");
    const slug = a.org.slug;
    const auth = { headers: bearer(a.token) };
    const del = await app.request(
      `/v1/orgs/${slug}/collections/c/documents/x%2F..%2F..%2F..%2F..%2F..%2F${slug}`,
      { method: "DELETE", ...auth },
    );
    assert(del.status === 400 || del.status === 404, `${del.status} ${await del.text()}`);
    const asMembers = await app.request(`/v1/orgs/${slug}%2Fmembers`, auth);
    assert(asMembers.status === 400 || asMembers.status === 404, String(asMembers.status));
    await asMembers.body?.cancel();
    const asOrg = await app.request(`/v1/orgs/x%2F..%2F${slug}`, { method: "DELETE", ...auth });
    assert(asOrg.status === 400 || asOrg.status === 404, String(asOrg.status));
    await asOrg.body?.cancel();
    const org = await app.request(`/v1/orgs/${slug}`, auth);
    assertEquals(org.status, 200);
    assertEquals((await org.json()).status, "active");
  },
);

Deno.test(
  "a path parameter holding a character no slug, id or name has is 400 validation_failed",
  dbTest,
  async (t) => {
    await using app = await createTestApp();
    const a = await createOrgAndLogin(app, "Strict Org");
    await setOperator(app.deps, a.email, true);
    const created = await app.client(a.token).v1.orgs[":slug"].collections.$post({
      param: { slug: a.org.slug },
      json: { name: "target" },
    });
    assertEquals(created.status, 201);
    const org = `/v1/orgs/${a.org.slug}`;
    const cases: [string, string][] = [
      ["GET", `${org}/collections/target/documents/x%2F..`],
      ["DELETE", `${org}/collections/target/documents/6745f1c2a9e4b1d2c3f4a5b6%3Fx`],
      ["GET", `${org}/collections/a%2Fb/documents`],
      ["DELETE", `${org}/collections/a%23b`],
      ["DELETE", `${org}/members/x%2F..%2F..`],
      ["DELETE", `${org}/invitations/a%3Fb`],
      ["GET", `/v1/admin/jobs/x%2F..`],
      ["GET", `/v1/admin/orgs/x%2F..%2F${a.org.slug}`],
      ["GET", `/v1/admin/orgs/${a.org.slug.toUpperCase()}`],
    ];
    for (const [method, path] of cases) {
      await t.step(`${method} ${path}`, async () => {
        const res = await app.request(path, { method, headers: bearer(a.token) });
        await assertProblem(res, 400, "validation_failed");
      });
    }
  },
);
