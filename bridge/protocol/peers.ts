/**
 * Peer references as tools accept them (PROTOCOL.md "Peers"):
 * `@username`, `username`, `user:<id>`, `chat:<id>`, `channel:<id>`, or a bare number (a user id).
 */
import { z } from 'zod';

/** Kind of a Telegram peer: a user (or bot), a basic group (`chat`), or a supergroup/channel (`channel`). */
export type PeerKind = 'user' | 'chat' | 'channel';

/** A parsed peer reference: either a username to resolve, or a kind and numeric id. */
export type PeerRef = { kind: 'username'; username: string } | { kind: PeerKind; id: string };

/** Telegram usernames: 5–32 characters, letters, digits and underscores, starting with a letter. */
const USERNAME = /^[A-Za-z][A-Za-z0-9_]{3,31}$/;
const TYPED_ID = /^(user|chat|channel):(-?\d{1,20})$/;
const BARE_ID = /^\d{1,20}$/;

/**
 * Parses a peer reference.
 * @returns the reference, or `null` when the string matches none of the accepted forms.
 */
export function parsePeer(input: string): PeerRef | null {
  const s = input.trim();
  const typed = TYPED_ID.exec(s);
  if (typed) {
    const id = typed[2]!.replace(/^-/, '');
    if (id === '0' || /^0+$/.test(id)) return null;
    return { kind: typed[1] as PeerKind, id: BigInt(id).toString() };
  }
  if (BARE_ID.test(s)) return BigInt(s) === 0n ? null : { kind: 'user', id: BigInt(s).toString() };
  const name = s.startsWith('@') ? s.slice(1) : s;
  if (USERNAME.test(name)) return { kind: 'username', username: name.toLowerCase() };
  return null;
}

/** Canonical string of a resolved peer, the form every tool result uses: `user:123`. */
export function formatPeer(kind: PeerKind, id: string | number | bigint): string {
  return `${kind}:${id.toString()}`;
}

/**
 * Zod schema for a `peer` argument: a string in an accepted form, or a bare number.
 * Output is the trimmed string. The error message lists the accepted forms.
 */
export const PeerArg = z
  .union([z.string().max(64), z.number().int().positive()])
  .transform((v) => String(v).trim())
  .refine((v) => parsePeer(v) !== null, {
    message: 'not a peer; use @username, user:<id>, chat:<id>, channel:<id> or a numeric user id',
  });
