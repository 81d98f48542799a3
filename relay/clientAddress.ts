/**
 * The address a request really comes from, for throttles and per-address connection caps. Directly connected
 * clients: the socket's address. Behind a reverse proxy (the TLS proxy of `deploy/`, a load balancer in front
 * of relay replicas) every connection comes from the proxy, so one guesser would lock everybody out and the
 * per-address cap would cap the whole service; a proxy named in `--trusted-proxy` is therefore believed about
 * the client: the address is the right-most `X-Forwarded-For` entry that is not itself a trusted proxy
 * (entries further left are whatever the client chose to send). A request from any other address keeps its
 * socket address whatever headers it sends.
 */
import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';

/** Trusted proxy addresses and subnets: `10.0.0.5`, `172.28.0.0/24`, `::1`, `fd00::/8`. */
export class TrustedProxies {
  private readonly list = new BlockList();
  readonly size: number;

  /** @throws Error naming an entry that is neither an IP address nor an address/prefix subnet. */
  constructor(entries: readonly string[]) {
    for (const entry of entries) {
      const [address = '', prefix] = entry.trim().split('/');
      const family = isIP(address);
      const bits = prefix === undefined ? undefined : Number(prefix);
      const max = family === 4 ? 32 : 128;
      if (family === 0 || (bits !== undefined && (!Number.isInteger(bits) || bits < 0 || bits > max))) {
        throw new Error(`--trusted-proxy: "${entry}" is not an IP address or subnet (address/prefix)`);
      }
      const type = family === 4 ? 'ipv4' : 'ipv6';
      if (bits === undefined) this.list.addAddress(address, type);
      else this.list.addSubnet(address, bits, type);
    }
    this.size = entries.length;
  }

  /** Whether `address` (as a socket reports it; IPv4-mapped IPv6 counts as IPv4) is a trusted proxy. */
  has(address: string | undefined): boolean {
    if (!address || this.size === 0) return false;
    const plain = address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
    const family = isIP(plain);
    return family !== 0 && this.list.check(plain, family === 4 ? 'ipv4' : 'ipv6');
  }
}

const resolved = new WeakMap<IncomingMessage, string>();

/**
 * Works out and remembers the client address of `req` (see the module comment); call once per request or
 * upgrade before anything reads {@link clientAddress}.
 */
export function resolveClientAddress(req: IncomingMessage, trusted: TrustedProxies): string {
  let address = req.socket.remoteAddress ?? 'unknown';
  if (trusted.has(address)) {
    const header = req.headers['x-forwarded-for'];
    const hops = (Array.isArray(header) ? header.join(',') : (header ?? ''))
      .split(',')
      .map((h) => h.trim())
      .filter((h) => isIP(h) !== 0);
    for (let i = hops.length - 1; i >= 0; i--) {
      address = hops[i]!;
      if (!trusted.has(address)) break;
    }
  }
  resolved.set(req, address);
  return address;
}

/** The client address of `req` as {@link resolveClientAddress} found it, else the socket's address. */
export function clientAddress(req: IncomingMessage): string {
  return resolved.get(req) ?? req.socket.remoteAddress ?? 'unknown';
}
