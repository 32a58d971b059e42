/**
 * IP addresses and CIDR ranges, for deciding which peers are trusted proxies (`TRUSTED_PROXIES`).
 * IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`) are the IPv4 address they carry: a dual-stack
 * listener reports IPv4 peers that way.
 */

/** An address as 4 (IPv4) or 16 (IPv6) bytes. */
type Bytes = Uint8Array;

function parseV4(s: string): Bytes | undefined {
  const parts = s.split(".");
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    if (!/^\d{1,3}$/.test(parts[i])) return undefined;
    const n = Number(parts[i]);
    if (n > 255) return undefined;
    out[i] = n;
  }
  return out;
}

function parseV6(s: string): Bytes | undefined {
  let text = s;
  const tail: number[] = [];
  if (text.includes(".")) {
    // A trailing dotted IPv4 part (`::ffff:1.2.3.4`) stands for the last two groups.
    const at = text.lastIndexOf(":");
    const v4 = parseV4(text.slice(at + 1));
    if (!v4) return undefined;
    tail.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
    text = text.slice(0, at + 1);
    if (!text.endsWith("::")) text = text.slice(0, -1);
  }
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const groups = (h: string) => (h === "" ? [] : h.split(":"));
  const head = groups(halves[0]);
  const rest = halves.length === 2 ? groups(halves[1]) : [];
  if (![...head, ...rest].every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  const given = head.length + rest.length + tail.length;
  if (halves.length === 1 ? given !== 8 : given > 7) return undefined;
  const words = [
    ...head.map((g) => parseInt(g, 16)),
    ...Array<number>(8 - given).fill(0),
    ...rest.map((g) => parseInt(g, 16)),
    ...tail,
  ];
  const out = new Uint8Array(16);
  words.forEach((w, i) => {
    out[2 * i] = w >> 8;
    out[2 * i + 1] = w & 0xff;
  });
  return out;
}

const isMappedV4 = (b: Bytes) =>
  b.length === 16 && b.slice(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff;

/** Parse an IPv4 or IPv6 address (brackets and an IPv6 zone allowed); mapped IPv4 becomes IPv4. */
export function parseIp(text: string): Bytes | undefined {
  let s = text.trim();
  if (s.startsWith("[") && s.endsWith("]")) s = s.slice(1, -1);
  const zone = s.indexOf("%");
  if (zone >= 0 && s.includes(":")) s = s.slice(0, zone);
  const b = s.includes(":") ? parseV6(s) : parseV4(s);
  if (!b) return undefined;
  return isMappedV4(b) ? b.slice(12) : b;
}

/** The canonical text of an address (RFC 5952 for IPv6: the longest run of zero groups is `::`). */
export function formatIp(b: Bytes): string {
  if (b.length === 4) return b.join(".");
  const words = Array.from({ length: 8 }, (_, i) => (b[2 * i] << 8) | b[2 * i + 1]);
  let best = { at: -1, len: 1 };
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > best.len) best = { at: i, len: j - i };
    i = j === i ? i + 1 : j;
  }
  const hex = (ws: number[]) => ws.map((w) => w.toString(16)).join(":");
  if (best.at < 0) return hex(words);
  return `${hex(words.slice(0, best.at))}::${hex(words.slice(best.at + best.len))}`;
}

/** A network: the address's family and the first `bits` bits that must match. */
interface Network {
  bytes: Bytes;
  bits: number;
}

/** Parse `a.b.c.d`, `a.b.c.d/n`, an IPv6 address or `v6/n`; undefined when it is none of these. */
export function parseNetwork(text: string): Network | undefined {
  const [addr, prefix, extra] = text.trim().split("/");
  if (extra !== undefined) return undefined;
  const raw = addr.includes(":") ? parseV6(addr.replace(/^\[|\]$/g, "")) : parseV4(addr);
  if (!raw) return undefined;
  let bits = raw.length * 8;
  if (prefix !== undefined) {
    if (!/^\d{1,3}$/.test(prefix) || Number(prefix) > bits) return undefined;
    bits = Number(prefix);
  }
  // A mapped IPv4 range (`::ffff:10.0.0.0/104`) matches the IPv4 addresses it carries.
  if (isMappedV4(raw) && bits >= 96) return { bytes: raw.slice(12), bits: bits - 96 };
  return { bytes: raw, bits };
}

function contains(net: Network, b: Bytes): boolean {
  if (net.bytes.length !== b.length) return false;
  let bits = net.bits;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((net.bytes[i] & mask) !== (b[i] & mask)) return false;
  }
  return true;
}

/** Entries of a `TRUSTED_PROXIES` list that are neither `*` nor an address or CIDR range. */
export function invalidProxyEntries(list: string[]): string[] {
  return list.filter((e) => e !== "*" && !parseNetwork(e));
}

/** Who counts as a trusted proxy: any peer (`*`), or addresses inside the listed networks. */
export interface TrustedProxies {
  any: boolean;
  trusts(address: Bytes): boolean;
}

/** Compile a `TRUSTED_PROXIES` list (already validated by the configuration). */
export function trustedProxies(list: string[]): TrustedProxies {
  const nets = list.flatMap((e) => {
    const n = e === "*" ? undefined : parseNetwork(e);
    return n ? [n] : [];
  });
  return {
    any: list.includes("*"),
    trusts: (b) => nets.some((n) => contains(n, b)),
  };
}

/**
 * The key every per-address counter uses for a client address: an IPv4 address (a mapped one
 * too) as itself, an IPv6 address as its /64 network (`2001:db8:1:2::/64`), since one host is
 * given a whole /64 and can send from any address in it. Text that is no address (`unknown`)
 * is its own key.
 */
export function addressKey(text: string): string {
  const b = parseIp(text);
  if (!b) return text;
  if (b.length === 4) return formatIp(b);
  const net = new Uint8Array(16);
  net.set(b.subarray(0, 8));
  return `${formatIp(net)}/64`;
}
