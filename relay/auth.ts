/**
 * Token primitives of both front doors of the relay: MCP clients (`/mcp`: OAuth access tokens, personal
 * access tokens) and devices (`/bridge`: bridge tokens). Tokens are random 256-bit strings; the store keeps
 * only their SHA-256 digests and finds them by digest (see store/relayStore.ts).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

/** Realm of every `WWW-Authenticate: Bearer` challenge the relay sends (PROTOCOL.md "Transport"). */
export const AUTH_REALM = 'tg-bridge';

/** Value of the `WWW-Authenticate` header on a refused `/bridge` upgrade. */
export const WWW_AUTHENTICATE = `Bearer realm="${AUTH_REALM}"`;

/**
 * A token as configured: 16–512 visible ASCII characters (it travels in an HTTP header). Shorter tokens are
 * refused because they can be guessed.
 */
export const ConfiguredToken = z
  .string()
  .min(16, 'a token must have at least 16 characters')
  .max(512)
  .regex(/^[\x21-\x7e]+$/, 'a token may only contain visible ASCII characters (no spaces)');

/** A token as presented in a request: same alphabet, any length up to 512; the lookup decides. */
const PresentedToken = z
  .string()
  .min(1)
  .max(512)
  .regex(/^[\x21-\x7e]+$/);


/** One user's credentials as given in config. */
export interface UserCredentials {
  id: string;
  mcpToken: string;
  bridgeToken: string;
}

/**
 * SHA-256 digest of a token, 64 hex digits: the key under which the store keeps it. Lookups by digest are
 * an indexed equality on the primary key, so they do not depend on how many tokens exist.
 */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * Short, non-reversible tag of a token for logs: the first 8 hex digits of its SHA-256. Never log the token.
 */
export function tokenTag(token: string): string {
  return hashToken(token).slice(0, 8);
}

/**
 * Extracts the token from an `Authorization: Bearer <token>` header (scheme case-insensitive, RFC 6750 §2.1).
 * @returns the token, or `undefined` when the header is missing, of another scheme, or malformed.
 */
export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const m = /^Bearer[ ]+(\S+)[ ]*$/i.exec(header);
  if (!m) return undefined;
  const parsed = PresentedToken.safeParse(m[1]);
  return parsed.success ? parsed.data : undefined;
}

/**
 * Checks config users before they are imported into the store.
 * @throws Error when two users share an id or any two tokens are equal (a token must name one user and one
 *   front door). The message names the field, never a token's value.
 */
export function checkConfigUsers(users: readonly UserCredentials[]): void {
  const ids = new Set<string>();
  const digests = new Set<string>();
  for (const [i, user] of users.entries()) {
    if (ids.has(user.id)) throw new Error(`users[${i}].id: user id "${user.id}" appears twice`);
    ids.add(user.id);
    for (const field of ['mcpToken', 'bridgeToken'] as const) {
      const digest = hashToken(user[field]);
      if (digests.has(digest)) {
        throw new Error(`users[${i}].${field}: every mcp and bridge token must be different from all others`);
      }
      digests.add(digest);
    }
  }
}

/**
 * A fresh secret token: `tgr_<kind>_` + 32 random bytes in base64url (256 bits). The prefix tells a person
 * (and secret scanners) what a leaked token is; it carries no authority.
 */
export function newToken(kind: 'at' | 'rt' | 'pat' | 'bt' | 'code' | 'dc' | 'ws'): string {
  return `tgr_${kind}_${randomBytes(32).toString('base64url')}`;
}

/** Compares two strings in constant time (for their length): CSRF tokens, proofs. */
export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}
