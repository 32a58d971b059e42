/** Listing documents page by page: every document exactly once, also while others are inserted. */
import { assert, assertEquals, assertProblem } from "../support/assert.ts";
import { createOrgAndLogin, createTestApp, dbTest } from "../support/app.ts";
import { createCollection, docsOf } from "../support/data.ts";

Deno.test("250 documents at limit 100: each exactly once while inserting", dbTest, async (t) => {
  await using app = await createTestApp();
  const a = await createOrgAndLogin(app, "Paging Alpha");
  await createCollection(app, a, "events", [{ fields: { group: 1 } }]);
  const docs = docsOf(app, a).documents;
  const param = { slug: a.org.slug, name: "events" };
  const res = await docs.batch.$post({
    param,
    json: {
      documents: Array.from({ length: 250 }, (_, i) => ({
        n: i,
        group: i % 7,
        label: `item ${String(i).padStart(3, "0")}`,
        payload: "p".repeat(100),
      })),
    },
  });
  if (res.status !== 201) throw new Error(`seed failed: ${res.status}`);
  let extra = 1000;

  const sorts = [undefined, "-_id", "group", "-group,label", "-group,-n", "label"];
  for (const sort of sorts) {
    await t.step(`sort ${sort ?? "(none: _id)"}`, async () => {
      const seen = new Map<number, number>();
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await docs.$get({
          param,
          query: {
            limit: "100",
            filter: '{"n":{"$lt":100000}}',
            fields: "-payload",
            ...(sort ? { sort } : {}),
            ...(cursor ? { cursor } : {}),
          },
        });
        assertEquals(page.status, 200);
        if (page.status !== 200) return;
        const body = await page.json();
        assert(body.items.length <= 100, "at most the limit");
        for (const d of body.items) {
          const n = d.n as number;
          seen.set(n, (seen.get(n) ?? 0) + 1);
          assert(!("payload" in d), "projection applies");
        }
        cursor = body.nextCursor ?? undefined;
        pages++;
        // Documents inserted between pages, sorting before, among and after the rest.
        await docs.batch.$post({
          param,
          json: {
            documents: [
              { n: extra++, group: 0, label: "aaa" },
              { n: extra++, group: 3, label: "item 100" },
              { n: extra++, group: 9, label: "zzz" },
            ],
          },
        });
      } while (cursor && pages < 10);
      for (let n = 0; n < 250; n++) assertEquals(seen.get(n), 1, `document ${n}`);
      for (const [n, times] of seen) assertEquals(times, 1, `document ${n} seen ${times} times`);
    });
  }

  await t.step("sorted pages are in order", async () => {
    const page = await docs.$get({ param, query: { sort: "-group,label", limit: "100" } });
    if (page.status !== 200) throw new Error("list failed");
    const items = (await page.json()).items as unknown as { group: number; label: string }[];
    for (let i = 1; i < items.length; i++) {
      const [p, c] = [items[i - 1], items[i]];
      assert(p.group > c.group || (p.group === c.group && p.label <= c.label), `order at ${i}`);
    }
  });

  await t.step("a changed cursor, or one of another sort, is 400 invalid_cursor", async () => {
    const first = await docs.$get({ param, query: { limit: "10", sort: "group" } });
    if (first.status !== 200) throw new Error("list failed");
    const cursor = (await first.json()).nextCursor!;
    const i = Math.floor(cursor.length / 3);
    const tampered = cursor.slice(0, i) + (cursor[i] === "A" ? "B" : "A") + cursor.slice(i + 1);
    for (
      const query of [
        { cursor: tampered, sort: "group" },
        { cursor, sort: "-group" },
        { cursor, sort: "label" },
        { cursor: "not-a-cursor" },
      ]
    ) {
      const res = await docs.$get({ param, query });
      await assertProblem(res, 400, "invalid_cursor", JSON.stringify(query));
    }
    const ok = await docs.$get({ param, query: { cursor, sort: "group", limit: "10" } });
    assertEquals(ok.status, 200);
  });

  await t.step("sort, fields and limit are checked", async () => {
    for (
      const query of [
        { sort: "a,b,c,d" },
        { sort: "$where" },
        { sort: "_stamp" },
        { sort: "_id,name" },
        { fields: "a,-b" },
        { fields: "_stamp" },
        { limit: "101" },
        { limit: "0" },
        { unknown: "1" },
      ]
    ) {
      const res = await docs.$get({ param, query });
      assertEquals(res.status, 400, JSON.stringify(query));
    }
  });
});

Deno.test("a page of more than 16 MiB lists every document exactly once", dbTest, async () => {
  await using app = await createTestApp();
  const a = await createOrgAndLogin(app, "Paging Large");
  await createCollection(app, a, "blobs");
  const docs = docsOf(app, a).documents;
  const param = { slug: a.org.slug, name: "blobs" };
  // 70 documents just under the 256 KiB quota: more than one MongoDB reply can carry (16 MiB).
  const blob = "b".repeat(250_000);
  for (let n = 0; n < 70; n++) {
    const res = await docs.$post({ param, json: { n, blob } });
    assertEquals(res.status, 201, `insert ${n}`);
    await res.body?.cancel();
  }
  for (const limit of ["100", "50"]) {
    const seen: number[] = [];
    let cursor: string | undefined;
    do {
      const page = await docs.$get({ param, query: { limit, ...(cursor ? { cursor } : {}) } });
      assertEquals(page.status, 200);
      if (page.status !== 200) return;
      const body = await page.json();
      for (const d of body.items) {
        assertEquals((d.blob as string).length, blob.length);
        seen.push(d.n as number);
      }
      cursor = body.nextCursor ?? undefined;
    } while (cursor);
    assertEquals(seen, Array.from({ length: 70 }, (_, n) => n), `limit ${limit}`);
  }
});
