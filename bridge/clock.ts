/**
 * The Clock port (ARCHITECTURE.md "Ports"): injected time, so rate limits, deadlines and approval expiries are
 * tested without sleeping. Production code uses {@link systemClock}; tests use {@link ManualClock}.
 */

/** Opaque handle of a timer started with {@link Clock.setTimeout}; only meaningful to the clock that made it. */
export type ClockTimer = unknown;

/** Source of time and one-shot timers. */
export interface Clock {
  /** Current time in ms since the Unix epoch. */
  now(): number;
  /** Runs `fn` once, `ms` milliseconds from now (negative or non-finite `ms` counts as 0). */
  setTimeout(fn: () => void, ms: number): ClockTimer;
  /** Stops a timer from this clock; unknown or already-fired timers are ignored. */
  clearTimeout(timer: ClockTimer): void;
}

/**
 * The real clock: `Date.now()` and the global timers. Node fires a delay above 2^31−1 ms (~24.8 days)
 * at once, so callers keep timeouts well below that.
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (timer) => globalThis.clearTimeout(timer as ReturnType<typeof globalThis.setTimeout>),
};

interface ManualTimer {
  id: number;
  at: number;
  fn: () => void;
}

/**
 * A clock that moves only when told to. Timers fire inside {@link ManualClock.advance}, in order of due time
 * (ties in the order they were set), with `now()` equal to each timer's due time while it runs. A timer set
 * by a firing timer runs in the same `advance` if it falls due within it.
 */
export class ManualClock implements Clock {
  #now: number;
  #nextId = 1;
  readonly #timers = new Map<number, ManualTimer>();

  /** @param startMs initial time in ms since the epoch (default 0). */
  constructor(startMs = 0) {
    this.#now = startMs;
  }

  /** Current manual time, in ms. */
  now(): number {
    return this.#now;
  }

  /** Schedules `fn` at `now() + ms` (negative or non-finite `ms` → 0); it fires in a later {@link advance}. */
  setTimeout(fn: () => void, ms: number): ClockTimer {
    const id = this.#nextId++;
    const delay = Number.isFinite(ms) && ms > 0 ? ms : 0;
    this.#timers.set(id, { id, at: this.#now + delay, fn });
    return id;
  }

  /** Cancels a timer returned by {@link setTimeout}; anything else is ignored. */
  clearTimeout(timer: ClockTimer): void {
    if (typeof timer === 'number') this.#timers.delete(timer);
  }

  /**
   * Moves time forward by `ms` milliseconds, firing every timer that falls due on the way, in order.
   * An exception from a timer propagates out of `advance`; that timer is already removed, later ones stay.
   * @throws RangeError when `ms` is negative or not finite.
   */
  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0)
      throw new RangeError(`ManualClock.advance: ms must be ≥ 0, got ${ms}`);
    const target = this.#now + ms;
    for (;;) {
      const next = this.#nextDue(target);
      if (!next) break;
      this.#timers.delete(next.id);
      this.#now = Math.max(this.#now, next.at);
      next.fn();
    }
    this.#now = target;
  }

  /** Number of timers set and not yet fired or cleared. */
  pendingTimers(): number {
    return this.#timers.size;
  }

  #nextDue(limit: number): ManualTimer | undefined {
    let best: ManualTimer | undefined;
    for (const t of this.#timers.values()) {
      if (t.at > limit) continue;
      if (!best || t.at < best.at || (t.at === best.at && t.id < best.id)) best = t;
    }
    return best;
  }
}
