import { assert, assertEquals, assertProblem } from "../support/assert.ts";
import { createTestApp, dbTest, json, PASSWORD } from "../support/app.ts";

/** Drive the compatibility routes exactly as a client of the original FastAPI service did. */
Deno.test("the original service's contract still works", dbTest, async (t) => {
  await using app = await createTestApp();
  const call = (method: string, path: string, body?: unknown, token?: string) =>
    app.request(path, {
      method,
      headers: {
        ...(body ? { "Content-Type": "application/json" } : {}),
        ...(token ? { Authorization: `Bearer ${token}` } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
    });
  let id = "";
  let adminId = "";
  await t.step("POST /org/create: 201 with the original shape", async () => {
    const res = await call("POST", "/org/create", {
      organization_name: "Acme Corp",
      email: "admin@acme.io",
      password: PASSWORD,
    });
    assertEquals(res.status, 201);
    const body = await res.json();
    assertEquals(typeof body.message, "string");
    assertEquals(Object.keys(body.organization).sort(), [
      "admin_id",
      "database_name",
      "id",
      "organization_name",
    ]);
    assertEquals(body.organization.organization_name, "Acme Corp");
    assertEquals(
      body.organization.database_name,
      `${app.config.tenantDbPrefix}${body.organization.id}`,
    );
    id = body.organization.id;
    adminId = body.organization.admin_id;
  });
  await t.step("POST /org/create with an existing name: 400", async () => {
    const res = await call("POST", "/org/create", {
      organization_name: "acme corp",
      email: "x@acme.io",
      password: PASSWORD,
    });
    await assertProblem(res, 400, "org_exists");
  });
  await t.step("POST /org/create with an existing email: 400, no password checked", async () => {
    for (const password of [PASSWORD, "a wrong but long passphrase"]) {
      const res = await call("POST", "/org/create", {
        organization_name: "Second Acme",
        email: "admin@acme.io",
        password,
      });
      await assertProblem(res, 400, "email_taken");
    }
    assertEquals((await app.request("/org/get?organization_name=Second%20Acme")).status, 404);
  });
  await t.step("GET /org/get by any spelling of the name", async () => {
    for (const name of ["Acme Corp", "acme corp", "acme-corp"]) {
      const res = await app.request(`/org/get?organization_name=${encodeURIComponent(name)}`);
      assertEquals(res.status, 200, name);
      assertEquals(await res.json(), {
        id,
        organization_name: "Acme Corp",
        database_name: `${app.config.tenantDbPrefix}${id}`,
        admin_id: adminId,
      });
    }
    assertEquals((await app.request("/org/get?organization_name=nope")).status, 404);
  });
  let token = "";
  await t.step("POST /admin/login: access_token and token_type bearer", async () => {
    const res = await call("POST", "/admin/login", {
      email: "admin@acme.io",
      password: PASSWORD,
    });
    assertEquals(res.status, 200);
    const body = await res.json();
    assertEquals(body.token_type, "bearer");
    token = body.access_token;
    const bad = await call("POST", "/admin/login", {
      email: "admin@acme.io",
      password: "wrong password here",
    });
    assertEquals(bad.status, 401);
  });
  await t.step("PUT /org/update renames; 403 for another org; 400 for a taken name", async () => {
    const other = await call("POST", "/org/create", {
      organization_name: "Other Org",
      email: "o@other.io",
      password: PASSWORD,
    });
    assertEquals(other.status, 201);
    const forbidden = await call("PUT", "/org/update", {
      organization_name: "Other Org",
      new_organization_name: "Mine Now",
    }, token);
    assertEquals(forbidden.status, 403);
    const taken = await call("PUT", "/org/update", {
      organization_name: "Acme Corp",
      new_organization_name: "other org",
    }, token);
    assertEquals(taken.status, 400);
    const res = await call("PUT", "/org/update", {
      organization_name: "Acme Corp",
      new_organization_name: "Acme Two",
    }, token);
    assertEquals(res.status, 200);
    const body = await res.json();
    assertEquals(body.organization_name, "Acme Two");
    assertEquals(
      body.database_name,
      `${app.config.tenantDbPrefix}${id}`,
      "the database did not move",
    );
    assertEquals(
      (await call("PUT", "/org/update", {
        organization_name: "Acme Two",
        new_organization_name: "X Y Z",
      })).status,
      401,
    );
  });
  await t.step("DELETE /org/delete: 403 for another org, 200 for its own", async () => {
    assertEquals(
      (await call("DELETE", "/org/delete", { organization_name: "Other Org" }, token)).status,
      403,
    );
    const res = await call("DELETE", "/org/delete", { organization_name: "Acme Two" }, token);
    assertEquals(res.status, 200);
    assertEquals(typeof (await res.json()).message, "string");
    assertEquals((await app.request("/org/get?organization_name=Acme%20Two")).status, 404);
    assert(!(await app.tenantDatabases()).includes(`${app.config.tenantDbPrefix}${id}`));
  });
  await t.step("the unauthenticated POST /admin/create of the original is gone", async () => {
    const res = await call("POST", "/admin/create", {
      organization_name: "Other Org",
      email: "evil@x.io",
      password: PASSWORD,
    });
    assertEquals(res.status, 404);
  });
});

Deno.test("the compatibility routes are deprecated in the OpenAPI document", dbTest, async () => {
  await using app = await createTestApp();
  const doc = await (await app.request("/openapi.json")).json();
  const ops = [["/org/create", "post"], ["/org/get", "get"], ["/org/update", "put"], [
    "/org/delete",
    "delete",
  ], ["/admin/login", "post"]];
  for (const [path, method] of ops) {
    assertEquals(doc.paths[path]?.[method]?.deprecated, true, path);
  }
  assertEquals(doc.paths["/v1/orgs"].post.deprecated, undefined);
  assertEquals((await app.request("/org/create", json({}))).status, 400);
});
