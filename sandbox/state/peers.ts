/**
 * Peer keys: how the sandbox names a dialog's peer in its store and control API.
 *
 * `user:<id>` is the private chat with a user, `chat:<id>` a basic group. Channels and supergroups are not
 * modelled yet.
 */

/** A peer key: `user:<id>` or `chat:<id>` (ids are positive integers). */
export type PeerKey = `user:${number}` | `chat:${number}`;

/** A parsed peer key. */
export interface PeerRef {
  kind: 'user' | 'chat';
  id: number;
}

/** Builds the key of the private chat with user `id`. */
export function userPeer(id: number): PeerKey {
  return `user:${id}`;
}

/** Builds the key of basic group `id`. */
export function chatPeer(id: number): PeerKey {
  return `chat:${id}`;
}

/**
 * Parses `user:<id>` / `chat:<id>`.
 * @throws Error naming the expected form when `text` is not a peer key.
 */
export function parsePeerKey(text: string): PeerRef {
  const m = /^(user|chat):([1-9]\d{0,15})$/.exec(text);
  if (!m) throw new Error(`not a sandbox peer: "${text}" (expected user:<id> or chat:<id>)`);
  const id = Number(m[2]);
  if (!Number.isSafeInteger(id)) throw new Error(`peer id out of range: "${text}"`);
  return { kind: m[1] as PeerRef['kind'], id };
}

/** True when `text` is a well-formed peer key. */
export function isPeerKey(text: string): text is PeerKey {
  try {
    parsePeerKey(text);
    return true;
  } catch {
    return false;
  }
}
