/**
 * Webhook deliveries survive a SIGKILL: changes acknowledged by a service that is then killed
 * before it could deliver them (the receiver was failing) are delivered by the restarted
 * service — at least once, none lost, every one verified with `standardwebhooks`.
 */
import { dbTest } from "../support/app.ts";
import { assert, assertEquals } from "../support/assert.ts";
import {
  call,
  createOrgOverHttp,
  dbClient,
  dropService,
  serviceEnv,
  spawnService,
  waitUntil,
} from "../support/service.ts";
import { startReceiver } from "../support/webhooks.ts";

const CHANGES = 12;

Deno.test(
  "a SIGKILL between the change and the delivery: delivered after the restart, none lost",
  dbTest,
  async () => {
    await using receiver = startReceiver();
    let failing = true;
    receiver.answer = () => failing ? 503 : 204;
    const env = serviceEnv({
      WEBHOOK_ALLOW_PRIVATE: "1",
      WEBHOOK_RETRY_SCALE: "0.001",
      OUTBOX_LEASE_SECONDS: "2",
    });
    const client = dbClient();
    let service = await spawnService(env);
    try {
      const { org, token } = await createOrgOverHttp(
        service.url,
        "Crash Hooks",
        "crash@example.com",
      );
      const created = await call(service.url, "POST", `/v1/orgs/${org.slug}/webhooks`, {
        token,
        body: { url: `${receiver.url}/crash`, events: ["collection.created"] },
      });
      assertEquals(created.status, 201, created.text);
      receiver.secrets.set("/crash", (created.body as { secret: string }).secret);
      for (let i = 0; i < CHANGES; i++) {
        const res = await call(service.url, "POST", `/v1/orgs/${org.slug}/collections`, {
          token,
          body: { name: `c${i}` },
        });
        assertEquals(res.status, 201, res.text);
      }
      service.kill("SIGKILL");
      await service.exited;
      const before = new Set(receiver.received.filter((d) => d.status === 204).map((d) => d.id));
      assertEquals(before.size, 0, "nothing was delivered before the kill");

      failing = false;
      service = await spawnService(env);
      await waitUntil(
        () => {
          const ok = receiver.received.filter((d) => d.status === 204);
          return new Set(ok.map((d) => d.body.data.name)).size === CHANGES;
        },
        `all ${CHANGES} events delivered after the restart`,
        { timeoutMs: 60_000 },
      );
      for (const d of receiver.received) {
        assert(d.verified, `delivery ${d.id} failed verification: ${d.verifyError}`);
      }
      const names = receiver.received.filter((d) => d.status === 204).map((d) => d.body.data.name);
      for (let i = 0; i < CHANGES; i++) assert(names.includes(`c${i}`), `c${i} delivered`);
      // Every retry of an event carries its one id.
      const idOf = new Map<string, string>();
      for (const d of receiver.received) {
        const name = String(d.body.data.name);
        assertEquals(idOf.get(name) ?? d.id, d.id, `one webhook-id for ${name}`);
        idOf.set(name, d.id);
      }
      const status = await service.stop();
      assertEquals(status.code, 0);
    } finally {
      service.kill("SIGKILL");
      await service.exited;
      await dropService(client, env);
      await client.close();
    }
  },
);
