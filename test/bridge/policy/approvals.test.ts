import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../bridge/clock.js';
import {
  type ApprovalOutcome,
  ApprovalQueue,
  type ApprovalRequest,
  DEFAULT_APPROVAL_TIMEOUT_MS,
  type PendingApproval,
} from '../../../bridge/policy/approvals.js';
import { sendRequest } from './viewFixtures.js';

const T0 = Date.UTC(2025, 0, 1);

function req(callId: string, text = 'See you at 7'): ApprovalRequest {
  return sendRequest(callId, text, 'Claude');
}

/** What `pending()` lists for `req(callId)` asked at `createdAt` with the default timeout. */
function shown(callId: string, createdAt = T0, expiresAt = createdAt + DEFAULT_APPROVAL_TIMEOUT_MS): PendingApproval {
  const r = req(callId);
  return {
    callId,
    tool: 'send_message',
    view: { ...r.view, callId, createdAt, expiresAt, undoMs: 0 },
    text: r.text,
    editable: true,
    rule: r.rule!,
    createdAt,
    expiresAt,
  };
}

type Logged = ['added', PendingApproval] | ['decided', string, ApprovalOutcome] | ['expired', string];

function setup(timeoutMs?: number) {
  const clock = new ManualClock(T0);
  // No undo window: these tests are about asking and deciding (the undo window has its own tests below).
  const queue = new ApprovalQueue(timeoutMs === undefined ? { clock, undoMs: 0 } : { clock, timeoutMs, undoMs: 0 });
  const events: Logged[] = [];
  queue.on('added', (p) => events.push(['added', p]));
  queue.on('decided', (id, o) => events.push(['decided', id, o]));
  queue.on('expired', (id) => events.push(['expired', id]));
  return { clock, queue, events };
}

/** Resolves to the outcome if the promise has settled by now, else 'pending'. */
async function peek<T>(p: Promise<T>): Promise<T | 'pending'> {
  return Promise.race([p, new Promise<'pending'>((r) => setImmediate(() => r('pending')))]);
}

