/** Standing rules: off by default, time-limited, keyed on the effect and the real peer id, listed and revocable. */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../bridge/clock.js';
import { MAX_RULE_DURATION_MS, StandingRules } from '../../../bridge/policy/standingRules.js';

describe('standing rules', () => {
  it('allow nothing by default', () => {
    expect(new StandingRules(new ManualClock(0)).match({ tool: 'send_message', peerRef: 'user:1' })).toBeNull();
  });

  it('match one tool on one real peer until they expire', () => {
    const clock = new ManualClock(1_000);
    const rules = new StandingRules(clock);
    const rule = rules.add({ tool: 'send_message', peerRef: 'user:1', peerTitle: 'Alice', durationMs: 3_600_000 });
    expect(rules.match({ tool: 'send_message', peerRef: 'user:1' })?.id).toBe(rule.id);
    expect(rules.match({ tool: 'send_message', peerRef: 'user:2' })).toBeNull();
    expect(rules.match({ tool: 'delete_messages', peerRef: 'user:1' })).toBeNull();
    clock.advance(3_599_999);
    expect(rules.match({ tool: 'send_message', peerRef: 'user:1' })).not.toBeNull();
    clock.advance(1);
    expect(rules.match({ tool: 'send_message', peerRef: 'user:1' })).toBeNull();
    expect(rules.list()).toEqual([]);
  });

  it('are listed soonest-expiring first, revocable, and announce changes', () => {
    const rules = new StandingRules(new ManualClock(0));
    const changes: number[] = [];
    rules.on('changed', (list) => changes.push(list.length));
    const long = rules.add({ tool: 'send_message', peerRef: 'user:1', peerTitle: 'A', durationMs: 7_200_000 });
    const short = rules.add({ tool: 'send_message', peerRef: 'user:2', peerTitle: 'B', durationMs: 60_000 });
    expect(rules.list().map((r) => r.id)).toEqual([short.id, long.id]);
    expect(rules.revoke(short.id)).toBe(true);
    expect(rules.revoke(short.id)).toBe(false);
    rules.revokeAll();
    expect(changes).toEqual([1, 2, 1, 0]);
  });

  it('key on the whole effect: a forward rule covers one source AND one destination', () => {
    const rules = new StandingRules(new ManualClock(0));
    rules.add({ tool: 'forward_messages', peerRef: 'user:1', sourceRef: 'chat:9', peerTitle: 'A', durationMs: 60_000 });
    expect(rules.match({ tool: 'forward_messages', peerRef: 'user:1', sourceRef: 'chat:9' })).not.toBeNull();
    expect(rules.match({ tool: 'forward_messages', peerRef: 'user:1', sourceRef: 'chat:8' })).toBeNull();
    expect(rules.match({ tool: 'forward_messages', peerRef: 'user:2', sourceRef: 'chat:9' })).toBeNull();
    expect(rules.match({ tool: 'forward_messages', peerRef: 'user:1' })).toBeNull();
  });

  it('a delete rule covers deleting for you only, never for everyone', () => {
    const rules = new StandingRules(new ManualClock(0));
    const base = { tool: 'delete_messages', peerRef: 'chat:9', peerTitle: 'Team', durationMs: 60_000 };
    expect(() => rules.add({ ...base, revoke: true })).toThrow(/for everyone/);
    rules.add({ ...base, revoke: false });
    expect(rules.match({ tool: 'delete_messages', peerRef: 'chat:9', revoke: false })).not.toBeNull();
    expect(rules.match({ tool: 'delete_messages', peerRef: 'chat:9', revoke: true })).toBeNull();
  });

  it('refuse open-ended or empty rules', () => {
    const rules = new StandingRules(new ManualClock(0));
    const base = { tool: 'send_message', peerRef: 'user:1', peerTitle: 'A' };
    expect(() => rules.add({ ...base, durationMs: MAX_RULE_DURATION_MS + 1 })).toThrow(RangeError);
    expect(() => rules.add({ ...base, durationMs: 0 })).toThrow(RangeError);
    expect(() => rules.add({ ...base, tool: '', durationMs: 60_000 })).toThrow(/needs a tool/);
  });
});
