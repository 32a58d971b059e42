/**
 * The address rule of outgoing webhook requests (docs/webhooks.md): a target must be a public
 * unicast address. Loopback (and every name under `localhost`), private, link-local, CGNAT,
 * multicast, unspecified, documentation, benchmarking and other reserved ranges are refused, and
 * so is an IPv4-mapped, NAT64, 6to4 or Teredo IPv6 address (they carry an IPv4 address or reach
 * one through a relay). The ranges are ipaddr.js's special ranges: an address is public when it
 * falls in none of them (and, for IPv6, in the global unicast block 2000::/3).
 */
import { lookup as dnsLookup } from "node:dns/promises";
import ipaddr from "ipaddr.js";

/** True for an address (text, no brackets) that a webhook may be sent to. */
export function isPublicAddress(text: string): boolean {
  if (!ipaddr.isValid(text)) return false;
  const ip = ipaddr.parse(text);
  if (ip.kind() === "ipv6") {
    const v6 = ip as ipaddr.IPv6;
    if (v6.isIPv4MappedAddress()) return false;
    if ((v6.parts[0] & 0xe000) !== 0x2000) return false;
  }
  return ip.range() === "unicast";
}

/** `localhost` and every name under it are loopback whatever DNS says (RFC 6761). */
export function isLocalhostName(host: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, "");
  return h === "localhost" || h.endsWith(".localhost");
}

/** The host of a URL as an address or a name: IPv6 literals lose their brackets. */
export function bareHost(hostname: string): string {
  return hostname.startsWith("[") && hostname.endsWith("]") ? hostname.slice(1, -1) : hostname;
}

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Every address a name resolves to (the system resolver: what a connection would use). */
export type Resolver = (host: string) => Promise<ResolvedAddress[]>;

export const systemResolver: Resolver = async (host) => {
  const all = await dnsLookup(host, { all: true, verbatim: true });
  return all.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
};

export class AddressRefused extends Error {
  override name = "AddressRefused";
}

/**
 * The addresses to connect to for `host` (an address or a name), every one of them checked:
 * throws `AddressRefused` when the host is, or any of its addresses is, not public (unless
 * `allowPrivate`), or when the name resolves to nothing.
 */
export async function checkedAddresses(
  host: string,
  opts: { allowPrivate: boolean; resolve?: Resolver },
): Promise<ResolvedAddress[]> {
  const bare = bareHost(host);
  if (ipaddr.isValid(bare)) {
    if (!opts.allowPrivate && !isPublicAddress(bare)) {
      throw new AddressRefused(`${bare} is not a public address`);
    }
    return [{ address: bare, family: bare.includes(":") ? 6 : 4 }];
  }
  if (!opts.allowPrivate && isLocalhostName(bare)) {
    throw new AddressRefused(`${bare} is a loopback name`);
  }
  let found: ResolvedAddress[];
  try {
    found = await (opts.resolve ?? systemResolver)(bare);
  } catch {
    throw new AddressRefused(`${bare} does not resolve`);
  }
  if (!found.length) throw new AddressRefused(`${bare} does not resolve`);
  if (!opts.allowPrivate) {
    const bad = found.find((a) => !isPublicAddress(a.address));
    if (bad) throw new AddressRefused(`${bare} resolves to ${bad.address}, not a public address`);
  }
  return found;
}
