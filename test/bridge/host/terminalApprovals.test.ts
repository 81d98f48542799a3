/** The terminal approval prompt: shows peer, text and time left; y / n+reason / e+text reach the queue. */
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { attachTerminalApprovals, renderApproval } from '../../../bridge/host/terminalApprovals.js';
import { ApprovalQueue, type ApprovalRequest } from '../../../bridge/policy/approvals.js';
import { StandingRules } from '../../../bridge/policy/standingRules.js';

const req = (callId: string, text = 'See you at 7'): ApprovalRequest => ({
  callId,
  tool: 'send_message',
  peer: { ref: 'user:1001', title: 'Alice Example', username: 'alice_demo', id: '1001' },
  text,
  client: 'claude',
});

let detach: () => void = () => {};
afterEach(() => detach());

function terminal(queue: ApprovalQueue, rules?: StandingRules) {
  const input = new PassThrough();
  const output = new PassThrough();
  let screen = '';
  output.on('data', (d) => {
    screen += d.toString();
  });
  detach = attachTerminalApprovals(queue, { input, output, ...(rules ? { rules } : {}) });
  const waitFor = async (re: RegExp) => {
    for (let i = 0; i < 200 && !re.test(screen); i++) await new Promise((r) => setTimeout(r, 5));
    expect(screen).toMatch(re);
  };
  return { type: (s: string) => input.write(`${s}\n`), screen: () => screen, waitFor };
}

describe('terminal approvals', () => {
  it('renders the peer (title, @username, id), the asking client, the full text and the time left', () => {
    const block = renderApproval(
      { ...req('a', 'line one\nline two'), createdAt: 0, expiresAt: 120_000 },
      30_000,
    );
    expect(block).toContain('Alice Example · @alice_demo · user:1001');
    expect(block).toContain('asked by: claude');
    expect(block).toContain('time left: 90 s');
    expect(block).toContain('│   line one\n│   line two');
  });

  it('y approves as the person', async () => {
    const queue = new ApprovalQueue({ timeoutMs: 5_000 });
    const t = terminal(queue);
    const outcome = queue.request(req('c1'));
    await t.waitFor(/Approve\?/);
    t.type('y');
    expect(await outcome).toMatchObject({ status: 'approved', decidedBy: 'person', edited: false });
    await t.waitFor(/→ approved/);
  });

  it('n asks for a reason the AI will read', async () => {
    const queue = new ApprovalQueue({ timeoutMs: 5_000 });
    const t = terminal(queue);
    const outcome = queue.request(req('c2'));
    await t.waitFor(/Approve\?/);
    t.type('n');
    await t.waitFor(/Reason for the AI/);
    t.type('too early');
    expect(await outcome).toEqual({ status: 'denied', reason: 'too early' });
  });

  it('e replaces the text, then approves it as edited', async () => {
    const queue = new ApprovalQueue({ timeoutMs: 5_000 });
    const t = terminal(queue);
    const outcome = queue.request(req('c3'));
    await t.waitFor(/Approve\?/);
    t.type('maybe');
    await t.waitFor(/Please type y, n or e/);
    t.type('e');
    await t.waitFor(/New text/);
    t.type('See you at 8 instead');
    expect(await outcome).toMatchObject({ status: 'approved', text: 'See you at 8 instead', edited: true });
  });

  it('an approval that expires is withdrawn from the prompt, and the next one is shown', async () => {
    const queue = new ApprovalQueue({ timeoutMs: 5_000 });
    const t = terminal(queue);
    const first = queue.request(req('c4', 'first'), { timeoutMs: 100 });
    const second = queue.request(req('c5', 'second'));
    expect(await first).toEqual({ status: 'expired' });
    await t.waitFor(/expired: no answer in time/);
    await t.waitFor(/│ {3}second/);
    t.type('y');
    expect(await second).toMatchObject({ status: 'approved' });
  });

  it('a approves and creates a 1-hour standing rule for this tool and chat', async () => {
    const queue = new ApprovalQueue({ timeoutMs: 5_000 });
    const rules = new StandingRules();
    const t = terminal(queue, rules);
    const outcome = queue.request(req('c6'));
    await t.waitFor(/\[a\]lways for this chat \(1 h\)/);
    t.type('a');
    expect(await outcome).toMatchObject({ status: 'approved', decidedBy: 'person' });
    const [rule] = rules.list();
    expect(rule).toMatchObject({ tool: 'send_message', peerRef: 'user:1001' });
    expect(rule!.expiresAt - rule!.createdAt).toBe(3_600_000);
  });

  it('offers no edit for a write whose text only describes it (delete, pin, react)', async () => {
    const queue = new ApprovalQueue({ timeoutMs: 5_000 });
    const t = terminal(queue);
    const outcome = queue.request({ ...req('c7', 'Delete 2 messages for everyone: #4, #5'), editable: false });
    await t.waitFor(/Approve\? \[y\]es \/ \[n\]o: /);
    t.type('e');
    await t.waitFor(/Please type y or n\./);
    t.type('y');
    expect(await outcome).toMatchObject({ status: 'approved', edited: false });
  });

  it('says so when its input closes, and the pending approval still expires normally', async () => {
    const queue = new ApprovalQueue({ timeoutMs: 5_000 });
    const input = new PassThrough();
    const output = new PassThrough();
    let screen = '';
    output.on('data', (d) => {
      screen += d.toString();
    });
    detach = attachTerminalApprovals(queue, { input, output });
    const outcome = queue.request(req('c8'), { timeoutMs: 200 });
    input.end();
    expect(await outcome).toEqual({ status: 'expired' });
    expect(screen).toMatch(/input closed: approvals can no longer be answered in this terminal/);
  });
});
