/**
 * Throttling of failed attempts (sign-ins, token checks, pairing codes) per key — an address, an account —
 * so guessing is slow: after `maxFailures` failures within `windowMs`, the key is refused until the window
 * that began with its first failure ends. Callers answer 429 with `Retry-After` (RFC 6585 §4).
 * Time comes from the injected clock; memory is bounded by `maxKeys` (oldest keys dropped first).
 *
 * With several relay replicas, counts are shared through {@link SharedFailureCounts} (Redis,
 * replicas/sharedState.ts): each failure also increments the key's shared count, and the replica adopts the
 * shared total and window. Checks stay synchronous and read the local copy, so a replica learns the others'
 * failures on its own next failure for that key: a guesser spraying N replicas gets at most `maxFailures` +
 * N − 1 tries per window instead of N × `maxFailures`.
 */
import type { RelayClock } from './clock.js';

/** Limits of a {@link FailureThrottle}. */
export interface ThrottleOptions {
  /** Failures allowed per key within one window, or a function of the key (e.g. by its `ip:`/`user:` prefix). */
  maxFailures: number | ((key: string) => number);
  /** Window length, in ms. */
  windowMs: number;
  /** Keys remembered at most (default 100 000). */
  maxKeys?: number;
  /** Counts shared with other relay replicas; default none (this process only). */
  shared?: SharedFailureCounts;
}

/** Failure counts shared by relay replicas, per key, each with a window that starts at its first failure. */
export interface SharedFailureCounts {
  /**
   * Adds one failure to `key`, starting a window of `windowMs` when none runs.
   * @returns the failures in the current window and the ms left of it.
   */
  add(key: string, windowMs: number): Promise<{ failures: number; windowLeftMs: number }>;
  /** Forgets `key`. */
  clear(key: string): Promise<void>;
}

interface Bucket {
  failures: number;
  windowEndsAt: number;
}

/** Counts failures per key and says when a key must wait. */
export class FailureThrottle {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly clock: RelayClock,
    private readonly options: ThrottleOptions,
  ) {}

  /**
   * Whether any of `keys` is blocked now.
   * @returns seconds to wait (≥ 1, for `Retry-After`), or 0 when none is blocked.
   */
  retryAfterSeconds(keys: readonly string[]): number {
    const now = this.clock.now();
    let waitMs = 0;
    for (const key of keys) {
      const bucket = this.buckets.get(key);
      if (!bucket) continue;
      if (bucket.windowEndsAt <= now) {
        this.buckets.delete(key);
        continue;
      }
      if (bucket.failures >= this.limit(key)) waitMs = Math.max(waitMs, bucket.windowEndsAt - now);
    }
    return waitMs === 0 ? 0 : Math.max(1, Math.ceil(waitMs / 1000));
  }

  /** Records one failure for each of `keys`. */
  fail(keys: readonly string[]): void {
    const now = this.clock.now();
    for (const key of keys) {
      let bucket = this.buckets.get(key);
      if (!bucket || bucket.windowEndsAt <= now) {
        bucket = { failures: 0, windowEndsAt: now + this.options.windowMs };
        this.buckets.delete(key);
        this.buckets.set(key, bucket);
      }
      bucket.failures += 1;
      if (this.options.shared) this.adoptShared(key, this.options.shared);
    }
    this.trim();
  }

  /** Counts a failure in the shared counts and adopts their total and window for `key`. */
  private adoptShared(key: string, shared: SharedFailureCounts): void {
    shared.add(key, this.options.windowMs).then(
      ({ failures, windowLeftMs }) => {
        const windowEndsAt = this.clock.now() + windowLeftMs;
        const bucket = this.buckets.get(key);
        if (bucket && bucket.windowEndsAt > this.clock.now()) {
          bucket.failures = Math.max(bucket.failures, failures);
          bucket.windowEndsAt = windowEndsAt;
        } else {
          this.buckets.set(key, { failures, windowEndsAt });
          this.trim();
        }
      },
      () => undefined, // Redis unreachable: the local count still throttles this replica.
    );
  }

  private trim(): void {
    const max = this.options.maxKeys ?? 100_000;
    while (this.buckets.size > max) this.buckets.delete(this.buckets.keys().next().value!);
  }

  private limit(key: string): number {
    const max = this.options.maxFailures;
    return typeof max === 'number' ? max : max(key);
  }

  /** Forgets a key's failures (after a success for an account). */
  clear(key: string): void {
    this.buckets.delete(key);
    this.options.shared?.clear(key).catch(() => undefined);
  }
}
