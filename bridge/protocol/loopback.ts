/**
 * Loopback host names: where plain `http://` is allowed for a relay, a pairing page or a relay's own public URL
 * (OAuth 2.1 §1.5 and RFC 8252 §8.3 permit http only for loopback). One rule for the relay, the device and the
 * desktop app.
 */

/**
 * Whether `hostname` (as `URL.hostname` gives it) names this computer: `localhost`, `[::1]`, or an address in
 * 127.0.0.0/8 (all of it is loopback, RFC 1122 §3.2.1.3). `URL` has already normalised forms such as `127.1` or
 * `0x7f.1` to dotted decimal. Nothing else counts: not `localhost.`, not `*.localhost`, not `0.0.0.0`.
 */
export function isLoopbackHostname(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}
