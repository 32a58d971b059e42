/**
 * What the service relies on from its database, checked through the official driver against
 * the server the tests run on (the embedded one unless MONGO_URI says otherwise): conditional
 * writes are atomic, a unique index holds under concurrency, and an equality filter, a `$in`
 * list or an ObjectId lower bound on an indexed field uses the index, and a count is exact.
 */
import { MongoClient, MongoServerError, ObjectId } from "mongodb";
import { assert, assertEquals } from "../support/assert.ts";
import { dbTest, mongoUri } from "../support/app.ts";

const CONCURRENCY = 50;

async function withCollection(
  fn: (coll: ReturnType<ReturnType<MongoClient["db"]>["collection"]>) => Promise<void>,
) {
  // A pool as large as the concurrency, so every operation really is in flight at once.
  const client = new MongoClient(mongoUri(), { maxPoolSize: CONCURRENCY });
  const db = client.db(`engine_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`);
  try {
    await fn(db.collection("items"));
  } finally {
    await db.dropDatabase().catch(() => {});
    await client.close();
  }
}

const times = <T>(n: number, fn: (i: number) => Promise<T>) =>
  Promise.all(Array.from({ length: n }, (_, i) => fn(i)));

Deno.test(
  "50 concurrent conditional findOneAndUpdate of one document: exactly 1 succeeds",
  dbTest,
  async () => {
    await withCollection(async (coll) => {
      await coll.insertOne({ _id: "doc" as never, n: 0 });
      const results = await times(
        CONCURRENCY,
        (i) =>
          coll.findOneAndUpdate({ _id: "doc" as never, n: 0 }, { $inc: { n: 1 }, $set: { by: i } }),
      );
      assertEquals(results.filter((r) => r !== null).length, 1, "successes");
      const doc = await coll.findOne({ _id: "doc" as never });
      assertEquals(doc?.n, 1);
    });
  },
);

Deno.test("50 concurrent $inc of one document end at 50", dbTest, async () => {
  await withCollection(async (coll) => {
    await coll.insertOne({ _id: "counter" as never, n: 0 });
    const results = await times(
      CONCURRENCY,
      () => coll.updateOne({ _id: "counter" as never }, { $inc: { n: 1 } }),
    );
    assertEquals(results.reduce((s, r) => s + r.modifiedCount, 0), CONCURRENCY, "modified");
    assertEquals((await coll.findOne({ _id: "counter" as never }))?.n, CONCURRENCY);
  });
});

Deno.test(
  "20 queued jobs and 50 concurrent claimers: each job is claimed exactly once",
  dbTest,
  async () => {
    await withCollection(async (coll) => {
      const JOBS = 20;
      await coll.insertMany(Array.from({ length: JOBS }, (_, i) => ({ job: i, status: "queued" })));
      const claims = await times(CONCURRENCY, async (claimer) => {
        const mine: number[] = [];
        for (;;) {
          const job = await coll.findOneAndUpdate(
            { status: "queued" },
            { $set: { status: "claimed", claimer } },
            { returnDocument: "after" },
          );
          if (!job) return mine;
          assertEquals(job.claimer, claimer, "the document returned is the one this claimer set");
          mine.push(job.job);
        }
      });
      const claimed = claims.flat().sort((a, b) => a - b);
      assertEquals(claimed, Array.from({ length: JOBS }, (_, i) => i), "every job once");
      const stored = await coll.find({}).toArray();
      for (const doc of stored) {
        assertEquals(doc.status, "claimed");
        assert(claims[doc.claimer].includes(doc.job), `job ${doc.job} stored with its claimer`);
      }
    });
  },
);

Deno.test("a unique index holds under 50 concurrent inserts of one key", dbTest, async () => {
  await withCollection(async (coll) => {
    await coll.createIndex({ key: 1 }, { unique: true });
    const results = await times(CONCURRENCY, (i) =>
      coll.insertOne({ key: "same", i }).then(
        () => "inserted",
        (e) => {
          if (e instanceof MongoServerError && e.code === 11000) return "duplicate";
          throw e;
        },
      ));
    assertEquals(results.filter((r) => r === "inserted").length, 1, "inserted");
    assertEquals(results.filter((r) => r === "duplicate").length, CONCURRENCY - 1, "duplicates");
    assertEquals(await coll.countDocuments({ key: "same" }), 1);
  });
});

