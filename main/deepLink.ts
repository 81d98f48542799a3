/**
 * `tgbridge://` deep links (issue 9: relay pairing). The only form: `tgbridge://pair?relay=<url>&code=<code>`,
 * which a relay's pairing page opens. Everything is validated; anything else is ignored. The link never
 * carries a secret that grants access by itself: the code is exchanged with the relay (issue 7's pairing).
 */

/** The URL scheme registered with the OS. */
export const DEEP_LINK_SCHEME = 'tgbridge';

/** A parsed pairing link. */
export interface PairingLink {
  kind: 'pair';
  /** The relay's base URL: https, or http on loopback (local relays). */
  relayUrl: string;
  /** The one-time pairing code shown by the relay: 4–64 of A–Z a–z 0–9 and `-`. */
  code: string;
}

/** Parses a deep link. @returns null for anything that is not a valid pairing link. */
export function parseDeepLink(raw: string): PairingLink | null {
  if (typeof raw !== 'string' || raw.length > 2048) return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  if (url.protocol !== `${DEEP_LINK_SCHEME}:` || url.hostname !== 'pair') return null;
  const relay = url.searchParams.get('relay');
  const code = url.searchParams.get('code');
  if (!relay || !code || !/^[A-Za-z0-9-]{4,64}$/.test(code)) return null;
  let relayUrl: URL;
  try {
    relayUrl = new URL(relay);
  } catch {
    return null;
  }
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(relayUrl.hostname);
  if (relayUrl.username || relayUrl.password) return null;
  if (!(relayUrl.protocol === 'https:' || (relayUrl.protocol === 'http:' && loopback))) return null;
  return { kind: 'pair', relayUrl: `${relayUrl.origin}${relayUrl.pathname.replace(/\/$/, '')}`, code };
}

/** The first deep link among process arguments (Windows/Linux pass it on the command line). */
export function deepLinkInArgv(argv: readonly string[]): PairingLink | null {
  for (const arg of argv) {
    if (arg.startsWith(`${DEEP_LINK_SCHEME}://`)) return parseDeepLink(arg);
  }
  return null;
}
