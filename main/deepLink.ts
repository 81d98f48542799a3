/**
 * `tgbridge://` deep links (issue 9: relay pairing). The only form: `tgbridge://pair?relay=<url>`, which a
 * relay's page can open to say "pair with me". Everything is validated; anything else is ignored. A link
 * carries no secret and starts nothing by itself: the app opens its connection screen with the relay filled
 * in, and the person checks the address and presses Pair (device pairing then shows a code they confirm on
 * the relay while signed in — link/devicePairing.ts). Other query parameters are ignored.
 */
import { isLoopbackHostname } from '../bridge/protocol/index.js';

/** The URL scheme registered with the OS. */
export const DEEP_LINK_SCHEME = 'tgbridge';

/** A parsed pairing link. */
export interface PairingLink {
  kind: 'pair';
  /** The relay's base URL: https, or http on loopback (local relays). */
  relayUrl: string;
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
  if (!relay) return null;
  let relayUrl: URL;
  try {
    relayUrl = new URL(relay);
  } catch {
    return null;
  }
  const loopback = isLoopbackHostname(relayUrl.hostname);
  if (relayUrl.username || relayUrl.password) return null;
  if (!(relayUrl.protocol === 'https:' || (relayUrl.protocol === 'http:' && loopback))) return null;
  return { kind: 'pair', relayUrl: `${relayUrl.origin}${relayUrl.pathname.replace(/\/$/, '')}` };
}

/** The first deep link among process arguments (Windows/Linux pass it on the command line). */
export function deepLinkInArgv(argv: readonly string[]): PairingLink | null {
  for (const arg of argv) {
    if (arg.startsWith(`${DEEP_LINK_SCHEME}://`)) return parseDeepLink(arg);
  }
  return null;
}
