import { addressKey } from "./addresses.ts";
import { assertEquals } from "../../tests/support/assert.ts";

Deno.test("addressKey() counts IPv6 per /64, IPv4 (mapped too) per address", () => {
  assertEquals(addressKey("192.0.2.7"), "192.0.2.7");
  assertEquals(addressKey("::ffff:192.0.2.7"), "192.0.2.7");
  assertEquals(addressKey("2001:db8:1:2::1"), "2001:db8:1:2::/64");
  assertEquals(addressKey("2001:DB8:1:2:ffff:ffff:ffff:ffff"), "2001:db8:1:2::/64");
  assertEquals(addressKey("[2001:db8:1:2::9]"), "2001:db8:1:2::/64");
  assertEquals(addressKey("fe80::1%eth0"), "fe80::/64");
  assertEquals(addressKey("2001:db8:1:3::1"), "2001:db8:1:3::/64");
  assertEquals(addressKey("::1"), "::/64");
  assertEquals(addressKey("unknown"), "unknown");
});
