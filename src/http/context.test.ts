import { assertEquals } from "../../tests/support/assert.ts";
import { clientAddress } from "./context.ts";

Deno.test("clientAddress() walks X-Forwarded-For from the right, past trusted proxies", () => {
  const trusted = ["10.0.0.0/8", "fd00::/8", "192.0.2.1"];
  // Untrusted peer: the header is ignored.
  assertEquals(clientAddress("203.0.113.9", "198.51.100.1", trusted), "203.0.113.9");
  // One trusted proxy: the hop it appended.
  assertEquals(clientAddress("192.0.2.1", "198.51.100.1", trusted), "198.51.100.1");
  // Two proxies in a range: skipped from the right; the client-written left-most hop is not read.
  assertEquals(
    clientAddress("10.1.1.1", "6.6.6.6, 198.51.100.1, 10.2.2.2", trusted),
    "198.51.100.1",
  );
  // IPv6 ranges, and a client-written trusted-looking hop left of the real client.
  assertEquals(
    clientAddress("fd00::1", "10.3.3.3, 2001:db8::7, fd12::2", trusted),
    "2001:db8::7",
  );
  // Every hop trusted: the request started inside.
  assertEquals(clientAddress("10.1.1.1", "10.4.4.4, 10.5.5.5", trusted), "10.4.4.4");
  // No header, or an empty one: the peer.
  assertEquals(clientAddress("10.1.1.1", undefined, trusted), "10.1.1.1");
  assertEquals(clientAddress("10.1.1.1", " , ", trusted), "10.1.1.1");
  assertEquals(clientAddress(undefined, "198.51.100.1", trusted), "unknown");
});

Deno.test("clientAddress() treats ::ffff:a.b.c.d as a.b.c.d", () => {
  const trusted = ["10.0.0.0/8"];
  // A dual-stack listener reports an IPv4 proxy as a mapped address: still trusted.
  assertEquals(clientAddress("::ffff:10.1.2.3", "198.51.100.1", trusted), "198.51.100.1");
  // A mapped hop is the IPv4 client (one throttle key, not two).
  assertEquals(clientAddress("10.1.2.3", "::ffff:198.51.100.1", trusted), "198.51.100.1");
  assertEquals(clientAddress("::ffff:203.0.113.9", undefined, trusted), "203.0.113.9");
  // Mapped trusted hops are skipped like the plain ones.
  assertEquals(
    clientAddress("10.1.2.3", "198.51.100.1, ::ffff:10.9.9.9", trusted),
    "198.51.100.1",
  );
  assertEquals(clientAddress("10.1.2.3", "198.51.100.1", ["::ffff:10.0.0.0/104"]), "198.51.100.1");
});

Deno.test("with TRUSTED_PROXIES=* the right-most hop is the client, whatever it wrote", () => {
  assertEquals(clientAddress("203.0.113.9", "6.6.6.6, 198.51.100.1", ["*"]), "198.51.100.1");
  assertEquals(clientAddress("203.0.113.9", "198.51.100.1", ["*"]), "198.51.100.1");
  assertEquals(clientAddress("203.0.113.9", undefined, ["*"]), "203.0.113.9");
});

Deno.test("clientAddress() believes X-Forwarded-For only from trusted proxies", () => {
  assertEquals(clientAddress("1.2.3.4", "5.6.7.8", []), "1.2.3.4");
  assertEquals(clientAddress("10.0.0.1", "5.6.7.8", ["10.0.0.1"]), "5.6.7.8");
  assertEquals(
    clientAddress("10.0.0.1", "6.6.6.6, 5.6.7.8, 10.0.0.2", ["10.0.0.1", "10.0.0.2"]),
    "5.6.7.8",
  );
  assertEquals(clientAddress("10.0.0.1", "5.6.7.8", ["*"]), "5.6.7.8");
  assertEquals(clientAddress(undefined, "5.6.7.8", ["*"]), "unknown");
});