Deno.test("conditional deleteOne under concurrency deletes once", dbTest, async () => {
  await withCollection(async (coll) => {
    await coll.insertOne({ _id: "gone" as never, state: "open" });
    const results = await times(
      CONCURRENCY,
      () => coll.deleteOne({ _id: "gone" as never, state: "open" }),
    );
    assertEquals(results.reduce((s, r) => s + r.deletedCount, 0), 1, "deleted");
  });
});

/** Whether a query plan reads an index (PostgreSQL's plan under FerretDB, or MongoDB's). */
const usesIndex = (plan: unknown) => /Index Cond|IXSCAN/.test(JSON.stringify(plan));

Deno.test(
  "an equality filter on an indexed field uses an index, and stops once it is dropped",
  dbTest,
  async () => {
    await withCollection(async (coll) => {
      await coll.insertMany(
        Array.from({ length: 2_000 }, (_, i) => ({ email: `u${i}@x.test`, i })),
      );
      await coll.createIndex({ email: 1 }, { name: "email_1" });
      const query = () => coll.find({ email: "u1234@x.test" });
      const withIndex = await query().explain();
      assert(usesIndex(withIndex), `uses an index: ${JSON.stringify(withIndex)}`);
      assertEquals((await query().toArray()).map((d) => d.i), [1234]);

      await coll.dropIndex("email_1");
      const without = await query().explain();
      assert(!usesIndex(without), `no index left to use: ${JSON.stringify(without)}`);
      assertEquals((await query().toArray()).map((d) => d.i), [1234]);
    });
  },
);

Deno.test(
  "an ObjectId lower bound on an indexed field uses an index and finds what MongoDB would",
  dbTest,
  async () => {
    await withCollection(async (coll) => {
      const stamps = Array.from(
        { length: 2_000 },
        (_, i) => ObjectId.createFromTime(1_700_000_000 + i),
      );
      await coll.insertMany(stamps.map((stamp, i) => ({ i, stamp })));
      const bound = stamps[1_990];
      // Values of other types than ObjectId under the same field, and arrays holding ObjectIds
      // on either side of the bound: a pushed-down bound must keep what the filter matches.
      await coll.insertMany([
        { i: -1, stamp: [stamps[0], stamps[1_999]] },
        { i: -2, stamp: [stamps[0]] },
        { i: -3, stamp: "ffffffffffffffffffffffff" },
        { i: -4, stamp: 12 },
        { i: -5, stamp: null },
        { i: -6 },
        { i: -7, stamp: { nested: stamps[1_999] } },
      ]);
      await coll.createIndex({ stamp: 1 }, { name: "stamp_1" });
      // The table's statistics (FerretDB runs PostgreSQL's ANALYZE for it; MongoDB needs none):
      // without them PostgreSQL guesses a range matches a third of the rows and reads them all.
      await coll.db.command({ collStats: coll.collectionName });
      const ids = async (filter: Record<string, unknown>) =>
        (await coll.find(filter).toArray()).map((d) => d.i as number).sort((a, b) => a - b);
      const above = [-1, ...Array.from({ length: 9 }, (_, k) => 1_991 + k)];
      assertEquals(await ids({ stamp: { $gt: bound } }), above);
      assertEquals(await ids({ stamp: { $gte: bound } }), [-1, 1_990, ...above.slice(1)]);
      // An array matches when one element meets each bound, as in MongoDB.
      assertEquals(await ids({ stamp: { $gte: bound, $lt: stamps[1_995] } }), [
        -1,
        1_990,
        1_991,
        1_992,
        1_993,
        1_994,
      ]);
      const plan = await coll.find({ stamp: { $gte: bound } }).explain();
      assert(usesIndex(plan), `uses an index: ${JSON.stringify(plan)}`);
    });
  },
);

