/** Keyset paging (src/platform/paging.ts) against the database; its cursor has unit tests beside it. */
import { MongoClient } from "mongodb";
import {
  type KeysetOptions,
  keysetPage,
  keysetQuery,
  type SortField,
} from "../../src/platform/paging.ts";
import { assertEquals } from "../support/assert.ts";
import { dbTest, mongoUri, SECRET } from "../support/app.ts";

const opts = (sort: readonly SortField[] = [], scope = "things"): KeysetOptions => ({
  sort,
  scope,
  secret: SECRET,
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