describe('ApprovalQueue', () => {
  it('approve: resolves with the original text, decided by the person, and emits added then decided', async () => {
    const { clock, queue, events } = setup();
    const outcome = queue.request(req('c1'));
    expect(queue.pending()).toEqual([shown('c1')]);
    expect(queue.approve('c1')).toBe(true);
    const expected = { status: 'approved', text: 'See you at 7', edited: false, decidedBy: 'person' };
    expect(await outcome).toEqual(expected);
    expect(queue.pending()).toEqual([]);
    expect(events).toEqual([
      ['added', shown('c1', T0, T0 + 120_000)],
      ['decided', 'c1', expected],
    ]);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('approve by a standing rule is recorded as auto', async () => {
    const { queue } = setup();
    const outcome = queue.request(req('c1'));
    queue.approve('c1', { by: 'auto' });
    expect(await outcome).toMatchObject({ status: 'approved', decidedBy: 'auto' });
  });

  it('deny: carries the reason, trimmed and capped at 500 characters; an empty reason is left out', async () => {
    const { queue, events } = setup();
    const a = queue.request(req('a'));
    const b = queue.request(req('b'));
    const c = queue.request(req('c'));
    expect(queue.deny('a', '  not now, I will write myself \n')).toBe(true);
    expect(queue.deny('b', `${'😀'.repeat(600)}`)).toBe(true);
    expect(queue.deny('c', '   ')).toBe(true);
    expect(await a).toEqual({ status: 'denied', reason: 'not now, I will write myself' });
    const long = await b;
    expect(long.status === 'denied' && [...(long.reason ?? '')].length).toBe(500);
    expect(long.status === 'denied' && long.reason).toBe('😀'.repeat(500));
    expect(await c).toEqual({ status: 'denied' });
    expect(events.filter((e) => e[0] === 'decided').map((e) => e[1])).toEqual(['a', 'b', 'c']);
  });

  it('edit then approve: sends the edited text with edited: true; the same text is not an edit', async () => {
    const { queue } = setup();
    const a = queue.request(req('a'));
    const b = queue.request(req('b'));
    expect(queue.approve('a', { text: 'See you at 8' })).toBe(true);
    expect(queue.approve('b', { text: 'See you at 7' })).toBe(true);
    expect(await a).toEqual({ status: 'approved', text: 'See you at 8', edited: true, decidedBy: 'person' });
    expect(await b).toEqual({ status: 'approved', text: 'See you at 7', edited: false, decidedBy: 'person' });
  });

  it('an unsendable edit returns false and leaves the request pending', async () => {
    const { queue } = setup();
    const outcome = queue.request(req('a'));
    expect(queue.approve('a', { text: '' })).toBe(false);
    expect(queue.approve('a', { text: '  \n ' })).toBe(false);
    expect(queue.approve('a', { text: 'x'.repeat(4097) })).toBe(false);
    expect(await peek(outcome)).toBe('pending');
    expect(queue.pending().map((p) => p.callId)).toEqual(['a']);
    expect(queue.approve('a', { text: 'x'.repeat(4096) })).toBe(true);
    expect(await outcome).toMatchObject({ status: 'approved', edited: true });
  });

  it('expires at exactly timeoutMs and not a millisecond before, emitting expired then decided', async () => {
    const { clock, queue, events } = setup(5_000);
    const outcome = queue.request(req('a'));
    clock.advance(4_999);
    expect(await peek(outcome)).toBe('pending');
    expect(queue.pending()).toHaveLength(1);
    clock.advance(1);
    expect(await outcome).toEqual({ status: 'expired' });
    expect(queue.pending()).toEqual([]);
    expect(events.slice(1)).toEqual([
      ['expired', 'a'],
      ['decided', 'a', { status: 'expired' }],
    ]);
    expect(queue.approve('a')).toBe(false);
  });

  it('a per-request timeout overrides the default', async () => {
    const { clock, queue } = setup();
    const short = queue.request(req('short'), { timeoutMs: 25_000 });
    const long = queue.request(req('long'));
    expect(queue.pending().map((p) => p.expiresAt - p.createdAt)).toEqual([25_000, 120_000]);
    clock.advance(25_000);
    expect(await short).toEqual({ status: 'expired' });
    expect(await peek(long)).toBe('pending');
    clock.advance(95_000);
    expect(await long).toEqual({ status: 'expired' });
  });

  it('cancel (relay cancel): resolves cancelled with the reason and clears the timer', async () => {
    const { clock, queue, events } = setup();
    const outcome = queue.request(req('a'));
    expect(queue.cancel('a', ' the MCP client cancelled the call ')).toBe(true);
    expect(await outcome).toEqual({ status: 'cancelled', reason: 'the MCP client cancelled the call' });
    expect(clock.pendingTimers()).toBe(0);
    clock.advance(DEFAULT_APPROVAL_TIMEOUT_MS * 2);
    expect(events.map((e) => e[0])).toEqual(['added', 'decided']);
  });

  it('an abort signal cancels the request with the abort reason', async () => {
    const { queue, events } = setup();
    const ac = new AbortController();
    const outcome = queue.request(req('a'), { signal: ac.signal });
    ac.abort(new Error('link lost'));
    expect(await outcome).toEqual({ status: 'cancelled', reason: 'link lost' });
    expect(events.at(-1)).toEqual(['decided', 'a', { status: 'cancelled', reason: 'link lost' }]);

    const ac2 = new AbortController();
    const second = queue.request(req('b'), { signal: ac2.signal });
    ac2.abort();
    expect(await second).toMatchObject({ status: 'cancelled' });
  });

  it('an already-aborted signal resolves cancelled without showing anything', async () => {
    const { queue, events } = setup();
    const outcome = queue.request(req('a'), { signal: AbortSignal.abort('deadline passed') });
    expect(await outcome).toEqual({ status: 'cancelled', reason: 'deadline passed' });
    expect(events).toEqual([]);
    expect(queue.pending()).toEqual([]);
  });

  it('a decision after settlement is ignored: each request settles exactly once', async () => {
    const { clock, queue, events } = setup(1_000);
    const ac = new AbortController();
    const outcome = queue.request(req('a'), { signal: ac.signal });
    expect(queue.approve('a')).toBe(true);
    expect(queue.approve('a', { text: 'again' })).toBe(false);
    expect(queue.deny('a', 'too late')).toBe(false);
    expect(queue.cancel('a', 'too late')).toBe(false);
    ac.abort();
    clock.advance(5_000);
    expect(await outcome).toMatchObject({ status: 'approved', text: 'See you at 7' });
    expect(events.filter((e) => e[0] === 'decided')).toHaveLength(1);
    expect(queue.approve('never-requested')).toBe(false);
  });

  it('a second request with the same callId while pending joins the same promise', async () => {
    const { queue, events } = setup();
    const first = queue.request(req('a'));
    const second = queue.request(req('a', 'a different text'));
    expect(second).toBe(first);
    expect(queue.pending()).toHaveLength(1);
    queue.approve('a');
    expect(await second).toMatchObject({ status: 'approved', text: 'See you at 7' });
    expect(events.filter((e) => e[0] === 'added')).toHaveLength(1);
  });

  it('a replayed callId after its decision is not asked again and can never be approved twice', async () => {
    const { queue, events } = setup();
    const first = queue.request(req('a'));
    queue.approve('a');
    await first;
    const replay = queue.request(req('a'));
    expect(await replay).toMatchObject({ status: 'cancelled' });
    expect(queue.approve('a')).toBe(false);
    expect(events.filter((e) => e[0] === 'added')).toHaveLength(1);
  });

  it('cancelAll withdraws every pending request, oldest first', async () => {
    const { queue, events } = setup();
    const outcomes = ['a', 'b', 'c'].map((id) => queue.request(req(id)));
    queue.approve('b');
    queue.cancelAll('the bridge is shutting down');
    expect(await Promise.all(outcomes)).toEqual([
      { status: 'cancelled', reason: 'the bridge is shutting down' },
      expect.objectContaining({ status: 'approved' }),
      { status: 'cancelled', reason: 'the bridge is shutting down' },
    ]);
    expect(events.filter((e) => e[0] === 'decided').map((e) => e[1])).toEqual(['b', 'a', 'c']);
    expect(queue.pending()).toEqual([]);
  });

  it('pending() lists oldest first and returns copies', () => {
    const { clock, queue } = setup();
    void queue.request(req('a'));
    clock.advance(10);
    void queue.request(req('b'));
    const list = queue.pending();
    expect(list.map((p) => [p.callId, p.createdAt])).toEqual([
      ['a', T0],
      ['b', T0 + 10],
    ]);
    list[0]!.text = 'tampered';
    list[0]!.view.peer.ref = 'user:666';
    expect(queue.pending()[0]).toMatchObject({ text: 'See you at 7', view: { peer: { ref: 'user:1001' } } });
    queue.cancelAll('test over');
  });

  it('a listener can decide synchronously and sees the settled state', async () => {
    const { queue } = setup();
    const seen: number[] = [];
    queue.on('added', (p) => queue.approve(p.callId));
    queue.on('decided', () => seen.push(queue.pending().length));
    expect(await queue.request(req('a'))).toMatchObject({ status: 'approved' });
    expect(seen).toEqual([0]);
  });

  it('off removes a listener', () => {
    const { queue } = setup();
    const calls: string[] = [];
    const listener = (p: PendingApproval) => calls.push(p.callId);
    queue.on('added', listener);
    void queue.request(req('a'));
    queue.off('added', listener);
    void queue.request(req('b'));
    expect(calls).toEqual(['a']);
    queue.cancelAll('test over');
  });

  it('rejects a bad timeout or an empty callId', () => {
    expect(() => new ApprovalQueue({ timeoutMs: 0 })).toThrow(RangeError);
    const { queue } = setup();
    expect(() => queue.request(req('a'), { timeoutMs: Number.NaN })).toThrow(RangeError);
    expect(() => queue.request(req(''))).toThrow(TypeError);
  });
});

describe('ApprovalQueue undo window', () => {
  function held(undoMs = 5_000) {
    const clock = new ManualClock(T0);
    const queue = new ApprovalQueue({ clock, undoMs });
    const events: string[] = [];
    queue.on('held', (h) => events.push(`held ${h.callId} until +${h.sendsAt - T0}`));
    queue.on('decided', (id, o) => events.push(`decided ${id} ${o.status}`));
    return { clock, queue, events };
  }

  it('holds an approval for the window, shows it in holds(), and settles approved when it ends', async () => {
    const { clock, queue, events } = held();
    const outcome = queue.request(req('a'));
    expect(queue.approve('a')).toBe(true);
    expect(queue.pending()).toEqual([]);
    expect(queue.holds()).toEqual([
      { callId: 'a', tool: 'send_message', effect: 'Send a message to ‹Alice Example›', decidedBy: 'person', heldAt: T0, sendsAt: T0 + 5_000 },
    ]);
    clock.advance(4_999);
    expect(await peek(outcome)).toBe('pending');
    clock.advance(1);
    expect(await outcome).toMatchObject({ status: 'approved', decidedBy: 'person' });
    expect(events).toEqual(['held a until +5000', 'decided a approved']);
    expect(queue.holds()).toEqual([]);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('undo within the window settles undone; later undo, deny or approve do nothing', async () => {
    const { clock, queue, events } = held();
    const outcome = queue.request(req('a'));
    queue.approve('a');
    expect(queue.deny('a')).toBe(false);
    expect(queue.approve('a')).toBe(false);
    clock.advance(3_000);
    expect(queue.undo('a')).toBe(true);
    expect(await outcome).toEqual({ status: 'undone' });
    expect(queue.undo('a')).toBe(false);
    clock.advance(10_000);
    expect(events).toEqual(['held a until +5000', 'decided a undone']);
  });

  it('undo of a request still pending does nothing; the approval timer stops once approved', async () => {
    const { clock, queue } = held();
    const outcome = queue.request(req('a'), { timeoutMs: 2_000 });
    expect(queue.undo('a')).toBe(false);
    queue.approve('a');
    clock.advance(2_500); // past the approval timeout: a held approval does not expire
    expect(await peek(outcome)).toBe('pending');
    clock.advance(2_500);
    expect(await outcome).toMatchObject({ status: 'approved' });
  });

  it('a relay cancel or an abort during the window withdraws the write', async () => {
    const { queue } = held();
    const ac = new AbortController();
    const a = queue.request(req('a'));
    const b = queue.request(req('b'), { signal: ac.signal });
    queue.approve('a');
    queue.approve('b');
    expect(queue.cancel('a', 'client went away')).toBe(true);
    ac.abort('deadline passed');
    expect(await a).toEqual({ status: 'cancelled', reason: 'client went away' });
    expect(await b).toEqual({ status: 'cancelled', reason: 'deadline passed' });
  });

  it('onHeld runs inside approve, before the window; 0 turns the window off', async () => {
    const { queue } = held();
    const seen: string[] = [];
    void queue.request(req('a'), { onHeld: (h) => seen.push(`${h.callId} ${h.decidedBy}`) });
    queue.approve('a', { by: 'auto' });
    expect(seen).toEqual(['a auto']);
    queue.cancelAll('over');

    const off = held(0);
    const outcome = off.queue.request(req('b'), { onHeld: () => seen.push('never') });
    off.queue.approve('b');
    expect(await outcome).toMatchObject({ status: 'approved' });
    expect(seen).toEqual(['a auto']);
    expect(off.events).toEqual(['decided b approved']);
  });

  it('rejects an undo window outside 0…60 s and a view that does not fit the schema', () => {
    expect(() => new ApprovalQueue({ undoMs: -1 })).toThrow(RangeError);
    expect(() => new ApprovalQueue({ undoMs: 60_001 })).toThrow(RangeError);
    expect(() => new ApprovalQueue({ undoMs: 1.5 })).toThrow(RangeError);
    const queue = new ApprovalQueue({ undoMs: 0 });
    const bad = { ...req('a'), view: { ...req('a').view, effect: 42 } } as unknown as ApprovalRequest;
    expect(() => queue.request(bad)).toThrow(TypeError);
  });
});
