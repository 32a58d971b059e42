/**
 * How the outbox's sender claims and paces its work, against the real database: batch claims
 * never hand one item to two claimers and take the due first; each kind has its own lane, so a
 * kind whose sends hang holds up neither another kind nor items queued meanwhile. (What a send
 * does — SMTP, webhooks — is covered by tests/outbox.test.ts and tests/api/webhooks.test.ts.)
 */
import { createTestApp, dbTest } from "../support/app.ts";
import { assert, assertEquals } from "../support/assert.ts";
import { waitUntil } from "../../tools/lib/wait.ts";
import {
  claimDueBatch,
  enqueue,
  getOutboxItem,
  listOutboxItems,
  type OutboxItem,
} from "../../src/outbox/outbox.ts";
import { type OutboxKind, startOutboxSender } from "../../src/outbox/sender.ts";

const SCHEDULE = { delaysMs: [50, 50] };

/** A kind whose sends wait until `release()`; `started` lists the keys whose send began. */
function hangingKind() {
  const gate = Promise.withResolvers<void>();
  const started: string[] = [];
  const kind: OutboxKind = {
    schedule: SCHEDULE,
    async send(item: OutboxItem) {
      started.push(item.key);
      await gate.promise;
      return { ok: true, response: "done" };
    },
  };
  return { kind, started, release: () => gate.resolve() };
}

/** A kind that answers at once; `sent` lists the keys it sent. */
function quickKind() {
  const sent: string[] = [];
  const kind: OutboxKind = {
    schedule: SCHEDULE,
    send(item: OutboxItem) {
      sent.push(item.key);
      return Promise.resolve({ ok: true, response: "done" });
    },
  };
  return { kind, sent };
}

Deno.test("competing batch claims never hand one item to two claimers", dbTest, async () => {
  await using t = await createTestApp();
  const master = t.deps.db.master;
  const n = 40;
  for (let i = 0; i < n; i++) {
    await enqueue(master, { key: `race:${i}`, kind: "race", payload: { i } });
  }
  const won: OutboxItem[][] = await Promise.all(
    Array.from({ length: 6 }, async (_, c) => {
      const mine: OutboxItem[] = [];
      for (;;) {
        const batch = await claimDueBatch(master, {
          kinds: ["race"],
          holder: `claimer-${c}`,
          leaseMs: 60_000,
          now: new Date(),
          limit: 8,
        });
        assert(batch.length <= 8, "never more than the limit");
        if (!batch.length) return mine;
        mine.push(...batch);
      }
    }),
  );
  const all = won.flat();
  assertEquals(all.length, n, "every item claimed once in all");
  assertEquals(new Set(all.map((i) => i.id)).size, n, "no item claimed twice");
  for (const [c, mine] of won.entries()) {
    for (const item of mine) {
      const stored = await getOutboxItem(master, item.id);
      assertEquals(stored?.holder, `claimer-${c}`, "held by the claimer it was handed to");
      assertEquals(stored?.attempts, 1);
      assertEquals(item, stored, "handed over as stored");
    }
  }
});

Deno.test(
  "a batch claim takes at most its limit, the due first, and nothing not yet due",
  dbTest,
  async () => {
    await using t = await createTestApp();
    const master = t.deps.db.master;
    const now = Date.now();
    // Queued newest first, so that the order of insertion is not the order of due.
    for (let i = 5; i >= 1; i--) {
      await enqueue(master, {
        key: `due:${i}`,
        kind: "order",
        payload: {},
        dueAt: new Date(now - i * 1000),
      });
    }
    await enqueue(master, {
      key: "later",
      kind: "order",
      payload: {},
      dueAt: new Date(now + 60_000),
    });
    await enqueue(master, { key: "other-kind", kind: "other", payload: {} });
    const req = { kinds: ["order"], holder: "h", leaseMs: 60_000, now: new Date(now) };
    const first = await claimDueBatch(master, { ...req, limit: 3 });
    assertEquals(first.map((i) => i.key), ["due:5", "due:4", "due:3"]);
    const rest = await claimDueBatch(master, { ...req, limit: 10 });
    assertEquals(rest.map((i) => i.key), ["due:2", "due:1"]);
    assertEquals(await claimDueBatch(master, { ...req, limit: 10 }), []);
  },
);

Deno.test("a kind whose sends hang does not hold up another kind", dbTest, async () => {
  await using t = await createTestApp();
  const master = t.deps.db.master;
  const slow = hangingKind();
  const quick = quickKind();
  for (let i = 0; i < 6; i++) {
    await enqueue(master, { key: `slow:${i}`, kind: "slow", payload: {} });
  }
  const stop = startOutboxSender(t.deps, { slow: slow.kind, quick: quick.kind }, {
    pollMs: 60_000,
  });
  try {
    // As many sends of the slow kind under way as a kind may have, all hanging.
    await waitUntil(() => slow.started.length >= 4, "the slow sends under way");
    await enqueue(master, { key: "quick:1", kind: "quick", payload: {} });
    await waitUntil(() => quick.sent.length === 1, "the other kind's item sent meanwhile", {
      timeoutMs: 5000,
    });
  } finally {
    slow.release();
    await stop();
  }
});

Deno.test(
  "an item queued while a send hangs is sent at once, without waiting for it or the poll",
  dbTest,
  async () => {
    await using t = await createTestApp();
    const master = t.deps.db.master;
    const gate = Promise.withResolvers<void>();
    const sent: string[] = [];
    const kind: OutboxKind = {
      schedule: SCHEDULE,
      async send(item: OutboxItem) {
        if (item.key === "hangs") await gate.promise;
        sent.push(item.key);
        return { ok: true, response: "done" };
      },
    };
    const stop = startOutboxSender(t.deps, { k: kind }, { pollMs: 60_000 });
    try {
      await enqueue(master, { key: "hangs", kind: "k", payload: {} });
      await waitUntil(
        async () => (await listOutboxItems(master)).some((i) => i.key === "hangs" && i.claim),
        "the first send under way",
      );
      await enqueue(master, { key: "next", kind: "k", payload: {} });
      await waitUntil(() => sent.includes("next"), "the item queued meanwhile sent", {
        timeoutMs: 5000,
      });
      assert(!sent.includes("hangs"), "while the first still hangs");
    } finally {
      gate.resolve();
      await stop();
    }
  },
);
