/**
 * Peer keys: how the sandbox names a dialog's peer in its store and control API.
 *
 * `user:<id>` is the private chat with a user, `chat:<id>` a basic group, `channel:<id>` a supergroup
 * (megagroup) or broadcast channel — the same spelling the bridge uses for peers.
 */

/** A peer key: `user:<id>`, `chat:<id>` or `channel:<id>` (ids are positive integers). */
export type PeerKey = `user:${number}` | `chat:${number}` | `channel:${number}`;

/** A parsed peer key. */
export interface PeerRef {
  kind: 'user' | 'chat' | 'channel';
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

/** Builds the key of supergroup or broadcast channel `id`. */
export function channelPeer(id: number): PeerKey {
  return `channel:${id}`;
}

/** Builds the key of a parsed peer. */
export function peerKeyOf(ref: PeerRef): PeerKey {
  return `${ref.kind}:${ref.id}`;
}

/**
 * Parses `user:<id>` / `chat:<id>` / `channel:<id>`.
 * @throws Error naming the expected form when `text` is not a peer key.
 */
export function parsePeerKey(text: string): PeerRef {
  const m = /^(user|chat|channel):([1-9]\d{0,15})$/.exec(text);
  if (!m) throw new Error(`not a sandbox peer: "${text}" (expected user:<id>, chat:<id> or channel:<id>)`);
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
