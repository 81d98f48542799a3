/**
 * The terminal approval prompt: renders only from the approval view, escapes every outside string, guards input
 * when the request on screen changes (injected clock), and offers undo during the undo window.
 */
import { EventEmitter } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../bridge/clock.js';
import { attachTerminalApprovals, renderApproval } from '../../../bridge/host/terminalApprovals.js';
import { ApprovalQueue } from '../../../bridge/policy/approvals.js';
import { StandingRules } from '../../../bridge/policy/standingRules.js';
import type { ApprovalView } from '../../../bridge/protocol/approvalView.js';
import { alice, message, requestFor, sendRequest, team } from '../policy/viewFixtures.js';

const T0 = Date.UTC(2026, 0, 1);
/** Bytes a terminal acts on: C0 controls except LF, DEL, and C1 controls. */
const RAW_CONTROL = /[\u0000-\u0009\u000B-\u001F\u007F-\u009F]/;
const BIDI_OR_INVISIBLE = /[\u061C\u200B-\u200F\u202A-\u202E\u2060-\u2069\uFEFF]|[\u{E0000}-\u{E007F}]/u;

let detach: () => void = () => {};
afterEach(() => detach());

/** A terminal on a manual clock: `type` delivers keys at once, `screen` is everything written. */
function terminal(opts: { undoMs?: number; timeoutMs?: number; rules?: StandingRules } = {}) {
  const clock = new ManualClock(T0);
  const queue = new ApprovalQueue({ clock, timeoutMs: opts.timeoutMs ?? 60_000, undoMs: opts.undoMs ?? 0 });
  const input = new EventEmitter();
  let screen = '';
  const output = { write: (s: string) => ((screen += s), true) };
  detach = attachTerminalApprovals(queue, {
    input: input as unknown as Readable,
    output: output as unknown as Writable,
    clock,
    ...(opts.rules ? { rules: opts.rules } : {}),
  });
  return {
    clock,
    queue,
    /** Types `keys` then Enter. */
    type: (keys: string) => input.emit('data', Buffer.from(`${keys}\n`)),
    /** Types keys without Enter. */
    keys: (keys: string) => input.emit('data', Buffer.from(keys)),
    close: () => input.emit('end'),
    screen: () => screen,
    /** What was written since the last call. */
    since: (() => {
      let seen = 0;
      return () => {
        const s = screen.slice(seen);
        seen = screen.length;
        return s;
      };
    })(),
  };
}

/** A send_message request to Alice whose text `text` (rendering to `hi`) is read as `format`. */
function formattedRequest(callId: string, text: string, format: 'markdown' | 'html') {
  return requestFor(callId, {
    tool: 'send_message',
    peer: alice,
    effect: { kind: 'send_message', text },
    textFormat: format,
    renderedText: 'hi',
  });
}

/** Resolves to the outcome if the promise has settled by now, else 'pending'. */
async function peek<T>(p: Promise<T>): Promise<T | 'pending'> {
  return Promise.race([p, new Promise<'pending'>((r) => setImmediate(() => r('pending')))]);
}

