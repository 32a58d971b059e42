/**
 * Webhooks (docs/webhooks.md) against the real database and a real HTTP receiver on a loopback
 * port (tests/support/webhooks.ts) that verifies EVERY delivery with the `standardwebhooks`
 * package. Retries are made quick with the test-only WEBHOOK_RETRY_SCALE; loopback receivers
 * need WEBHOOK_ALLOW_PRIVATE=1, except in the tests of the address rule, which run without it.
 * The crash test (SIGKILL between the change and the delivery) is tests/api/webhooks-crash.test.ts.
 */
import {
  addMember,
  bearer,
  createOrgAndLogin,
  createTestApp,
  dbTest,
  type TestApp,
} from "../support/app.ts";
import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import { sleep, waitUntil } from "../../tools/lib/wait.ts";
import { type Receiver, startReceiver } from "../support/webhooks.ts";
import { webhookSender } from "../../src/access/webhook-flows.ts";
import { WEBHOOK_KIND } from "../../src/events/catalogue.ts";
import { FAILING_DISABLE_MS } from "../../src/events/deliveries.ts";
import { listOutboxItems } from "../../src/outbox/outbox.ts";
import { type OutboxKind, sendDue, startOutboxSender } from "../../src/outbox/sender.ts";
import { isPublicAddress } from "../../src/platform/public-address.ts";

const FAST = { WEBHOOK_ALLOW_PRIVATE: "1", WEBHOOK_RETRY_SCALE: "0.0002" };

interface Answer {
  status: number;
  headers: Headers;
  // deno-lint-ignore no-explicit-any
  body: any;
}

