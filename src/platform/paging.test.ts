/** The signed cursor of keyset paging; tests/api/paging.test.ts pages through the database. */
import { ObjectId } from "mongodb";
import { AppError } from "./errors.ts";
import { decodeCursor, encodeCursor, type KeysetOptions, type SortField } from "./paging.ts";
import { assert, assertEquals } from "../../tests/support/assert.ts";

const opts = (sort: readonly SortField[] = [], scope = "things"): KeysetOptions => ({
  sort,
  scope,
  secret: "test-secret-that-is-long-enough-0123456789",
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
