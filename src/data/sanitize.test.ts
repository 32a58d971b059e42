import { BSON, ObjectId } from "mongodb";
import { AppError } from "../platform/errors.ts";
import { assert, assertEquals } from "../../tests/support/assert.ts";
import { parseFilter, sanitizeDocument, STAMP, utf8Length } from "./sanitize.ts";

/** A small deterministic generator, so that a failure names a seed that repeats it. */
function random(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const STRINGS = ["", "a", "héllo", "日本語", "😀 x", "\ud800", "a\udc00b", "z".repeat(300)];
const NUMBERS = [
  0,
  -0,
  1,
  -1,
  2 ** 31 - 1,
  2 ** 31,
  -(2 ** 31),
  -(2 ** 31) - 1,
  1.5,
  -2.25,
  2 ** 53,
  1e300,
  Number.MIN_VALUE,
];

function value(next: () => number, depth: number, inArray: boolean): unknown {
  const pick = <T>(xs: T[]) => xs[Math.floor(next() * xs.length)];
  const kind = Math.floor(next() * (depth > 4 ? 4 : 6));
  switch (kind) {
    case 0:
      return pick(STRINGS);
    case 1:
      return pick(NUMBERS);
    case 2:
      return pick([true, false, null]);
    case 3:
      return pick(STRINGS) + String(Math.floor(next() * 1000));
    case 4:
      return inArray ? object(next, depth + 1) : Array.from(
        { length: Math.floor(next() * 13) },
        () => value(next, depth + 1, true),
      );
    default:
      return object(next, depth + 1);
  }
}

function object(next: () => number, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const keys = ["a", "name", "ключ", "ü", "emoji😀", "k" + Math.floor(next() * 100)];
  for (let i = Math.floor(next() * 6); i > 0; i--) {
    out[keys[Math.floor(next() * keys.length)]] = value(next, depth, false);
  }
  return out;
}

Deno.test("utf8Length() counts bytes as UTF-8 encodes them", () => {
  for (const s of [...STRINGS, "ß€𝄞", "\udbff\udfff", "\udfff\ud800"]) {
    // TextEncoder writes a lone surrogate as U+FFFD (three bytes), as the BSON serializer does.
    assertEquals(utf8Length(s), new TextEncoder().encode(s).length, JSON.stringify(s));
  }
});

Deno.test("sanitizeDocument() gives the stored document and exactly its BSON size", () => {
  for (let seed = 1; seed <= 400; seed++) {
    const input = object(random(seed), 1);
    const _id = new ObjectId();
    const stamp = new ObjectId();
    const { document, bytes } = sanitizeDocument(input, { _id, stamp });
    assertEquals(document, { _id, ...input, [STAMP]: stamp }, `seed ${seed}`);
    assertEquals(Object.keys(document), ["_id", ...Object.keys(input), STAMP], `seed ${seed}`);
    assertEquals(bytes, BSON.calculateObjectSize(document), `seed ${seed}`);
  }
});

Deno.test("sanitizeDocument() for a PUT: the document's own _id is dropped, still counted", () => {
  const id = new ObjectId();
  const stamp = new ObjectId();
  const { document, bytes } = sanitizeDocument(
    { _id: id.toHexString(), name: "Ada", tags: ["x"] },
    { stamp, id: id.toHexString() },
  );
  assertEquals(document, { name: "Ada", tags: ["x"], [STAMP]: stamp });
  assertEquals(bytes, BSON.calculateObjectSize({ _id: id, ...document }));
});

Deno.test("sanitizeDocument() refusals name the path of the offending value", () => {
  const stamp = new ObjectId();
  const refusal = (input: unknown, path?: string) => {
    try {
      sanitizeDocument(input, { stamp, path });
    } catch (e) {
      assert(e instanceof AppError && e.status === 400, String(e));
      return (e.extra.errors as { path: string }[])[0].path;
    }
    throw new Error(`accepted ${JSON.stringify(input)}`);
  };
  assertEquals(refusal({ a: { b: [1, { "c.d": 1 }] } }), "a.b.1.c.d");
  assertEquals(refusal({ a: [[1]] }, "documents.3"), "documents.3.a.0");
  assertEquals(refusal({ ok: 1, n: [1, 2, Infinity] }), "n.2");
  assertEquals(refusal({ _id: "x" }, "documents.0"), "documents.0._id");
  let deep: unknown = 1;
  for (let i = 0; i < 40; i++) deep = { x: deep };
  assertEquals(refusal(deep).split(".").length, 20);
});

Deno.test("parseFilter() reads an _id as an ObjectId only in its one spelling, lower-case hex", () => {
  const id = new ObjectId().toHexString();
  const lower = parseFilter(JSON.stringify({ _id: id }));
  assert(lower._id instanceof ObjectId && lower._id.toHexString() === id);
  const upper = parseFilter(JSON.stringify({ _id: id.toUpperCase() }));
  assertEquals(upper._id, id.toUpperCase()); // a string no document's _id equals
});
