/**
 * What the gateway already knows about peers: each {@link ResolvedPeer} seen in a dialogs listing or resolved
 * by id or @username, kept for a while so a read names its chat without asking Telegram again. A tool call on a
 * known peer then costs one MTProto request (e.g. `get_messages` = messages.getHistory), not two (a
 * users/chats/channels lookup first). Access hashes stay in gramjs's own entity cache; this holds only the
 * description (kind, id, title, @username) the tools report and the policy keys on.
 *
 * Entries live {@link PEER_CACHE_TTL_MS}: titles and usernames change, and a stale one shows for at most that
 * long. At most {@link PEER_CACHE_MAX} peers are kept, the least recently stored dropped first.
 */
import type { PeerRef } from '../protocol/index.js';
import type { ResolvedPeer } from './gateway.js';

/** How long a resolved peer is trusted, in ms (5 minutes). */
export const PEER_CACHE_TTL_MS = 5 * 60_000;
/** Most peers kept (a few hundred dialogs plus the usernames asked for, with room to spare). */
export const PEER_CACHE_MAX = 5_000;

interface Entry {
  peer: ResolvedPeer;
  expiresAt: number;
}

/** Resolved peers by `kind:id` and by lowercased @username, each with a lifetime. */
export class PeerCache {
  private readonly byKey = new Map<string, Entry>();

  constructor(
    private readonly ttlMs = PEER_CACHE_TTL_MS,
    private readonly max = PEER_CACHE_MAX,
    private readonly now: () => number = Date.now,
  ) {}

  /** The cached peer for `ref`, or undefined when unknown or expired (an expired entry is dropped). */
  get(ref: PeerRef): ResolvedPeer | undefined {
    const key = keyOf(ref);
    const entry = this.byKey.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.byKey.delete(key);
      return undefined;
    }
    return entry.peer;
  }

  /** Stores `peer` under its id, and under its @username when it has one; restarts its lifetime. */
  put(peer: ResolvedPeer): void {
    const entry = { peer, expiresAt: this.now() + this.ttlMs };
    this.set(`${peer.kind}:${peer.id}`, entry);
    if (peer.username) this.set(`@${peer.username.toLowerCase()}`, entry);
  }

  /** Forgets every peer (e.g. after logging in as someone else). */
  clear(): void {
    this.byKey.clear();
  }

  /** Number of keys held (ids plus usernames). */
  get size(): number {
    return this.byKey.size;
  }

  private set(key: string, entry: Entry): void {
    this.byKey.delete(key); // re-insert: Map order is storage order, oldest first
    this.byKey.set(key, entry);
    while (this.byKey.size > this.max) {
      const oldest = this.byKey.keys().next().value;
      if (oldest === undefined) break;
      this.byKey.delete(oldest);
    }
  }
}

function keyOf(ref: PeerRef): string {
  return ref.kind === 'username' ? `@${ref.username.toLowerCase()}` : `${ref.kind}:${ref.id}`;
}
