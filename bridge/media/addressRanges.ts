/**
 * Which IP addresses `send_media`'s `file_url` may reach (issue 5 "Media safety": never loopback or private
 * ranges, including after redirects and DNS). Pure functions over address strings, so every range is tested
 * without sending a packet.
 *
 * The rule is a deny list of every special-purpose range that is not the public internet (IANA IPv4/IPv6
 * Special-Purpose Address Registries, RFC 6890): loopback, private (RFC 1918, IPv6 ULA), link-local, CGNAT
 * (RFC 6598), multicast, unspecified, broadcast, reserved, documentation and benchmarking ranges. IPv6 forms
 * that carry an IPv4 address (IPv4-mapped `::ffff:a.b.c.d`, IPv4-compatible `::a.b.c.d`, NAT64 `64:ff9b::/96`,
 * 6to4 `2002::/16`) are judged by the IPv4 address inside; Teredo (`2001::/32`) hides its IPv4 and is refused.
 */
import { isIPv4, isIPv6 } from 'node:net';

/** A refused address: the range it falls in, in words (e.g. "loopback 127.0.0.0/8"). */
export interface ForbiddenRange {
  range: string;
}

/** IPv4 ranges refused, as [first octets as a 32-bit number, prefix length, name]. */
const V4_DENY: ReadonlyArray<readonly [number, number, string]> = [
  [v4('0.0.0.0'), 8, 'unspecified/"this network" 0.0.0.0/8'],
  [v4('10.0.0.0'), 8, 'private 10.0.0.0/8'],
  [v4('100.64.0.0'), 10, 'carrier-grade NAT 100.64.0.0/10'],
  [v4('127.0.0.0'), 8, 'loopback 127.0.0.0/8'],
  [v4('169.254.0.0'), 16, 'link-local 169.254.0.0/16'],
  [v4('172.16.0.0'), 12, 'private 172.16.0.0/12'],
  [v4('192.0.0.0'), 24, 'IETF protocol assignments 192.0.0.0/24'],
  [v4('192.0.2.0'), 24, 'documentation 192.0.2.0/24'],
  [v4('192.88.99.0'), 24, '6to4 relay anycast 192.88.99.0/24'],
  [v4('192.168.0.0'), 16, 'private 192.168.0.0/16'],
  [v4('198.18.0.0'), 15, 'benchmarking 198.18.0.0/15'],
  [v4('198.51.100.0'), 24, 'documentation 198.51.100.0/24'],
  [v4('203.0.113.0'), 24, 'documentation 203.0.113.0/24'],
  [v4('224.0.0.0'), 4, 'multicast 224.0.0.0/4'],
  [v4('240.0.0.0'), 4, 'reserved 240.0.0.0/4 (and broadcast 255.255.255.255)'],
];

/** IPv6 ranges refused outright (those embedding IPv4 are handled in {@link forbiddenRange}). */
const V6_DENY: ReadonlyArray<readonly [string, number, string]> = [
  ['::', 128, 'unspecified ::'],
  ['::1', 128, 'loopback ::1'],
  ['64:ff9b:1::', 48, 'local-use NAT64 64:ff9b:1::/48'],
  ['100::', 64, 'discard-only 100::/64'],
  ['2001::', 32, 'Teredo 2001::/32 (hides an IPv4 address)'],
  ['2001:2::', 48, 'benchmarking 2001:2::/48'],
  ['2001:10::', 28, 'ORCHID 2001:10::/28'],
  ['2001:20::', 28, 'ORCHIDv2 2001:20::/28'],
  ['2001:db8::', 32, 'documentation 2001:db8::/32'],
  ['3fff::', 20, 'documentation 3fff::/20'],
  ['5f00::', 16, 'segment routing 5f00::/16'],
  ['fc00::', 7, 'unique local (private) fc00::/7'],
  ['fe80::', 10, 'link-local fe80::/10'],
  ['fec0::', 10, 'site-local fec0::/10'],
  ['ff00::', 8, 'multicast ff00::/8'],
];

/**
 * Why `address` may not be fetched from, or `null` when it is a public unicast address.
 * @param address an IPv4 or IPv6 literal (brackets and an IPv6 zone `%eth0` are accepted and ignored).
 * @returns the refused range; a string that is not an IP literal at all is refused too ("not an IP address").
 */
