import { ObjectId } from "mongodb";
import { assertEquals } from "../../tests/support/assert.ts";
import { ID_PATTERN, isId, toObjectId } from "./ids.ts";

Deno.test("an id is 24 lower-case hex digits, as ObjectId.toHexString() writes it", () => {
  const hex = new ObjectId().toHexString();
  assertEquals(isId(hex), true);
  assertEquals(toObjectId(hex)?.toHexString(), hex);
  assertEquals(ID_PATTERN.test(hex), true);
  for (const other of [hex.toUpperCase(), `${hex}0`, hex.slice(1), "z".repeat(24), ""]) {
    assertEquals(isId(other), other === hex, other);
    assertEquals(toObjectId(other), null, other);
  }
});
