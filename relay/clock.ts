/**
 * The relay's source of time (ARCHITECTURE.md "Ports": `Clock`). Expiries of tokens, authorization codes,
 * pairing codes, sign-in sessions and throttles read `now()` from here, so tests move time instead of
 * sleeping.
 */

/** Time as the relay reads it: milliseconds since the epoch. */
export interface RelayClock {
  now(): number;
}

/** The wall clock. */
export const systemClock: RelayClock = { now: () => Date.now() };

/** A clock tests move by hand; starts at `start` ms since the epoch. */
export class ManualClock implements RelayClock {
  constructor(private ms = Date.UTC(2026, 0, 1)) {}

  now(): number {
    return this.ms;
  }

  /** Moves time forward by `ms` milliseconds. */
  advance(ms: number): void {
    this.ms += ms;
  }
}
