// ManualClock lives in bridge/clock.ts; its test sits here with its main user (the approval queue).
import { describe, expect, it } from 'vitest';
import { ManualClock, systemClock } from '../../../bridge/clock.js';

describe('ManualClock', () => {
  it('starts where told and moves only on advance', () => {
    const clock = new ManualClock(1_000);
    expect(clock.now()).toBe(1_000);
    clock.advance(250);
    expect(clock.now()).toBe(1_250);
    expect(new ManualClock().now()).toBe(0);
  });

  it('fires due timers in due order (ties in set order) with now() at each due time', () => {
    const clock = new ManualClock(0);
    const fired: [string, number][] = [];
    clock.setTimeout(() => fired.push(['c', clock.now()]), 30);
    clock.setTimeout(() => fired.push(['a', clock.now()]), 10);
    clock.setTimeout(() => fired.push(['b', clock.now()]), 10);
    clock.setTimeout(() => fired.push(['late', clock.now()]), 31);
    clock.advance(30);
    expect(fired).toEqual([
      ['a', 10],
      ['b', 10],
      ['c', 30],
    ]);
    expect(clock.now()).toBe(30);
    expect(clock.pendingTimers()).toBe(1);
  });

  it('runs timers set by a firing timer when they fall due in the same advance', () => {
    const clock = new ManualClock(0);
    const fired: number[] = [];
    clock.setTimeout(() => {
      fired.push(clock.now());
      clock.setTimeout(() => fired.push(clock.now()), 5);
    }, 5);
    clock.advance(10);
    expect(fired).toEqual([5, 10]);
  });

  it('clearTimeout stops a timer; unknown handles are ignored', () => {
    const clock = new ManualClock(0);
    let fired = false;
    const t = clock.setTimeout(() => {
      fired = true;
    }, 1);
    clock.clearTimeout(t);
    clock.clearTimeout('nonsense');
    clock.advance(10);
    expect(fired).toBe(false);
  });

  it('refuses to go backwards', () => {
    expect(() => new ManualClock().advance(-1)).toThrow(RangeError);
  });
});

describe('systemClock', () => {
  it('tells real time and runs real timers', async () => {
    expect(Math.abs(systemClock.now() - Date.now())).toBeLessThan(1_000);
    await new Promise<void>((resolve) => systemClock.setTimeout(resolve, 1));
    let fired = false;
    const t = systemClock.setTimeout(() => {
      fired = true;
    }, 1);
    systemClock.clearTimeout(t);
    await new Promise((r) => setTimeout(r, 10));
    expect(fired).toBe(false);
  });
});
