/** Keyset paging and its signed cursor (src/platform/paging.ts), unit and against the database. */
import { MongoClient, ObjectId } from "mongodb";
import { AppError } from "../src/platform/errors.ts";
import {
  decodeCursor,
  encodeCursor,
  type KeysetOptions,
  keysetPage,
  keysetQuery,
  type SortField,
} from "../src/platform/paging.ts";
import { assert, assertEquals } from "./support/assert.ts";
import { dbTest, mongoUri, SECRET } from "./support/app.ts";

const opts = (sort: readonly SortField[] = [], scope = "things"): KeysetOptions => ({
  sort,
  scope,
  secret: SECRET,
});

async function refused(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof AppError) return `${e.status} ${e.code}`;
    throw e;
  }
  return "accepted";
}

Deno.test("a cursor round-trips dates, ObjectIds, numbers and null", async () => {
  const o = opts([{ field: "at", direction: -1 }, { field: "n", direction: 1 }]);
  const id = new ObjectId();
  const at = new Date("2026-01-02T03:04:05.678Z");
  const cursor = await encodeCursor(o, { values: [at, null], id });
  assert(/^[\w-]+\.[\w-]+$/.test(cursor), "URL-safe");
  const pos = await decodeCursor(o, cursor);
  assertEquals(pos.values, [at, null]);
  assert(pos.id instanceof ObjectId && pos.id.equals(id), "the id is an ObjectId again");
});

Deno.test("a changed, foreign or malformed cursor is 400 invalid_cursor", async () => {
  const o = opts([{ field: "name", direction: 1 }]);
  const cursor = await encodeCursor(o, { values: ["m"], id: new ObjectId() });
  const [payload, sig] = cursor.split(".");
  const flipped = payload.slice(0, -2) + (payload.at(-2) === "A" ? "B" : "A") + payload.at(-1);
  const forged = btoa(JSON.stringify({ s: "things", v: ["a"], i: { $oid: "0".repeat(24) } }))
    .replace(/=+$/, "");
  for (
    const bad of [
      `${flipped}.${sig}`,
      `${payload}.${sig.slice(1)}`,
      `${forged}.${sig}`,
      payload,
      "",
      "...",
      "%%%.%%%",
    ]
  ) {
    assertEquals(await refused(decodeCursor(o, bad)), "400 invalid_cursor", bad);
  }
  // Signed, but for another scope, another sort or under another secret.
  assertEquals(await refused(decodeCursor(opts(o.sort, "others"), cursor)), "400 invalid_cursor");
  assertEquals(await refused(decodeCursor(opts([]), cursor)), "400 invalid_cursor");
  const otherSecret = { ...o, secret: "another-secret-that-is-long-enough-012345" };
  assertEquals(await refused(decodeCursor(otherSecret, cursor)), "400 invalid_cursor");
});

Deno.test("keyset pages return every row once while rows are inserted", dbTest, async (t) => {
  const client = new MongoClient(mongoUri());
  const db = client.db(`paging_${crypto.randomUUID().slice(0, 8)}`);
  try {
    const col = db.collection("rows");
    // 250 rows; `group` has ties (10 values), `maybe` is missing or null in some.
    await col.insertMany(
      Array.from({ length: 250 }, (_, i) => ({
        n: i,
        group: i % 10,
        ...(i % 7 === 0 ? {} : { maybe: i % 3 === 0 ? null : `v${i % 5}` }),
        // Every JSON type but arrays, with ties in each.
        mixed: [i % 4, `s${i % 4}`, i % 2 === 0, { o: i % 3 }, null, undefined][i % 6],
      })),
    );

    const sorts: [string, SortField[]][] = [
      ["_id", []],
      ["ties ascending", [{ field: "group", direction: 1 }]],
      ["ties descending", [{ field: "group", direction: -1 }]],
      ["two fields", [{ field: "group", direction: -1 }, { field: "n", direction: 1 }]],
      ["null and missing ascending", [{ field: "maybe", direction: 1 }]],
      ["null and missing descending", [{ field: "maybe", direction: -1 }]],
      ["mixed types ascending", [{ field: "mixed", direction: 1 }]],
      ["mixed types descending", [{ field: "mixed", direction: -1 }]],
    ];
    for (const [name, sort] of sorts) {
      await t.step(name, async () => {
        const o = opts(sort, `rows:${name}`);
        const before = new Set((await col.find({ n: { $lt: 250 } }).toArray()).map((d) => d.n));
        const seen = new Map<number, number>();
        let cursor: string | undefined;
        let pages = 0;
        do {
          const q = await keysetQuery(o, { n: { $lt: 100_000 } }, { limit: 100, cursor });
          const rows = await col.find(q.filter).sort(q.sort).limit(q.fetch).toArray();
          const page = await keysetPage(o, rows, 100);
          for (const d of page.items) seen.set(d.n, (seen.get(d.n) ?? 0) + 1);
          cursor = page.nextCursor ?? undefined;
          pages++;
          // New rows between pages, sorting anywhere.
          await col.insertMany([
            { n: 1000 + pages * 2 + sorts.findIndex((s) => s[0] === name) * 100, group: 0 },
            {
              n: 1001 + pages * 2 + sorts.findIndex((s) => s[0] === name) * 100,
              group: 9,
              maybe: "v9",
            },
          ]);
        } while (cursor && pages < 20);
        for (const n of before) assertEquals(seen.get(n), 1, `row ${n}`);
        for (const [n, times] of seen) assertEquals(times, 1, `row ${n} seen ${times} times`);
      });
    }
  } finally {
    await db.dropDatabase();
    await client.close();
  }
});
