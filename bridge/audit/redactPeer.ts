/** Redacted peer tags for audit entries, logs and the content boundary (Node: SHA-256 via node:crypto). */
import { createHash } from 'node:crypto';
import { parsePeer } from '../protocol/index.js';

/**
 * Redacted form of a peer for audit entries, logs and the content boundary (PROTOCOL.md: no names, no
 * usernames). Keeps the kind and an 8-hex-digit SHA-256 tag so entries about one peer can be correlated
 * without revealing who it is, e.g. `user#3f9a12bc`.
 */
export function redactPeer(peer: string): string {
  const known = recent.get(peer);
  if (known !== undefined) return known;
  const ref = parsePeer(peer);
  const kind = ref === null ? 'peer' : ref.kind === 'username' ? 'username' : ref.kind;
  const key = ref === null ? peer : ref.kind === 'username' ? ref.username : `${ref.kind}:${ref.id}`;
  const tag = `${kind}#${createHash('sha256').update(`tg-bridge-peer:${key}`).digest('hex').slice(0, 8)}`;
  // A list of dialogs redacts the same peers on every call: remember the latest few (a pure function).
  if (recent.size >= RECENT_MAX) recent.delete(recent.keys().next().value!);
  recent.set(peer, tag);
  return tag;
}

/** How many peers {@link redactPeer} remembers (oldest forgotten first). */
const RECENT_MAX = 2_048;
const recent = new Map<string, string>();
