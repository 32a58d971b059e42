import { ObjectId } from "mongodb";
import { AppError } from "../platform/errors.ts";
import { assert, assertEquals } from "../../tests/support/assert.ts";
import { etagOf, parseId, stampOfTag } from "./wire.ts";

const code = (f: () => unknown) => {
  try {
    f();
    return null;
  } catch (e) {
    assert(e instanceof AppError, String(e));
    return `${e.status} ${e.code}`;
  }
};

Deno.test("a {documentId} names a document only as lower-case hex; any other spelling is 404", () => {
  const id = new ObjectId();
  assert(parseId(id.toHexString()).equals(id));
  for (const other of [id.toHexString().toUpperCase(), "abc", `${id.toHexString()}0`]) {
    assertEquals(code(() => parseId(other)), "404 document_not_found", other);
  }
});

Deno.test("If-Match names a stamp by its strong tag; * is any version; anything else none", () => {
  const stamp = new ObjectId();
  assert(stampOfTag(` ${etagOf(stamp)} `)!.equals(stamp));
  assertEquals(stampOfTag(undefined), undefined);
  assertEquals(stampOfTag("*"), undefined);
  for (const foreign of [`W/${etagOf(stamp)}`, etagOf(stamp).toUpperCase(), stamp.toHexString()]) {
    assertEquals(stampOfTag(foreign), null, foreign);
  }
});
