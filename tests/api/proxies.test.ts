import { assertEquals } from "../support/assert.ts";
import { createOrgAndLogin, createTestApp, dbTest, json } from "../support/app.ts";
import { waitUntil } from "../../tools/lib/wait.ts";

type Event = { type: string; ip: string };

/** The client address the audit log recorded for one failed login sent by `peer` with `xff`. */
async function recordedAddress(trusted: string, peer: string, xff: string) {
  await using app = await createTestApp({ env: { TRUSTED_PROXIES: trusted } });
  const owner = await createOrgAndLogin(app, "Proxy Co");
  const res = await app.app.request(
    "/v1/auth/login",
    json({ email: owner.email, password: "not the password at all" }, {
      "X-Forwarded-For": xff,
    }),
    { remoteAddr: { hostname: peer } },
  );
  assertEquals(res.status, 401);
  // A failed sign-in is audited just after its answer (the answer does the same work as one for
  // an unknown email), so the event is waited for.
  let ip: string | undefined;
  await waitUntil(
    async () => {
      const audit = await app.client(owner.token).v1.orgs[":slug"].audit.$get({
        param: { slug: owner.org.slug },
        query: {},
      });
      assertEquals(audit.status, 200);
      const { items } = (await audit.json()) as { items: Event[] };
      ip = items.find((e) => e.type === "login.failed")?.ip;
      return ip !== undefined;
    },
    "the login.failed event",
    { timeoutMs: 5_000 },
  );
  return ip;
}

Deno.test(
  "over HTTP, TRUSTED_PROXIES=* never believes a client-written left-most hop",
  dbTest,
  async () => {
    assertEquals(await recordedAddress("*", "10.9.9.9", "6.6.6.6, 198.51.100.1"), "198.51.100.1");
  },
);

Deno.test(
  "over HTTP, CIDR ranges and mapped IPv4 peers are trusted proxies",
  dbTest,
  async () => {
    assertEquals(
      await recordedAddress(
        "10.0.0.0/8, fd00::/8",
        "::ffff:10.1.2.3",
        "6.6.6.6, 203.0.113.5, fd00::9",
      ),
      "203.0.113.5",
    );
  },
);
