/**
 * Bearer-token authentication for both front doors of the relay: MCP clients (`/mcp`, mcp token) and devices
 * (`/bridge`, bridge token). Tokens come from config for now (device pairing is a later issue); after start
 * only their SHA-256 digests stay in memory, and lookups compare digests in constant time.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

/** Realm of every `WWW-Authenticate: Bearer` challenge the relay sends (PROTOCOL.md "Transport"). */
export const AUTH_REALM = 'tg-bridge';

/** Value of the `WWW-Authenticate` header on a 401. */
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

/** Which front door a token opens: the MCP endpoint or the device WebSocket. */
export type TokenKind = 'mcp' | 'bridge';

/** One user's credentials as given in config. */
export interface UserCredentials {
  id: string;
  mcpToken: string;
  bridgeToken: string;
}

/** SHA-256 digest of a token (32 bytes). */
export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/**
 * Short, non-reversible tag of a token for logs: the first 8 hex digits of its SHA-256. Never log the token.
 */
export function tokenTag(token: string): string {
  return hashToken(token).toString('hex').slice(0, 8);
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

interface StoredUser {
  id: string;
  mcp: Buffer;
  bridge: Buffer;
}

/**
 * The users the relay knows, by token digest. Deny by default: an unknown, missing or malformed token finds
 * no user.
 */
export class TokenIndex {
  private readonly users: readonly StoredUser[];

  /**
   * @param users credentials from config; the token strings are hashed here and not kept.
   * @throws Error when two users share an id or any two tokens are equal (a token must name one user and one
   *   front door).
   */
  constructor(users: readonly UserCredentials[]) {
    const ids = new Set<string>();
    const digests = new Set<string>();
    const stored: StoredUser[] = [];
    for (const [i, user] of users.entries()) {
      if (ids.has(user.id)) throw new Error(`users[${i}].id: user id "${user.id}" appears twice`);
      ids.add(user.id);
      const mcp = hashToken(user.mcpToken);
      const bridge = hashToken(user.bridgeToken);
      for (const [field, digest] of [
        ['mcpToken', mcp],
        ['bridgeToken', bridge],
      ] as const) {
        const hex = digest.toString('hex');
        if (digests.has(hex)) {
          throw new Error(
            `users[${i}].${field}: every mcp and bridge token must be different from all others`,
          );
        }
        digests.add(hex);
      }
      stored.push({ id: user.id, mcp, bridge });
    }
    this.users = stored;
  }

  /**
   * Finds the user a presented token belongs to. Compares the SHA-256 digest against every user's digest
   * with `crypto.timingSafeEqual`, without stopping at the first match, so timing reveals nothing.
   * @returns the user id, or `undefined` (deny).
   */
  userFor(kind: TokenKind, token: string | undefined): string | undefined {
    if (token === undefined) return undefined;
    const presented = hashToken(token);
    let found: string | undefined;
    for (const user of this.users) {
      if (timingSafeEqual(presented, user[kind]) && found === undefined) found = user.id;
    }
    return found;
  }
}
