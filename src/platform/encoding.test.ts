import { assertEquals } from "../../tests/support/assert.ts";
import { sha256Hex, toHex } from "./encoding.ts";

// FIPS 180-2, appendix B.1.
const ABC = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

Deno.test("sha256Hex() is the lower-case hex SHA-256 of a string's UTF-8 bytes or of bytes", async () => {
  assertEquals(await sha256Hex("abc"), ABC);
  assertEquals(await sha256Hex(new TextEncoder().encode("abc")), ABC);
});

Deno.test("toHex() writes two lower-case digits per byte", () => {
  assertEquals(toHex(new Uint8Array([0, 9, 10, 255])), "00090aff");
});