export function forbiddenRange(address: string): ForbiddenRange | null {
  let a = address.trim();
  if (a.startsWith('[') && a.endsWith(']')) a = a.slice(1, -1);
  a = a.replace(/%.*$/, '');
  if (isIPv4(a)) return forbiddenV4(v4(a));
  if (!isIPv6(a)) return { range: 'not an IP address' };
  const words = parseV6(a);
  // IPv4-mapped ::ffff:0:0/96, IPv4-compatible ::/96 (deprecated), IPv4-translated ::ffff:0:0:0/96.
  const upper5Zero = words.slice(0, 5).every((w) => w === 0);
  if (upper5Zero && (words[5] === 0xffff || words[5] === 0)) {
    if (words[5] === 0 && words[6] === 0 && (words[7] === 0 || words[7] === 1)) {
      return { range: words[7] === 0 ? 'unspecified ::' : 'loopback ::1' };
    }
    return embedded(words, 6, 'IPv4 inside IPv6');
  }
  if (words.slice(0, 4).every((w) => w === 0) && words[4] === 0xffff && words[5] === 0) {
    return embedded(words, 6, 'IPv4-translated');
  }
  // NAT64 well-known prefix 64:ff9b::/96 reaches the IPv4 address in its last 32 bits.
  if (words[0] === 0x64 && words[1] === 0xff9b && words.slice(2, 6).every((w) => w === 0)) {
    return embedded(words, 6, 'NAT64');
  }
  // 6to4 2002::/16 routes to the IPv4 address in bits 16–47.
  if (words[0] === 0x2002) return embedded(words, 1, '6to4');
  for (const [prefix, len, name] of V6_DENY) {
    if (v6InPrefix(words, parseV6(prefix), len)) return { range: name };
  }
  return null;
}

/** True when `address` is a public unicast address a `file_url` fetch may connect to. */
export function isPublicAddress(address: string): boolean {
  return forbiddenRange(address) === null;
}

/**
 * Host names refused before any DNS lookup: `localhost` and `*.localhost` (RFC 6761 — they are loopback
 * whatever DNS says), and names under `.local`, `.internal`, `.home.arpa`, `.lan` that only mean something on a
 * private network.
 * @param hostname a URL's hostname, lower case, without brackets.
 * @returns the reason, or null.
 */
export function forbiddenHostname(hostname: string): string | null {
  const h = hostname.toLowerCase().replace(/\.$/, '');
  if (h === 'localhost' || h.endsWith('.localhost')) return 'localhost is this computer (loopback)';
  if (/(^|\.)(local|internal|home\.arpa|lan|intranet|corp)$/.test(h)) {
    return 'a name that only resolves on a private network';
  }
  if (!h.includes('.') && !isIPv6(h)) return 'a single-label name resolves only on a local network';
  return null;
}

function forbiddenV4(n: number): ForbiddenRange | null {
  for (const [base, len, name] of V4_DENY) {
    const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
    if (((n & mask) >>> 0) === ((base & mask) >>> 0)) return { range: name };
  }
  return null;
}

function embedded(words: number[], at: number, kind: string): ForbiddenRange | null {
  const n = ((words[at]! << 16) | words[at + 1]!) >>> 0;
  const inner = forbiddenV4(n);
  return inner ? { range: `${kind}: ${inner.range}` } : null;
}

function v4(address: string): number {
  return address.split('.').reduce((acc, part) => ((acc << 8) | Number(part)) >>> 0, 0);
}

/** Eight 16-bit words of a valid IPv6 literal (a trailing dotted IPv4 part is folded into the last two). */
function parseV6(address: string): number[] {
  let a = address.toLowerCase();
  const dotted = /(\d{1,3}(?:\.\d{1,3}){3})$/.exec(a);
  if (dotted) {
    const n = v4(dotted[1]!);
    a = `${a.slice(0, dotted.index)}${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const [head, tail] = a.includes('::') ? a.split('::') : [a, undefined];
  const h = head ? head.split(':').filter(Boolean) : [];
  const t = tail ? tail.split(':').filter(Boolean) : [];
  const fill = tail === undefined ? [] : new Array<string>(8 - h.length - t.length).fill('0');
  return [...h, ...fill, ...t].map((w) => parseInt(w, 16));
}

function v6InPrefix(words: number[], prefix: number[], len: number): boolean {
  let bits = len;
  for (let i = 0; i < 8 && bits > 0; i++) {
    const take = Math.min(16, bits);
    const mask = (0xffff << (16 - take)) & 0xffff;
    if ((words[i]! & mask) !== (prefix[i]! & mask)) return false;
    bits -= take;
  }
  return true;
}
