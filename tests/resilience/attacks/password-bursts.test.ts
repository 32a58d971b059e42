/**
 * Generated from the OpenAPI document: every operation whose body carries a password, hit by a
 * concurrent burst of wrong ones for one existing user, answers no more 401s than the login
 * throttle allows, and none of them signs anyone in: from one address (the email's limit), and
 * from as many addresses of one IPv6 /64 (the address's limit, counted per /64).
 */
import { okJson } from "../../support/client.ts";
import { loadConfig } from "../../../src/platform/config.ts";
import { assert, problemCode } from "../../support/assert.ts";
import { bearer, createOrgAndLogin, createTestApp, dbTest } from "../../support/app.ts";
import {
  fillPath,
  openapi,
  operations,
  sample,
  stringFields,
  withPath,
  withValue,
} from "../../support/openapi.ts";

/** The default LOGIN_EMAIL_LIMIT, which the test apps keep. */
const EMAIL_LIMIT = loadConfig({}).loginEmailLimit;

Deno.test(
  "every operation that takes a password, hit by a burst of wrong ones, keeps to the throttle",
  dbTest,
  (t) => attack(t, { env: {}, limit: EMAIL_LIMIT, from: (n) => `198.51.100.${n}` }),
);

Deno.test(
  "every operation that takes a password, hit from many addresses of one /64, keeps to its limit",
  dbTest,
  (t) =>
    attack(t, {
      // Only the address's limit can hold here: each guess comes from another address.
      env: { LOGIN_EMAIL_LIMIT: "1000", LOGIN_ADDRESS_LIMIT: "3" },
      limit: 3,
      from: (n, i) => `2001:db8:${n}:64::${(i + 1).toString(16)}`,
    }),
);

async function attack(
  t: Deno.TestContext,
  opts: { env: Record<string, string>; limit: number; from: (n: number, i: number) => string },
) {
  {
    await using app = await createTestApp({ env: { ORG_CREATE_LIMIT: "0", ...opts.env } });
    const doc = await openapi(app);
    const inviter = await createOrgAndLogin(app, "Burst Inviter");
    const checked: string[] = [];
    let n = 0;
    for (const { template, method, op } of operations(doc)) {
      if (!op.requestBody) continue;
      const schema = op.requestBody.content["application/json"].schema;
      const fields = stringFields(doc, schema).filter((f) =>
        /password/i.test(f[f.length - 1]) && f[f.length - 1] !== "newPassword"
      );
      if (!fields.length) continue;
      const name = `${method.toUpperCase()} ${template}`;
      await t.step(name, async () => {
        n++;
        const victim = await createOrgAndLogin(app, `Burst Victim ${n}`);
        const path = fillPath(doc, template, { slug: victim.org.slug }, op);
        const inv = await app.client(inviter.token).v1.orgs[":slug"].invitations.$post({
          param: { slug: inviter.org.slug },
          json: { email: victim.email, role: "owner" },
        });
        const { token } = await okJson(inv);
        let base = sample(doc, schema);
        for (const f of fields) base = withPath(doc, schema, base, f);
        for (const f of stringFields(doc, schema)) {
          const key = f[f.length - 1];
          const present = f.slice(0, -1).reduce<unknown>(
            (o, k) => (o as Record<string, unknown> | undefined)?.[k],
            base,
          ) as Record<string, unknown> | undefined;
          if (!present || !(key in present)) continue;
          if (key === "email") base = withValue(base, f, victim.email);
          if (key === "token") base = withValue(base, f, token);
        }
        // A bearer token only where the operation cannot be called without one.
        const needsToken = !!op.security?.length &&
          !op.security.some((r) => Object.keys(r as object).length === 0);
        const answers = await Promise.all(Array.from({ length: 25 }, (_, i) => {
          let body = base;
          for (const f of fields) body = withValue(body, f, `wrong guess number ${i}`);
          return app.app.request(path, {
            method: method.toUpperCase(),
            headers: {
              "Content-Type": "application/json",
              ...(needsToken ? bearer(victim.token) : {}),
            },
            body: JSON.stringify(body),
          }, { remoteAddr: { hostname: opts.from(n, i) } });
        }));
        const seen = await Promise.all(
          answers.map(async (r) => `${r.status} ${await problemCode(r)}`),
        );
        assert(seen.every((a) => !a.startsWith("2")), `${name} let a guess in: ${seen}`);
        const wrong = seen.filter((a) => a === "401 invalid_credentials").length;
        if (wrong) checked.push(name);
        assert(
          wrong <= opts.limit,
          `${name}: ${wrong} wrong passwords answered, limit ${opts.limit}: ${seen.sort()}`,
        );
      });
    }
    for (const route of ["POST /v1/auth/login", "POST /admin/login", "POST /v1/me/password"]) {
      assert(checked.includes(route), `${route} was not found checking passwords: ${checked}`);
    }
  }
}
