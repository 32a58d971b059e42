import { okJson } from "../support/client.ts";
import { assertEquals, assertProblem } from "../support/assert.ts";
import { createOrgAndLogin, createTestApp, dbTest, json, PASSWORD } from "../support/app.ts";

/** One of each refused category: Cf (bidi override, zero-width space, BOM), Cc (C1 NEL), Zl, Zp, Co, Cs. */
const SPOOFING = {
  "U+202E right-to-left override": "Acme\u202eroC",
  "U+200B zero-width space": "Ac\u200bme Corp",
  "U+FEFF zero-width no-break space": "Acme\ufeff Corp",
  "U+0085 next line (C1)": "Acme\u0085Corp",
  "U+0007 bell (C0)": "Acme\u0007Corp",
  "U+2028 line separator": "Acme\u2028Corp",
  "U+2029 paragraph separator": "Acme\u2029Corp",
  "U+E000 private use": "Acme\ue000Corp",
  "U+D800 lone surrogate": "Acme\ud800Corp",
};

Deno.test(
  "org names with controls, bidi overrides or invisible characters are 400",
  dbTest,
  async (t) => {
    await using app = await createTestApp();
    const owner = await createOrgAndLogin(app, "Names Co");
    const before = {
      orgs: await app.deps.db.master.collection("orgs").countDocuments({}),
      users: await app.deps.db.master.collection("users").countDocuments({}),
      databases: (await app.tenantDatabases()).length,
    };
    for (const [what, name] of Object.entries(SPOOFING)) {
      await t.step(what, async () => {
        const created = await app.request(
          "/v1/orgs",
          json({
            name,
            admin: { email: `n${crypto.randomUUID()}@example.com`, password: PASSWORD },
          }),
        );
        await assertProblem(created, 400, "validation_failed", `create: ${what}`);
        const renamed = await app.request(`/v1/orgs/${owner.org.slug}`, {
          method: "PATCH",
          headers: { "Content-Type": "application/json", Authorization: `Bearer ${owner.token}` },
          body: JSON.stringify({ name }),
        });
        await assertProblem(renamed, 400, "validation_failed", `rename: ${what}`);
        const compat = await app.request(
          "/org/create",
          json({
            organization_name: name,
            email: `c${crypto.randomUUID()}@example.com`,
            password: PASSWORD,
          }),
        );
        assertEquals(compat.status, 400, `compatibility create: ${what}`);
      });
    }
    await t.step("nothing was created or renamed", async () => {
      assertEquals({
        orgs: await app.deps.db.master.collection("orgs").countDocuments({}),
        users: await app.deps.db.master.collection("users").countDocuments({}),
        databases: (await app.tenantDatabases()).length,
      }, before);
      const org = await app.client().v1.orgs[":slug"].$get({ param: { slug: owner.org.slug } });
      assertEquals(org.status, 200);
      assertEquals((await okJson(org)).name, "Names Co");
    });
    await t.step("letters of any script, marks and emoji are still fine", async () => {
      for (const name of ["Café Ünïcode", "日本の会社 abc", "Zoë & Co 😀"]) {
        const res = await app.request(
          "/v1/orgs",
          json({
            name,
            admin: { email: `ok${crypto.randomUUID()}@example.com`, password: PASSWORD },
          }),
        );
        assertEquals(res.status, 201, name);
      }
    });
  },
);