async function api(t: TestApp, token: string, method: string, path: string, body?: unknown) {
  const res = await t.request(path, {
    method,
    headers: {
      ...bearer(token),
      ...(body !== undefined ? { "Content-Type": "application/json" } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

interface Setup {
  t: TestApp;
  receiver: Receiver;
  kinds: Record<string, OutboxKind>;
  owner: Awaited<ReturnType<typeof createOrgAndLogin>>;
  slug: string;
  /** Create an endpoint at receiver path `path`; its secret goes to the receiver. */
  endpoint(path: string, events?: string[]): Promise<{ id: string; secret: string }>;
  call(method: string, path: string, body?: unknown): Promise<Answer>;
  /** Run the sender loop (stopped at the end). */
  sending(): void;
  [Symbol.asyncDispose](): Promise<void>;
}

async function setup(env: Record<string, string> = FAST, now?: () => Date): Promise<Setup> {
  const receiver = startReceiver();
  const t = await createTestApp({ env, now });
  const owner = await createOrgAndLogin(t, `Hook Co ${crypto.randomUUID().slice(0, 6)}`);
  const slug = owner.org.slug;
  const kinds = { [WEBHOOK_KIND]: webhookSender(t.deps) };
  let stop: (() => Promise<void>) | undefined;
  const s: Setup = {
    t,
    receiver,
    kinds,
    owner,
    slug,
    call: (method, path, body) => api(t, owner.token, method, path, body),
    async endpoint(path, events = ["*"]) {
      const res = await s.call("POST", `/v1/orgs/${slug}/webhooks`, {
        url: `${receiver.url}${path}`,
        events,
      });
      if (res.status !== 201) {
        throw new Error(`endpoint: ${res.status} ${JSON.stringify(res.body)}`);
      }
      receiver.secrets.set(path, res.body.secret);
      return { id: res.body.id, secret: res.body.secret };
    },
    sending() {
      stop ??= startOutboxSender(t.deps, kinds, { pollMs: 20 });
    },
    async [Symbol.asyncDispose]() {
      await stop?.();
      await receiver.stop();
      await t.close();
    },
  };
  return s;
}

const webhookItems = (t: TestApp) => listOutboxItems(t.deps.db.master, { kind: WEBHOOK_KIND });

function assertAllVerified(r: Receiver) {
  for (const d of r.received) {
    assert(d.verified, `delivery ${d.id} to ${d.path} failed verification: ${d.verifyError}`);
  }
}

Deno.test(
  "events carry the documented data, each delivery signed per Standard Webhooks and verified",
  dbTest,
  async () => {
    await using s = await setup();
    const { id: endpointId } = await s.endpoint("/all");
    s.sending();
    const base = `/v1/orgs/${s.slug}`;
    assertEquals((await s.call("POST", `${base}/collections`, { name: "things" })).status, 201);
    assertEquals((await s.call("DELETE", `${base}/collections/things`)).status, 204);
    const invited = await s.call("POST", `${base}/invitations`, {
      email: "gone@example.com",
      role: "member",
    });
    assertEquals((await s.call("DELETE", `${base}/invitations/${invited.body.id}`)).status, 204);
    const member = await addMember(s.t, s.owner.token, s.slug, "member", "bob@example.com");
    assertEquals(
      (await s.call("PATCH", `${base}/members/${member.userId}`, { role: "admin" })).status,
      200,
    );
    assertEquals((await s.call("DELETE", `${base}/members/${member.userId}`)).status, 204);
    const renamed = await s.call("PATCH", base, { name: "Hooked Renamed" });
    assertEquals(renamed.status, 200);

    // Nine: addMember invites bob too (a second invitation.created).
    const got = await s.receiver.waitFor(9);
    assertAllVerified(s.receiver);
    const byType = new Map(
      got.filter((d) =>
        d.body.data.email !== "bob@example.com" || d.body.type !== "invitation.created"
      )
        .map((d) => [d.body.type, d]),
    );
    const org = { id: s.owner.org.id, slug: s.slug };
    const data = (type: string) => byType.get(type)?.body.data;
    assertEquals(data("collection.created"), { org, name: "things" });
    assertEquals(data("collection.dropped"), { org, name: "things" });
    const created = data("invitation.created");
    assertEquals({ ...created, expiresAt: undefined }, {
      org,
      id: invited.body.id,
      email: "gone@example.com",
      role: "member",
      expiresAt: undefined,
    });
    assertMatch(String(created?.expiresAt), /^\d{4}-\d\d-\d\dT/);
    assertEquals(data("invitation.revoked"), {
      org,
      id: invited.body.id,
      email: "gone@example.com",
      role: "member",
    });
    assertEquals(data("member.joined"), {
      org,
      userId: member.userId,
      email: "bob@example.com",
      role: "member",
    });
    assertEquals(data("member.role_changed"), {
      org,
      userId: member.userId,
      email: "bob@example.com",
      role: "admin",
      previousRole: "member",
    });
    assertEquals(data("member.removed"), {
      org,
      userId: member.userId,
      email: "bob@example.com",
      role: "admin",
    });
    assertEquals(data("org.updated"), {
      org: { id: s.owner.org.id, slug: renamed.body.slug },
      name: "Hooked Renamed",
      previous: { name: s.owner.org.name, slug: s.slug },
    });
    // The body: { type, timestamp, data }; every event its own id; the log shows them all.
    for (const d of got) {
      assertEquals(Object.keys(d.body).sort(), ["data", "timestamp", "type"]);
      assertMatch(d.id, /^msg_[0-9a-f]{32}$/);
      assert(Math.abs(d.timestamp - Date.now() / 1000) < 60, "webhook-timestamp is now");
    }
    assertEquals(new Set(got.map((d) => d.id)).size, got.length);
    await waitUntil(
      async () => (await webhookItems(s.t)).every((i) => i.status === "sent"),
      "all recorded sent",
    );
    assertEquals(
      (await webhookItems(s.t)).every((i) => i.payload.endpointId === endpointId),
      true,
    );
  },
);

Deno.test("the endpoint's secret is shown once, with Cache-Control: no-store", dbTest, async () => {
  await using s = await setup();
  const res = await s.call("POST", `/v1/orgs/${s.slug}/webhooks`, {
    url: `${s.receiver.url}/x`,
    events: ["member.joined", "collection.created"],
    description: "the backend",
  });
  assertEquals(res.status, 201);
  assertEquals(res.headers.get("Cache-Control"), "no-store");
  assertMatch(res.body.secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
  assertEquals(atob(res.body.secret.slice(6)).length, 32);
  assertEquals(res.body.enabled, true);
  const list = await s.call("GET", `/v1/orgs/${s.slug}/webhooks`);
  assertEquals(list.status, 200);
  assertEquals(list.body.items.length, 1);
  assert(!("secret" in list.body.items[0]), "no secret in the list");
  assert(!JSON.stringify(list.body).includes(res.body.secret.slice(6)), "secret never again");
  const patched = await s.call("PATCH", `/v1/orgs/${s.slug}/webhooks/${res.body.id}`, {
    description: "renamed",
  });
  assertEquals(patched.status, 200);
  assert(!JSON.stringify(patched.body).includes(res.body.secret.slice(6)), "nor when changed");
  assert(!s.t.logs.join("\n").includes(res.body.secret.slice(6)), "nor in the logs");
});

Deno.test(
  "endpoints: at most 10 per org; owners and admins only; unknown events refused",
  dbTest,
  async () => {
    await using s = await setup();
    for (let i = 0; i < 10; i++) await s.endpoint(`/n${i}`);
    const eleventh = await s.call("POST", `/v1/orgs/${s.slug}/webhooks`, {
      url: `${s.receiver.url}/n10`,
      events: ["*"],
    });
    assertEquals(eleventh.status, 403);
    assertEquals(eleventh.body.code, "quota_exceeded");
    const unknown = await s.call("POST", `/v1/orgs/${s.slug}/webhooks`, {
      url: `${s.receiver.url}/n10`,
      events: ["member.exploded"],
    });
    assertEquals(unknown.status, 400);
    const member = await addMember(s.t, s.owner.token, s.slug, "member");
    const asMember = await api(s.t, member.token, "GET", `/v1/orgs/${s.slug}/webhooks`);
    assertEquals(asMember.status, 403);
    const admin = await addMember(s.t, s.owner.token, s.slug, "admin");
    assertEquals((await api(s.t, admin.token, "GET", `/v1/orgs/${s.slug}/webhooks`)).status, 200);
  },
);

Deno.test(
  "a 500 is retried with the same webhook-id until a 2xx; the log shows it",
  dbTest,
  async () => {
    await using s = await setup();
    const { id } = await s.endpoint("/flaky");
    s.receiver.answer = (_path, n) => n <= 2 ? 500 : 200;
    s.sending();
    assertEquals(
      (await s.call("POST", `/v1/orgs/${s.slug}/collections`, { name: "c1" })).status,
      201,
    );
    const got = await s.receiver.waitFor(3);
    assertAllVerified(s.receiver);
    assertEquals(got.map((d) => d.status), [500, 500, 200]);
    assertEquals(new Set(got.map((d) => d.id)).size, 1, "one webhook-id over every attempt");
    await waitUntil(async () => (await webhookItems(s.t))[0]?.status === "sent", "recorded sent");
    const log = await s.call("GET", `/v1/orgs/${s.slug}/webhooks/${id}/deliveries`);
    assertEquals(log.status, 200);
    const [d] = log.body.items;
    assertEquals(
      {
        eventId: d.eventId,
        type: d.type,
        status: d.status,
        attempts: d.attempts,
        lastStatus: d.lastStatus,
        lastError: d.lastError,
        next: d.nextAttemptAt,
      },
      {
        eventId: got[0].id,
        type: "collection.created",
        status: "succeeded",
        attempts: 3,
        lastStatus: 200,
        lastError: null,
        next: null,
      },
    );
    await sleep(100);
    assertEquals(s.receiver.received.length, 3, "nothing after the success");
  },
);

Deno.test(
  "410 Gone disables the endpoint at once, audited; later events do not reach it",
  dbTest,
  async () => {
    await using s = await setup();
    const { id } = await s.endpoint("/gone");
    s.receiver.answer = () => 410;
    s.sending();
    assertEquals(
      (await s.call("POST", `/v1/orgs/${s.slug}/collections`, { name: "c1" })).status,
      201,
    );
    await s.receiver.waitFor(1);
    await waitUntil(
      async () => (await webhookItems(s.t))[0]?.status === "failed",
      "recorded failed",
    );
    const list = await s.call("GET", `/v1/orgs/${s.slug}/webhooks`);
    assertEquals(list.body.items[0].enabled, false);
    assertEquals(list.body.items[0].disabledReason, "gone");
    const audit = await s.call("GET", `/v1/orgs/${s.slug}/audit?limit=100`);
    const disabled = audit.body.items.find((e: { type: string }) => e.type === "webhook.disabled");
    assertEquals(disabled?.target, { webhookId: id, reason: "gone" });
    assertEquals(
      (await s.call("POST", `/v1/orgs/${s.slug}/collections`, { name: "c2" })).status,
      201,
    );
    await sleep(200);
    assertEquals(s.receiver.received.length, 1, "one attempt, no retry, nothing after");
    assertAllVerified(s.receiver);
    // A test event to a disabled endpoint is refused; enabled again, it is delivered.
    assertEquals((await s.call("POST", `/v1/orgs/${s.slug}/webhooks/${id}/test`)).status, 409);
    s.receiver.answer = () => 204;
    assertEquals(
      (await s.call("PATCH", `/v1/orgs/${s.slug}/webhooks/${id}`, { enabled: true })).status,
      200,
    );
    const test = await s.call("POST", `/v1/orgs/${s.slug}/webhooks/${id}/test`);
    assertEquals(test.status, 202);
    const [, second] = await s.receiver.waitFor(2);
    assertEquals(second.body.type, "webhook.test");
    assertEquals(second.id, test.body.eventId);
    assertEquals(second.body.data, { org: { id: s.owner.org.id, slug: s.slug }, endpointId: id });
    assertAllVerified(s.receiver);
  },
);

Deno.test(
  "an endpoint deleted, or disabled, between the change and the delivery gets nothing",
  dbTest,
  async () => {
    await using s = await setup();
    const deleted = await s.endpoint("/deleted");
    const disabled = await s.endpoint("/disabled");
    const kept = await s.endpoint("/kept");
    assertEquals(
      (await s.call("POST", `/v1/orgs/${s.slug}/collections`, { name: "c1" })).status,
      201,
    );
    assertEquals((await webhookItems(s.t)).length, 3, "one delivery per endpoint, queued");
    assertEquals(
      (await s.call("DELETE", `/v1/orgs/${s.slug}/webhooks/${deleted.id}`)).status,
      204,
    );
    assertEquals(
      (await s.call("PATCH", `/v1/orgs/${s.slug}/webhooks/${disabled.id}`, { enabled: false }))
        .status,
      200,
    );
    await sendDue(s.t.deps, s.kinds);
    await sleep(100);
    assertEquals(s.receiver.received.map((d) => d.path), ["/kept"]);
    assertAllVerified(s.receiver);
    const items = await webhookItems(s.t);
    const of = (id: string) => items.find((i) => i.payload.endpointId === id)!;
    assertEquals(of(deleted.id).status, "failed");
    assertEquals(of(disabled.id).status, "failed");
    assertEquals(of(kept.id).status, "sent");
    // Retrying the disabled one's delivery sends nothing either.
    const retry = await s.call(
      "POST",
      `/v1/orgs/${s.slug}/webhooks/${disabled.id}/deliveries/${of(disabled.id).id}/retry`,
    );
    assertEquals(retry.status, 202);
    await sendDue(s.t.deps, s.kinds);
    assertEquals(s.receiver.received.length, 1);
  },
);

Deno.test(
  "a delivery retried from the log is sent again now, with the same webhook-id",
  dbTest,
  async () => {
    await using s = await setup();
    const { id } = await s.endpoint("/again");
    assertEquals(
      (await s.call("POST", `/v1/orgs/${s.slug}/collections`, { name: "c1" })).status,
      201,
    );
    await sendDue(s.t.deps, s.kinds);
    const [first] = await s.receiver.waitFor(1);
    const log = await s.call("GET", `/v1/orgs/${s.slug}/webhooks/${id}/deliveries`);
    const deliveryId = log.body.items[0].id;
    const retry = await s.call(
      "POST",
      `/v1/orgs/${s.slug}/webhooks/${id}/deliveries/${deliveryId}/retry`,
    );
    assertEquals(retry.status, 202);
    await sendDue(s.t.deps, s.kinds);
    const [, second] = await s.receiver.waitFor(2);
    assertEquals(second.id, first.id);
    assertAllVerified(s.receiver);
    const unknown = await s.call(
      "POST",
      `/v1/orgs/${s.slug}/webhooks/${id}/deliveries/${"0".repeat(24)}/retry`,
    );
    assertEquals(unknown.status, 404);
    assertEquals(unknown.body.code, "delivery_not_found");
  },
);

Deno.test(
  "an endpoint whose deliveries have all failed for 5 days is disabled",
  dbTest,
  async () => {
    let clock = new Date();
    await using s = await setup(FAST, () => clock);
    const { id } = await s.endpoint("/down");
    s.receiver.answer = () => 503;
    assertEquals(
      (await s.call("POST", `/v1/orgs/${s.slug}/collections`, { name: "c1" })).status,
      201,
    );
    await sendDue(s.t.deps, s.kinds);
    await s.receiver.waitFor(1);
    let list = await s.call("GET", `/v1/orgs/${s.slug}/webhooks`);
    assertEquals(list.body.items[0].enabled, true, "one failure disables nothing");
    clock = new Date(clock.getTime() + FAILING_DISABLE_MS + 60_000);
    await sendDue(s.t.deps, s.kinds);
    await s.receiver.waitFor(2);
    list = await s.call("GET", `/v1/orgs/${s.slug}/webhooks`);
    assertEquals(list.body.items[0].enabled, false);
    assertEquals(list.body.items[0].disabledReason, "failing");
    const audit = await s.call("GET", `/v1/orgs/${s.slug}/audit?limit=100`);
    const disabled = audit.body.items.find((e: { type: string }) => e.type === "webhook.disabled");
    assertEquals(disabled?.target, { webhookId: id, reason: "failing" });
    assertAllVerified(s.receiver);
  },
);

Deno.test(
  "a success ends the failure streak: 5 days with a success in between disable nothing",
  dbTest,
  async () => {
    let clock = new Date();
    await using s = await setup(FAST, () => clock);
    await s.endpoint("/wobbly");
    s.receiver.answer = (_p, n) => n === 2 ? 200 : 503;
    assertEquals(
      (await s.call("POST", `/v1/orgs/${s.slug}/collections`, { name: "c1" })).status,
      201,
    );
    await sendDue(s.t.deps, s.kinds); // fails
    clock = new Date(clock.getTime() + 60_000);
    await sendDue(s.t.deps, s.kinds); // succeeds
    await s.receiver.waitFor(2);
    assertEquals(
      (await s.call("POST", `/v1/orgs/${s.slug}/collections`, { name: "c2" })).status,
      201,
    );
    clock = new Date(clock.getTime() + FAILING_DISABLE_MS + 60_000);
    await sendDue(s.t.deps, s.kinds); // fails: a new streak starts
    await s.receiver.waitFor(3);
    const list = await s.call("GET", `/v1/orgs/${s.slug}/webhooks`);
    assertEquals(list.body.items[0].enabled, true);
  },
);

Deno.test(
  "org.deleted reaches the org's endpoints after the org and its endpoints are gone",
  dbTest,
  async () => {
    await using s = await setup();
    await s.endpoint("/deleted-org", ["org.deleted"]);
    assertEquals((await s.call("DELETE", `/v1/orgs/${s.slug}`)).status, 204);
    assertEquals(
      await s.t.deps.db.master.collection("webhooks").countDocuments({}),
      0,
      "the endpoints went with the org",
    );
    await sendDue(s.t.deps, s.kinds);
    const [d] = await s.receiver.waitFor(1);
    assertEquals(d.body.type, "org.deleted");
    assertEquals(d.body.data, { org: { id: s.owner.org.id, slug: s.slug } });
    assertAllVerified(s.receiver);
    const [item] = await webhookItems(s.t);
    assertEquals(item.status, "sent");
    assertEquals(item.secret, undefined, "the copied URL and secret are gone once sent");
  },
);

Deno.test("suspend and resume are emitted", dbTest, async () => {
  await using s = await setup();
  await s.endpoint("/status", ["org.suspended", "org.resumed"]);
  const { suspendOrg, resumeOrg } = await import("../../src/ops/admin.ts");
  await suspendOrg(s.t.deps, s.slug, { ip: "test" });
  await resumeOrg(s.t.deps, s.slug, { ip: "test" });
  await sendDue(s.t.deps, s.kinds);
  const got = await s.receiver.waitFor(2);
  assertEquals(got.map((d) => d.body.type).sort(), ["org.resumed", "org.suspended"]);
  assertAllVerified(s.receiver);
});

const REFUSED = [
  "http://127.0.0.1:{port}/x",
  "http://10.0.0.1/x",
  "http://169.254.169.254/latest/meta-data/",
  "http://[::1]:{port}/x",
  "http://localhost:{port}/x",
  "http://foo.localhost:{port}/x",
  "http://[::ffff:127.0.0.1]:{port}/x",
  "http://100.64.0.1/x",
  "http://0.0.0.0:{port}/x",
  "http://192.168.1.1/x",
  "http://[fe80::1]/x",
  "http://224.0.0.1/x",
];

Deno.test(
  "the address rule refuses loopback, private, link-local and loopback names on save, sending nothing",
  dbTest,
  async () => {
    await using s = await setup({});
    for (const raw of REFUSED) {
      const url = raw.replace("{port}", String(s.receiver.port));
      const res = await s.call("POST", `/v1/orgs/${s.slug}/webhooks`, { url, events: ["*"] });
      assertEquals(res.status, 400, url);
      assertEquals(res.body.code, "invalid_url", url);
      assertEquals(res.body.errors[0].path, "url");
    }
    const ftp = await s.call("POST", `/v1/orgs/${s.slug}/webhooks`, {
      url: "ftp://hooks.example.com/",
      events: ["*"],
    });
    assertEquals(ftp.body.code, "invalid_url");
    assertEquals(s.receiver.received.length, 0, "nothing was sent to any of them");
    assertEquals((await s.call("GET", `/v1/orgs/${s.slug}/webhooks`)).body.items.length, 0);
  },
);

Deno.test("production accepts only https URLs", dbTest, async () => {
  const { checkWebhookUrl } = await import("../../src/access/webhook-flows.ts");
  const prod = { allowPrivate: false, allowHttp: false, retryScale: 1 };
  const publicResolver = () => Promise.resolve([{ address: "93.184.215.14", family: 4 as const }]);
  let code = "";
  try {
    await checkWebhookUrl(prod, "http://hooks.example.com/x", publicResolver);
  } catch (e) {
    code = (e as { code: string }).code;
  }
  assertEquals(code, "invalid_url");
  assertEquals(
    await checkWebhookUrl(prod, "https://hooks.example.com/x", publicResolver),
    "https://hooks.example.com/x",
  );
});

Deno.test(
  "a name that resolves to a loopback or private address is refused on save and at delivery",
  dbTest,
  async () => {
    const { checkWebhookUrl } = await import("../../src/access/webhook-flows.ts");
    const cfg = { allowPrivate: false, allowHttp: true, retryScale: 1 };
    for (const address of ["127.0.0.1", "10.1.2.3", "::1", "::ffff:10.0.0.1"]) {
      const resolve = () =>
        Promise.resolve([{ address, family: address.includes(":") ? 6 as const : 4 as const }]);
      let code = "";
      try {
        await checkWebhookUrl(cfg, "http://rebind.example.com/x", resolve);
      } catch (e) {
        code = (e as { code: string }).code;
      }
      assertEquals(code, "invalid_url", address);
    }
    // Saved while the rule was lifted, then delivered by an instance that applies it: the name's
    // address is checked at the delivery, and the receiver gets nothing.
    await using s = await setup();
    await s.endpoint("/late");
    assertEquals(
      (await s.call("POST", `/v1/orgs/${s.slug}/collections`, { name: "c1" })).status,
      201,
    );
    await using strict = await createTestApp({ sameDatabaseAs: s.t, env: {} });
    await sendDue(strict.deps, { [WEBHOOK_KIND]: webhookSender(strict.deps) });
    await sleep(100);
    assertEquals(s.receiver.received.length, 0);
    const [item] = await webhookItems(s.t);
    assertEquals(item.status, "pending", "retried later (DNS may change)");
    assertMatch(item.lastError ?? "", /Not sent: 127\.0\.0\.1 is not a public address/);
  },
);

Deno.test("public addresses: the ranges that are not", () => {
  for (const a of ["93.184.215.14", "8.8.8.8", "2606:4700::1111", "1.1.1.1"]) {
    assert(isPublicAddress(a), a);
  }
  for (
    const a of [
      "127.0.0.1",
      "10.0.0.1",
      "172.16.0.1",
      "192.168.0.1",
      "169.254.169.254",
      "100.64.0.1",
      "0.0.0.0",
      "224.0.0.1",
      "255.255.255.255",
      "192.0.2.1",
      "198.18.0.1",
      "::",
      "::1",
      "fe80::1",
      "fc00::1",
      "fd00::1",
      "ff02::1",
      "::ffff:127.0.0.1",
      "::ffff:8.8.8.8",
      "64:ff9b::a00:1",
      "2002:a00:1::",
      "2001:db8::1",
      "240.0.0.1",
      "not an address",
    ]
  ) {
    assert(!isPublicAddress(a), a);
  }
});