Deno.test(
  "a $in list on an indexed field uses an index and finds what MongoDB would",
  dbTest,
  async () => {
    await withCollection(async (coll) => {
      await coll.insertMany(
        Array.from({ length: 2_000 }, (_, i) => ({ i, k: `k${i}`, n: i % 500 })),
      );
      // Arrays, numbers of other types and values the list does not hold under the same fields:
      // a pushed-down list must keep every document the filter matches.
      await coll.insertMany([
        { i: -1, k: ["x", "k7"], n: [499, 1_000] },
        { i: -2, k: "K7", n: 7.0 },
        { i: -3, k: null, n: "7" },
        { i: -4 },
      ]);
      await coll.createIndex({ k: 1 }, { name: "k_1" });
      await coll.createIndex({ n: 1 }, { name: "n_1" });
      const ids = async (filter: Record<string, unknown>) =>
        (await coll.find(filter).toArray()).map((d) => d.i as number).sort((a, b) => a - b);
      assertEquals(await ids({ k: { $in: ["k7", "k1999", "nope"] } }), [-1, 7, 1_999]);
      assertEquals(await ids({ n: { $in: [7, 1_000] } }), [-2, -1, 7, 507, 1_007, 1_507]);
      // A value of a type the list cannot push down (null, a regex) still finds what it should.
      assertEquals(await ids({ k: { $in: [null, "k3"] } }), [-4, -3, 3]);
      assertEquals(await ids({ k: { $in: [/^K7$/, "k4"] } }), [-2, 4]);
      assertEquals(await ids({ k: { $in: [] } }), []);
      // With the other conditions beside it, each still applies.
      assertEquals(await ids({ k: { $in: ["k7", "k8"] }, n: 8 }), [8]);
      const byId = await coll.find({}, { limit: 3, sort: { i: 1 } }).toArray();
      const wanted = { _id: { $in: byId.map((d) => d._id) } };
      assertEquals(await ids(wanted), byId.map((d) => d.i as number));

      for (const filter of [{ k: { $in: ["k7", "k1999"] } }, { n: { $in: [7, 8] } }, wanted]) {
        const plan = await coll.find(filter).explain();
        assert(usesIndex(plan), `${JSON.stringify(filter)} uses an index: ${JSON.stringify(plan)}`);
      }
    });
  },
);

Deno.test(
  "listDatabases names every database by name alone, and sizes them without nameOnly",
  dbTest,
  async () => {
    await withCollection(async (coll) => {
      await coll.insertOne({ i: 1 });
      const admin = coll.db.client.db("admin").admin();
      const named = await admin.listDatabases({ nameOnly: true });
      const mine = named.databases.filter((d) => d.name === coll.db.databaseName);
      assertEquals(mine, [{ name: coll.db.databaseName }]);
      const sized = await admin.listDatabases();
      const full = sized.databases.find((d) => d.name === coll.db.databaseName);
      assert(
        full && typeof full.sizeOnDisk === "number" && full.sizeOnDisk > 0,
        JSON.stringify(full),
      );
    });
  },
);

Deno.test(
  "a whole collection's count (estimatedDocumentCount) is exact, and a count with a query, skip or limit still applies them",
  dbTest,
  async () => {
    await withCollection(async (coll) => {
      // A collection that does not exist counts 0, as on MongoDB.
      assertEquals(await coll.estimatedDocumentCount(), 0);
      await coll.insertMany(Array.from({ length: 1_234 }, (_, i) => ({ i, odd: i % 2 === 1 })));
      assertEquals(await coll.estimatedDocumentCount(), 1_234);
      await coll.deleteMany({ i: { $lt: 34 } });
      assertEquals(await coll.estimatedDocumentCount(), 1_200);
      const count = (cmd: Record<string, unknown>) =>
        coll.db.command({ count: coll.collectionName, ...cmd }).then((r) => r.n as number);
      assertEquals(await count({}), 1_200);
      assertEquals(await count({ query: { odd: true } }), 600);
      assertEquals(await count({ skip: 1_150 }), 50);
      assertEquals(await count({ limit: 7 }), 7);
      await coll.deleteMany({});
      assertEquals(await coll.estimatedDocumentCount(), 0);
    });
  },
);
