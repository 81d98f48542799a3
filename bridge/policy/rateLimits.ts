/**
 * Write rate limits (issue 5, ARCHITECTURE.md "The main flow" step 3): at most 30 writes per minute per
 * account and 20 per hour per real peer id, as token buckets with continuous refill. Keys are the resolved
 * peer id (`user:123`), never the string the AI typed, so `@alice` and `user:123` share one budget.
 */

/** Limits of one bucket: `capacity` writes per `windowMs` ms, refilled continuously. */
export interface BucketLimit {
  capacity: number;
  windowMs: number;
}

/** Defaults: 30 per minute per account, 20 per hour per peer (issue 5 / PROTOCOL.md "Peers"). */
export const DEFAULT_WRITE_LIMITS = {
  account: { capacity: 30, windowMs: 60_000 },
  peer: { capacity: 20, windowMs: 3_600_000 },
} as const satisfies Record<string, BucketLimit>;

/** A refusal: which limit, and when a write to this peer would next be allowed (ms and whole seconds). */
export interface RateLimited {
  limit: 'account' | 'peer';
  /** The limit that refused: `capacity` writes per `windowMs` ms. */
  capacity: number;
  windowMs: number;
  retryAfterMs: number;
  retryAfterSeconds: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/** Token buckets for writes; `now` is injected so tests never sleep. */
export class WriteRateLimiter {
  private readonly account: Bucket;
  private readonly peers = new Map<string, Bucket>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly limits: { account: BucketLimit; peer: BucketLimit } = DEFAULT_WRITE_LIMITS,
  ) {
    this.account = { tokens: limits.account.capacity, at: now() };
  }

  /**
   * Takes one write from both the account and the peer bucket, or neither.
   * @param peerRef canonical resolved peer (`user:123`).
   * @returns `null` when allowed, else which limit refused and the retry-after.
   */
  take(peerRef: string): RateLimited | null {
    const t = this.now();
    const peer = this.peers.get(peerRef) ?? { tokens: this.limits.peer.capacity, at: t };
    refill(this.account, this.limits.account, t);
    refill(peer, this.limits.peer, t);
    for (const [limit, bucket, cfg] of [
      ['account', this.account, this.limits.account],
      ['peer', peer, this.limits.peer],
    ] as const) {
      if (bucket.tokens < 1) {
        const retryAfterMs = Math.ceil(((1 - bucket.tokens) * cfg.windowMs) / cfg.capacity);
        return {
          limit,
          capacity: cfg.capacity,
          windowMs: cfg.windowMs,
          retryAfterMs,
          retryAfterSeconds: Math.max(1, Math.ceil(retryAfterMs / 1000)),
        };
      }
    }
    this.account.tokens -= 1;
    peer.tokens -= 1;
    this.peers.set(peerRef, peer);
    this.prune(t);
    return null;
  }

  /** Gives a write back (it was denied, expired or cancelled, so Telegram never saw it). */
  refund(peerRef: string): void {
    this.account.tokens = Math.min(this.limits.account.capacity, this.account.tokens + 1);
    const peer = this.peers.get(peerRef);
    if (peer) peer.tokens = Math.min(this.limits.peer.capacity, peer.tokens + 1);
  }

  /** Drops full buckets so memory stays bounded by the peers written to within one window. */
  private prune(t: number): void {
    if (this.peers.size < 1_000) return;
    for (const [key, b] of this.peers) {
      refill(b, this.limits.peer, t);
      if (b.tokens >= this.limits.peer.capacity) this.peers.delete(key);
    }
  }
}

function refill(b: Bucket, cfg: BucketLimit, t: number): void {
  const elapsed = Math.max(0, t - b.at);
  b.tokens = Math.min(cfg.capacity, b.tokens + (elapsed * cfg.capacity) / cfg.windowMs);
  b.at = t;
}