describe('terminal approvals: what is shown', () => {
  it('renders the effect, the peer (title, @username, id, kind), the client, the full text, time left, undo and rule scope', () => {
    const r = sendRequest('a', 'line one\nline two');
    const view: ApprovalView = { ...r.view, callId: 'a', createdAt: 0, expiresAt: 120_000, undoMs: 5_000 };
    const block = renderApproval(view, 30_000);
    expect(block).toContain('│ Send a message to ‹Alice Example›');
    expect(block).toContain('│ to:        ‹Alice Example› · @alice_demo · user:1001 (user)');
    expect(block).toContain('asked by:  claude');
    expect(block).toContain('time left: 90 s');
    expect(block).toContain('text (sent exactly as shown):\n│   line one\n│   line two');
    expect(block).toContain('undo:      5 s to take it back after you approve');
    expect(block).toContain('always:    The AI may send messages to ‹Alice Example› without asking you, for 1 hour.');
  });

  it('renders media (kind, file name, size) with its caption, and the messages a write acts on', () => {
    const media = requestFor('m', {
      tool: 'send_media',
      peer: alice,
      effect: {
        kind: 'send_media',
        media: { kind: 'document', fileName: 'minutes.pdf', bytes: 50_000, mimeType: 'application/pdf' },
        caption: 'Minutes',
      },
    });
    const block = renderApproval({ ...media.view, callId: 'm', createdAt: 0, expiresAt: 0, undoMs: 0 }, 0);
    expect(block).toContain('│ media:     document "minutes.pdf" · 48.8 KiB\n│ caption (sent exactly as shown):\n│   Minutes');
    expect(block).not.toContain('undo:');
    const pin = requestFor('p', {
      tool: 'pin_message',
      peer: team,
      effect: { kind: 'pin_message', message: message(team, 41, 'Lunch at 1?\nbring snacks', 'Sam'), unpin: false },
    });
    const pinBlock = renderApproval({ ...pin.view, callId: 'p', createdAt: 0, expiresAt: 0, undoMs: 0 }, 0);
    expect(pinBlock).toContain('│ Pin message #41 in ‹Team› (members are not notified)');
    expect(pinBlock).toContain('│ messages:\n│   #41 Sam: Lunch at 1?');
  });

  it('hostile text, client name and Telegram names reach the terminal only as visible escapes, with the flag', () => {
    const t = terminal();
    const hostilePeer = { ...alice, title: 'Mom\u202E\u2066 (bank)\u001b[31m', username: 'mom' };
    const req = requestFor(
      'x',
      {
        tool: 'send_message',
        peer: hostilePeer,
        effect: { kind: 'send_message', text: 'Hi\rApproved: yes\u001b[2K\b\b\u200B\u{E0041}\u0085', replyTo: 5 },
      },
      {
        client: `Claude\u001b]0;owned\u0007\u001b[1A${'x'.repeat(100)}`,
        facts: { firstContact: false, replyTo: message(hostilePeer, 5, 'first\u001b[8m line\nsecond', 'Eve\u202E') },
      },
    );
    void t.queue.request(req);
    const out = t.screen();
    expect(out).not.toMatch(RAW_CONTROL);
    expect(out).not.toMatch(BIDI_OR_INVISIBLE);
    expect(out).toMatch(/⚠ HIDDEN CHARACTERS: contains hidden characters/);
    expect(out).toContain('Mom⟨U+202E⟩⟨U+2066⟩ (bank)␛[31m');
    expect(out).toContain('Hi\\rApproved: yes␛[2K␈␈⟨U+200B⟩⟨U+E0041⟩⟨U+0085⟩');
    expect(out).toContain('reply to:  #5 Eve⟨U+202E⟩: first␛[8m line');
    // The client name is escaped and capped at 64 characters.
    const client = /asked by: {2}(.*)\n/.exec(out)![1]!;
    expect(client.startsWith('Claude␛]0;owned␇␛[1A')).toBe(true);
    expect([...client].length).toBe(65); // 64 + the ellipsis
    t.queue.cancelAll('over');
  });

  it('link targets are listed on their own lines, not among the lines Telegram shows', () => {
    const r = requestFor('l', {
      tool: 'send_message',
      peer: alice,
      effect: { kind: 'send_message', text: 'x' },
      textFormat: 'markdown',
      renderedText: 'pay here\n— link "pay here" → https://bank.example',
      renderedLinks: ['link "pay here" → https://evil.example'],
    });
    const block = renderApproval({ ...r.view, callId: 'l', createdAt: 0, expiresAt: 60_000, undoMs: 0 }, 0);
    expect(block).toContain('│ Telegram will show:\n│   pay here\n│   — link "pay here" → https://bank.example\n│ link:      "pay here" → https://evil.example');
  });

  it('a long text that scrolls the top of the prompt away is followed by the effect and the warnings again', () => {
    const text = `${'a\n'.repeat(300)}│ to:        Mom · user:734561298 (user)\u202E`;
    const r = sendRequest('long', text);
    const block = renderApproval({ ...r.view, callId: 'long', createdAt: 0, expiresAt: 60_000, undoMs: 0 }, 0);
    const lines = block.split('\n');
    const end = lines.findIndex((l) => l.startsWith('│ (end of'));
    expect(lines.slice(end - 1, end + 2)).toEqual([
      '│   │ to:        Mom · user:734561298 (user)⟨U+202E⟩',
      '│ (end of the 301-line text) Send a message to ‹Alice Example› · user:1001 (user)',
      '│ ⚠ still: HIDDEN CHARACTERS',
    ]);
    // A short text is not repeated.
    expect(renderApproval({ ...sendRequest('s').view, callId: 's', createdAt: 0, expiresAt: 60_000, undoMs: 0 }, 0)).not.toContain('end of the');
  });

  it('property: whatever the AI, the client and Telegram names contain, no raw control byte reaches the terminal', () => {
    const hostile = fc.string({
      unit: fc.oneof(
        fc.constantFrom('\u001b', '\r', '\b', '\u0007', '\u009b', '\u202e', '\u2067', '\u200b', '\u{E0041}', '\n', '\t'),
        fc.string({ unit: 'binary', maxLength: 1 }),
      ),
      maxLength: 40,
    });
    fc.assert(
      fc.property(hostile, hostile, hostile, hostile, hostile, (title, client, text, fileName, from) => {
        const peer = { ...alice, title, username: 'x' };
        const req = requestFor(
          'p',
          {
            tool: 'send_media',
            peer,
            effect: {
              kind: 'send_media',
              media: { kind: 'document', fileName, bytes: 1, mimeType: 'application/pdf' },
              ...(text ? { caption: text } : {}),
            },
          },
          { client, facts: { firstContact: false } },
        );
        const fwd = requestFor('q', {
          tool: 'forward_messages',
          peer,
          effect: { kind: 'forward_messages', source: { ...team, title: from }, messages: [message(team, 1, text, from)] },
        });
        for (const r of [req, fwd]) {
          const out = renderApproval({ ...r.view, callId: r.callId, createdAt: 0, expiresAt: 0, undoMs: 0 }, 0);
          expect(out).not.toMatch(RAW_CONTROL);
          expect(out).not.toMatch(BIDI_OR_INVISIBLE);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('a view built elsewhere with raw control characters is still escaped when rendered', () => {
    const r = sendRequest('a');
    const raw: ApprovalView = {
      ...r.view,
      effect: 'Send\u001b[2J a message',
      client: 'evil\u009b',
      callId: 'a',
      createdAt: 0,
      expiresAt: 1,
      undoMs: 0,
      text: { shown: 'x\ry\u202E', format: 'plain', editable: true },
    };
    expect(renderApproval(raw, 0)).not.toMatch(RAW_CONTROL);
    expect(renderApproval(raw, 0)).not.toMatch(BIDI_OR_INVISIBLE);
  });

  it('flags a first contact prominently and offers no "always" for it', () => {
    const rules = new StandingRules();
    const t = terminal({ rules });
    const outcome = t.queue.request(
      requestFor('f', { tool: 'send_message', peer: alice, effect: { kind: 'send_message', text: 'hello' } }, {
        facts: { firstContact: true },
      }),
    );
    const out = t.since();
    expect(out).toMatch(/┌─ send_message is waiting for your approval\n│ ⚠ FIRST CONTACT: you have never messaged ‹Alice Example› \(@alice_demo\)/);
    expect(out).toContain('always:    not offered — no standing rule for someone you have never messaged');
    expect(out).toMatch(/Approve\? \[y\]es \/ \[n\]o \/ \[e\]dit: $/);
    t.type('a');
    expect(t.since()).toMatch(/Please type y, n or e\./);
    expect(rules.list()).toEqual([]);
    t.queue.cancelAll('over');
    return outcome;
  });

  it('titles that imitate prompt lines or close the ‹quotes› cannot change who the prompt names', () => {
    const t = terminal({ rules: new StandingRules() });
    const evil: typeof alice = { ref: 'user:666', kind: 'user', id: '666', title: 'Mom · user:734561298 (user)', username: 'evil' };
    const src: typeof team = { ...team, title: 'Team› to ‹Mom\n│ to:        Mom · user:734561298 (user)' };
    void t.queue.request(
      requestFor('imit', { tool: 'forward_messages', peer: evil, effect: { kind: 'forward_messages', source: src, messages: [message(src, 1, 'x')] } }),
    );
    const out = t.since();
    expect(out).toContain('│ ⚠ HIDDEN CHARACTERS');
    expect(out).toContain('│ Forward 1 message from ‹Team⟨U+203A⟩ to ⟨U+2039⟩Mom\\n│ to:        Mom · user:734561298 (user)› to ‹Mom · user:734561298 (user)›');
    expect(out).toContain('│ to:        ‹Mom · user:734561298 (user)› · @evil · user:666 (user)\n');
    // Exactly one line starts like the destination line.
    expect(out.split('\n').filter((l) => l.startsWith('│ to:'))).toHaveLength(1);
    t.queue.cancelAll('over');
  });

  it('a forward states both chats; a delete for everyone is flagged and offers no rule', () => {
    const t = terminal({ rules: new StandingRules() });
    void t.queue.request(
      requestFor('fw', {
        tool: 'forward_messages',
        peer: alice,
        effect: { kind: 'forward_messages', source: team, messages: [1, 2, 3, 4, 5].map((i) => message(team, i, `m${i}`)) },
      }),
    );
    const fw = t.since();
    expect(fw).toContain('│ Forward 5 messages from ‹Team› to ‹Alice Example›');
    expect(fw).toContain('always:    The AI may forward messages from ‹Team› to ‹Alice Example› without asking you');
    expect(fw).toContain('[a]lways');
    t.type('n');
    t.type('');
    t.clock.advance(2_000);
    void t.queue.request(
      requestFor('del', {
        tool: 'delete_messages',
        peer: team,
        effect: { kind: 'delete_messages', revoke: true, messages: [message(team, 4, 'a'), message(team, 5, 'b')] },
      }),
    );
    const del = t.since();
    expect(del).toContain('│ Delete 2 messages for everyone in ‹Team›');
    expect(del).toContain('⚠ FOR EVERYONE');
    // A delete acts in a chat; it sends nothing "to" it.
    expect(del).toContain('│ in:        ‹Team› · chat:77 (group)');
    expect(del).not.toContain('│ to:');
    expect(del).toContain('always:    not offered — deleting for everyone always asks');
    expect(del).toMatch(/Approve\? \[y\]es \/ \[n\]o: $/);
    t.queue.cancelAll('over');
  });
});

describe('terminal approvals: answering', () => {
  it('y approves as the person', async () => {
    const t = terminal();
    const outcome = t.queue.request(sendRequest('c1'));
    t.type('y');
    expect(await outcome).toMatchObject({ status: 'approved', decidedBy: 'person', edited: false });
    expect(t.screen()).toMatch(/→ approved/);
  });

  it('n asks for a reason the AI will read', async () => {
    const t = terminal();
    const outcome = t.queue.request(sendRequest('c2'));
    t.type('n');
    expect(t.screen()).toMatch(/Reason for the AI/);
    t.type('too early');
    expect(await outcome).toEqual({ status: 'denied', reason: 'too early' });
  });

  it('e replaces the text, then approves it as edited', async () => {
    const t = terminal();
    const outcome = t.queue.request(sendRequest('c3'));
    t.type('maybe');
    expect(t.screen()).toMatch(/Please type y, n or e/);
    t.type('e');
    expect(t.screen()).toMatch(/New text/);
    t.type('See you at 8 instead');
    expect(await outcome).toMatchObject({ status: 'approved', text: 'See you at 8 instead', edited: true });
  });

  it('an edit of a formatted text shows what Telegram will show and asks again before approving', async () => {
    const t = terminal();
    const outcome = t.queue.request(formattedRequest('c3m', '**hi**', 'markdown'));
    t.type('e');
    expect(t.since()).toMatch(/New text \(one line, read as markdown\)/);
    t.type('2**10** is __big__ [bank](https://evil.example)');
    const shown = t.since();
    expect(shown).toContain('Telegram will show:\n│   210 is big [bank](https://evil.example)');
    expect(await peek(outcome)).toBe('pending');
    t.type('n');
    expect(t.since()).toMatch(/Approve\?/);
    expect(await peek(outcome)).toBe('pending');
    t.type('e');
    t.type('****');
    expect(t.since()).toMatch(/shows nothing in Telegram/);
    expect(await peek(outcome)).toBe('pending');
    t.type('e');
    t.type('<b>x</b>');
    t.type('y');
    expect(await outcome).toMatchObject({ status: 'approved', text: '<b>x</b>', edited: true });
  });

  it('an html edit lists where its links point, apart from the text', async () => {
    const t = terminal();
    const outcome = t.queue.request(formattedRequest('c3h', '<b>hi</b>', 'html'));
    t.type('e');
    t.type('<a href="https://evil.example">https://bank.example</a>');
    expect(t.since()).toContain('│ link:      "https://bank.example" → https://evil.example');
    t.type('y');
    expect(await outcome).toMatchObject({ status: 'approved', edited: true });
  });

  it('a approves and makes the rule whose exact scope was shown, for 1 hour', async () => {
    const rules = new StandingRules();
    const t = terminal({ rules });
    const outcome = t.queue.request(sendRequest('c6'));
    expect(t.screen()).toContain('[a]lways');
    t.type('a');
    expect(await outcome).toMatchObject({ status: 'approved', decidedBy: 'person' });
    const [rule] = rules.list();
    expect(rule).toMatchObject({
      tool: 'send_message',
      peerRef: 'user:1001',
      scope: 'The AI may send messages to ‹Alice Example› without asking you, for 1 hour.',
    });
    expect(rule!.expiresAt - rule!.createdAt).toBe(3_600_000);
  });

  it('offers no edit for a write without text of its own (pin)', async () => {
    const t = terminal();
    const outcome = t.queue.request(
      requestFor('c7', { tool: 'pin_message', peer: team, effect: { kind: 'pin_message', message: message(team, 4, 'x'), unpin: false } }),
    );
    expect(t.screen()).toMatch(/Approve\? \[y\]es \/ \[n\]o: $/);
    t.type('e');
    expect(t.screen()).toMatch(/Please type y or n\./);
    t.type('y');
    expect(await outcome).toMatchObject({ status: 'approved', edited: false });
  });

  it('says so when its input closes, and the pending approval still expires normally', async () => {
    const t = terminal({ timeoutMs: 200 });
    const outcome = t.queue.request(sendRequest('c8'));
    t.close();
    t.clock.advance(200);
    expect(await outcome).toEqual({ status: 'expired' });
    expect(t.screen()).toMatch(/input closed: approvals can no longer be answered in this terminal/);
  });
});

describe('terminal approvals: the request on screen changed (input guard)', () => {
  it('after an expiry the next request is shown, input is ignored for 1 s, then accepted', async () => {
    const t = terminal();
    const first = t.queue.request(sendRequest('c4', 'first'), { timeoutMs: 100 });
    const second = t.queue.request(sendRequest('c5', 'second'));
    t.since();
    t.clock.advance(100);
    expect(await first).toEqual({ status: 'expired' });
    const changed = t.since();
    expect(changed).toMatch(/the request changed: it expired with no answer in time/);
    expect(changed).toMatch(/│ {3}second/);
    expect(changed).toMatch(/The request on screen changed: input is ignored for 1 s/);
    t.type('y'); // meant for the first one
    expect(t.since()).toMatch(/ignored: typed before or just after the request changed/);
    expect(await peek(second)).toBe('pending');
    t.clock.advance(999);
    t.type('y');
    expect(await peek(second)).toBe('pending');
    t.clock.advance(1);
    t.type('y');
    expect(await second).toMatchObject({ status: 'approved', text: 'second' });
  });

  it('keys typed before the change are discarded even when Enter comes later', async () => {
    const t = terminal();
    const first = t.queue.request(sendRequest('a', 'first'));
    const second = t.queue.request(sendRequest('b', 'second'));
    t.keys('y'); // the person starts answering the first…
    t.queue.cancel('a', 'client went away'); // …it is withdrawn and the second takes its place
    expect(await first).toMatchObject({ status: 'cancelled' });
    expect(t.screen()).toMatch(/the request changed: withdrawn by the relay or the AI/);
    t.clock.advance(5_000);
    t.keys('\n'); // Enter well after the guard: the line still began before the change
    expect(await peek(second)).toBe('pending');
    expect(t.since()).toMatch(/ignored: typed before/);
    t.type('n');
    t.type('');
    expect(await second).toEqual({ status: 'denied' });
  });

  it('answering one request guards the next one that takes its place (a double "y" approves only one)', async () => {
    const t = terminal();
    const first = t.queue.request(sendRequest('a', 'first'));
    const second = t.queue.request(sendRequest('b', 'second'));
    t.type('y');
    t.type('y');
    expect(await first).toMatchObject({ status: 'approved' });
    expect(await peek(second)).toBe('pending');
    t.clock.advance(1_000);
    t.type('y');
    expect(await second).toMatchObject({ status: 'approved' });
  });

  it('a request answered in another window leaves the screen with a note', () => {
    const t = terminal();
    void t.queue.request(sendRequest('a'));
    t.queue.deny('a', 'from the popup');
    expect(t.screen()).toMatch(/answered elsewhere \(denied\)/);
  });
});

describe('terminal approvals on a real terminal (raw mode)', () => {
  function tty() {
    const clock = new ManualClock(T0);
    const queue = new ApprovalQueue({ clock, timeoutMs: 60_000, undoMs: 0 });
    const input = Object.assign(new EventEmitter(), { isTTY: true, raw: [] as boolean[] });
    const setRawMode = (on: boolean) => input.raw.push(on);
    let screen = '';
    let interrupts = 0;
    const stop = attachTerminalApprovals(queue, {
      input: Object.assign(input, { setRawMode }) as unknown as Readable,
      output: { write: (s: string) => ((screen += s), true) } as unknown as Writable,
      clock,
      onInterrupt: () => (interrupts += 1),
    });
    detach = stop;
    return { clock, queue, input, keys: (k: string) => input.emit('data', Buffer.from(k)), screen: () => screen, interrupts: () => interrupts, stop };
  }

  it('reads keys one by one: a key typed before the request changed is discarded even when Enter comes much later', async () => {
    const t = tty();
    expect(t.input.raw).toEqual([true]);
    const first = t.queue.request(sendRequest('a', 'first'));
    const second = t.queue.request(sendRequest('b', 'second'));
    t.keys('y'); // echoed, no Enter yet
    expect(t.screen().endsWith('y')).toBe(true);
    t.queue.cancel('a', 'gone');
    await first;
    t.clock.advance(3_000);
    t.keys('\r');
    expect(await peek(second)).toBe('pending');
    expect(t.screen()).toMatch(/ignored: typed before/);
    t.keys('y\r');
    expect(await second).toMatchObject({ status: 'approved', text: 'second' });
  });

  it('edits the line with backspace, drops escape sequences, passes Ctrl-C on, and leaves raw mode on detach', async () => {
    const t = tty();
    const outcome = t.queue.request(sendRequest('c'));
    t.keys('x\u007fn\u001b[A\r'); // x, backspace, n, arrow-up: the line is "n"
    expect(t.screen()).toMatch(/Reason for the AI/);
    t.keys('\u0003');
    expect(t.interrupts()).toBe(1);
    t.keys('late\r');
    expect(await outcome).toEqual({ status: 'denied', reason: 'late' });
    t.stop();
    expect(t.input.raw).toEqual([true, false]);
  });
});

describe('terminal approvals: undo window', () => {
  it('after y shows a countdown; u within the window undoes, and nothing is approved', async () => {
    const t = terminal({ undoMs: 5_000 });
    const outcome = t.queue.request(sendRequest('u1'));
    t.type('y');
    expect(t.since()).toMatch(/→ approved\. It happens in 5 s — type u and Enter to undo\./);
    t.clock.advance(1_000);
    t.clock.advance(1_000);
    expect(t.since()).toBe('  4 s… (u to undo)\n  3 s… (u to undo)\n');
    t.type('u');
    expect(await outcome).toEqual({ status: 'undone' });
    expect(t.since()).toMatch(/→ undone: nothing was sent/);
    t.clock.advance(10_000);
    expect(t.since()).toBe('');
  });

  it('without undo the write goes ahead when the window ends, and the next request is shown', async () => {
    const t = terminal({ undoMs: 3_000 });
    const outcome = t.queue.request(sendRequest('u2', 'first'));
    const next = t.queue.request(sendRequest('u3', 'second'));
    t.type('y');
    t.type('x');
    expect(t.since()).toMatch(/type u and Enter to undo, or wait/);
    expect(await peek(outcome)).toBe('pending');
    t.clock.advance(3_000);
    expect(await outcome).toMatchObject({ status: 'approved' });
    const after = t.since();
    expect(after).toMatch(/the undo window is over: the write goes ahead now/);
    expect(after).toMatch(/│ {3}second/);
    t.queue.cancelAll('over');
    await next;
  });
});
