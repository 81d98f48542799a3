/**
 * The write gate on its own, with the injected clock: what is recorded when (asked → decision → intent →
 * result), the undo window (an undone write never runs and the AI is told), standing rules keyed on the effect,
 * the first-contact check, and the per-call audit recorder (one result entry per call, whatever fails).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditChain, readAuditEntries } from '../../../bridge/audit/auditChain.js';
import { ManualClock } from '../../../bridge/clock.js';
import { DownloadConfirmations } from '../../../bridge/media/downloadConfirmations.js';
import { ApprovalQueue, type PendingApproval } from '../../../bridge/policy/approvals.js';
import { WriteRateLimiter } from '../../../bridge/policy/rateLimits.js';
import { StandingRules } from '../../../bridge/policy/standingRules.js';
import { ToolError, ToolErrorCode, TOOLS } from '../../../bridge/protocol/index.js';
import type { GatewayMessage, ResolvedPeer, TelegramGateway } from '../../../bridge/telegram/gateway.js';
import { CallAudit } from '../../../bridge/tools/callAudit.js';
import type { ToolContext } from '../../../bridge/tools/context.js';
import { runTool } from '../../../bridge/tools/registry.js';
import { type GatedWrite, gateWrite, PROGRESS_INTERVAL_MS, UNDONE_REASON } from '../../../bridge/tools/writeGate.js';
import { alice, message, team } from '../policy/viewFixtures.js';

let dir: string;
let audit: AuditChain;
let clock: ManualClock;
let approvals: ApprovalQueue;
let rules: StandingRules;
let asked: PendingApproval[];
let progress: string[];
/** Peers the fake account has written to (others are first contacts). */
let writtenTo: Set<string>;
let calls = 0;

/** The little of the gateway the gate uses: reply look-ups and the first-contact check. */
const gateway = {
  getMessagesById: async (peer: ResolvedPeer, ids: number[]): Promise<GatewayMessage[]> =>
    ids.filter((id) => id < 100).map((id) => message(peer, id, `message ${id}\nsecond line`)),
  hasWrittenTo: async (peer: ResolvedPeer) => writtenTo.has(peer.ref),
} as unknown as TelegramGateway;

function context(callId: string, tool = 'send_message'): ToolContext {
  return {
    callId,
    client: 'test-ai',
    signal: new AbortController().signal,
    progress: (m) => progress.push(m),
    gateway,
    audit: new CallAudit(audit, callId, tool),
    approvals,
    limiter: new WriteRateLimiter(() => clock.now()),
    rules,
    clock,
    media: {},
    downloads: new DownloadConfirmations(() => clock.now()),
    approvalTimeoutMs: () => 60_000,
  };
}

function sendTo(peer: ResolvedPeer, perform: () => Promise<number> = async () => ++calls): GatedWrite<number> {
  return { tool: 'send_message', peer, effect: { kind: 'send_message', text: 'See you at 7' }, perform };
}

/** Waits (on real I/O, not on time) until `done()` holds: audit appends and look-ups are real promises. */
async function until(done: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 2_000 && !(await done()); i++) await new Promise((r) => setTimeout(r, 1));
  expect(await done()).toBe(true);
}
/** Until the gate has put its request to the person (after recording `asked`). */
const askedFor = (callId: string) => until(() => asked.some((a) => a.callId === callId));
/** Until the call's audit trail has `n` entries. */
const trailOf = (callId: string, n: number) => until(async () => (await trail(callId)).length >= n);

async function trail(callId: string) {
  return (await readAuditEntries(join(dir, 'audit.jsonl')))
    .filter((e) => e.call_id === callId)
    .map((e) => `${e.phase}/${e.status}/${e.decided_by}`);
}

function setup(undoMs: number) {
  approvals = new ApprovalQueue({ clock, undoMs, timeoutMs: 60_000 });
  approvals.on('added', (p) => asked.push(p));
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tgb-gate-'));
  audit = await AuditChain.open(join(dir, 'audit.jsonl'));
  clock = new ManualClock(Date.UTC(2026, 0, 1));
  rules = new StandingRules(clock);
  asked = [];
  progress = [];
  writtenTo = new Set([alice.ref, team.ref]);
  calls = 0;
  setup(5_000);
});
afterEach(async () => {
  await audit.close();
  await rm(dir, { recursive: true, force: true });
});

describe('write gate: recorded when asked, then decided', () => {
  it('an approved write: asked (while pending) → decision → intent → result, performed once after the undo window', async () => {
    const done = gateWrite(context('c1'), sendTo(alice));
    await askedFor('c1');
    expect(await trail('c1')).toEqual(['asked/pending/—']); // a crash now leaves the request in the chain
    expect(asked).toHaveLength(1);
    approvals.approve('c1');
    await trailOf('c1', 2);
    expect(await trail('c1')).toEqual(['asked/pending/—', 'decision/ok/person']); // …and now the approval
    expect(calls).toBe(0);
    clock.advance(4_999);
    await new Promise((r) => setTimeout(r, 5));
    expect(calls).toBe(0);
    clock.advance(1);
    expect(await done).toMatchObject({ status: 'sent', decidedBy: 'person', value: 1 });
    expect(calls).toBe(1);
    expect(await trail('c1')).toEqual(['asked/pending/—', 'decision/ok/person', 'intent/ok/person', 'result/ok/person']);
    expect(progress.at(-1)).toMatch(/the person approved send_message; it happens in 5 s unless they undo it/);
  });

  it('an undone write is never performed, the AI is told, and the undo is its own audited decision', async () => {
    const done = gateWrite(context('c2'), sendTo(alice));
    await askedFor('c2');
    approvals.approve('c2');
    clock.advance(2_000);
    expect(approvals.undo('c2')).toBe(true);
    expect(await done).toEqual({ status: 'undone', reason: UNDONE_REASON });
    clock.advance(10_000);
    expect(calls).toBe(0);
    expect(await trail('c2')).toEqual(['asked/pending/—', 'decision/ok/person', 'result/undone/person']);
  });

  it('an undone send reaches the AI as a valid send_message result: sent false, status undone, the reason', async () => {
    const ctx = context('u1');
    ctx.gateway = { ...gateway, resolvePeer: async () => alice } as unknown as TelegramGateway;
    const result = runTool('send_message', { peer: alice.ref, text: 'See you at 7', mode: 'send' }, ctx);
    await askedFor('u1');
    approvals.approve('u1');
    approvals.undo('u1');
    const r = await result;
    expect(r).toEqual({ mode: 'send', peer: alice.ref, sent: false, status: 'undone', text: 'See you at 7', reason: UNDONE_REASON });
    expect(TOOLS.send_message.result.safeParse(r).success).toBe(true);
  });

  it('denied, expired and cancelled end with one result entry and nothing performed', async () => {
    const denied = gateWrite(context('d'), sendTo(alice));
    await askedFor('d');
    approvals.deny('d', 'no');
    expect(await denied).toEqual({ status: 'denied', reason: 'the person denied it: no' });
    const expired = gateWrite(context('e'), sendTo(alice));
    await askedFor('e');
    clock.advance(60_000);
    expect(await expired).toMatchObject({ status: 'expired' });
    const cancelled = gateWrite(context('x'), sendTo(alice));
    await askedFor('x');
    approvals.approve('x');
    approvals.cancel('x', 'client went away'); // during the undo window
    expect(await cancelled).toMatchObject({ status: 'cancelled', reason: expect.stringMatching(/client went away/) });
    expect(calls).toBe(0);
    expect(await trail('d')).toEqual(['asked/pending/—', 'result/denied/person']);
    expect(await trail('e')).toEqual(['asked/pending/—', 'result/expired/—']);
    expect(await trail('x')).toEqual(['asked/pending/—', 'decision/ok/person', 'result/cancelled/—']);
  });

  it('keeps the relay waiting with progress on the injected clock while the person decides', async () => {
    const done = gateWrite(context('p'), sendTo(alice));
    await askedFor('p');
    clock.advance(PROGRESS_INTERVAL_MS * 2);
    expect(progress.filter((m) => /still waiting/.test(m))).toHaveLength(2);
    approvals.deny('p');
    await done;
    clock.advance(PROGRESS_INTERVAL_MS * 3);
    expect(progress.filter((m) => /still waiting/.test(m))).toHaveLength(2);
  });
});

describe('write gate: the view and standing rules', () => {
  it('asks with the view built from the plan: reply_to with its first line, client, rule scope', async () => {
    setup(0);
    const done = gateWrite(context('v'), {
      ...sendTo(alice),
      effect: { kind: 'send_message', text: 'Yes!', replyTo: 41 },
    });
    await askedFor('v');
    expect(asked[0]!.view).toMatchObject({
      effect: 'Send a message to ‹Alice Example›',
      replyTo: { id: 41, from: 'Priya', preview: 'message 41' },
      client: 'test-ai',
      text: { shown: 'Yes!', format: 'plain', editable: true },
      rule: { allowed: true },
    });
    expect(asked[0]!.rule).toEqual({ tool: 'send_message', peerRef: alice.ref });
    approvals.approve('v');
    await done;
  });

  it('a first contact is flagged, offers no rule, and always asks', async () => {
    setup(0);
    const stranger: ResolvedPeer = { ...alice, ref: 'user:9', id: '9', title: 'Stranger' };
    const done = gateWrite(context('f'), sendTo(stranger));
    await askedFor('f');
    expect(asked[0]!.view.flags[0]).toEqual({
      code: 'first_contact',
      message: 'you have never messaged ‹Stranger› (@alice_demo) — check this is who you mean',
    });
    expect(asked[0]!.view.rule).toMatchObject({ allowed: false });
    expect(asked[0]!.rule).toBeUndefined();
    approvals.approve('f');
    await done;
  });

  it('a rule lets the same effect through unasked (decided_by rule); another source or destination still asks', async () => {
    setup(0);
    const fwd = (callId: string, source: ResolvedPeer, to: ResolvedPeer) =>
      gateWrite(context(callId, 'forward_messages'), {
        tool: 'forward_messages',
        peer: to,
        effect: { kind: 'forward_messages', source, messages: [message(source, 1, 'x')] },
        perform: async () => ++calls,
      });
    rules.add({ tool: 'forward_messages', peerRef: alice.ref, sourceRef: team.ref, peerTitle: 'Alice', durationMs: 60_000 });
    expect(await fwd('r1', team, alice)).toMatchObject({ status: 'sent', decidedBy: 'rule' });
    expect(await trail('r1')).toEqual(['intent/ok/rule', 'result/ok/rule']);
    const other: ResolvedPeer = { ...team, ref: 'chat:78', id: '78', title: 'Other' };
    const asking = fwd('r2', other, alice);
    await askedFor('r2');
    expect(asked.map((a) => a.callId)).toEqual(['r2']);
    expect(asked[0]!.view.rule).toMatchObject({
      allowed: true,
      scope: 'The AI may forward messages from ‹Other› to ‹Alice Example› without asking you, for 1 hour (other sources or destinations still ask).',
    });
    approvals.deny('r2');
    await asking;
  });

  it('a delete for everyone is never covered by a rule and offers none', async () => {
    setup(0);
    rules.add({ tool: 'delete_messages', peerRef: team.ref, revoke: false, peerTitle: 'Team', durationMs: 60_000 });
    const del = (callId: string, revoke: boolean) =>
      gateWrite(context(callId, 'delete_messages'), {
        tool: 'delete_messages',
        peer: team,
        effect: { kind: 'delete_messages', revoke, messages: [message(team, 3, 'x')] },
        perform: async () => ++calls,
      });
    expect(await del('k1', false)).toMatchObject({ status: 'sent', decidedBy: 'rule' });
    const everyone = del('k2', true);
    await askedFor('k2');
    expect(asked[0]!.view.rule).toEqual({ allowed: false, why: 'deleting for everyone always asks' });
    expect(asked[0]!.view.flags.map((f) => f.code)).toEqual(['for_everyone']);
    approvals.deny('k2');
    expect(await everyone).toMatchObject({ status: 'denied' });
  });

  it('an edit of a write without text of its own is refused as a denial; nothing is performed', async () => {
    setup(0);
    const done = gateWrite(context('pin', 'pin_message'), {
      tool: 'pin_message',
      peer: team,
      effect: { kind: 'pin_message', message: message(team, 3, 'x'), unpin: false },
      perform: async () => ++calls,
    });
    await askedFor('pin');
    approvals.approve('pin', { text: 'Pin something else' });
    expect(await done).toMatchObject({ status: 'denied', reason: expect.stringMatching(/cannot be edited/) });
    expect(calls).toBe(0);
  });
});

describe('per-call audit recorder', () => {
  it('a failing Telegram call is recorded once, by the gate; the registry adds nothing', async () => {
    setup(0);
    approvals.on('added', (p) => approvals.approve(p.callId));
    const ctx = context('t1');
    const fails = async (): Promise<number> => {
      throw new ToolError(ToolErrorCode.floodWait, 'retry after 42 s');
    };
    await expect(gateWrite(ctx, sendTo(alice, fails))).rejects.toMatchObject({ code: 'flood_wait' });
    expect(ctx.audit.hasResult).toBe(true);
    expect(await trail('t1')).toEqual(['asked/pending/—', 'decision/ok/person', 'intent/ok/person', 'result/error/person']);
  });

  it('a write that fails before the gate (peer not found) gets exactly one result entry from the registry', async () => {
    const ctx = context('t2');
    ctx.gateway = {
      resolvePeer: async () => {
        throw new ToolError(ToolErrorCode.peerNotFound, 'no such peer');
      },
    } as unknown as TelegramGateway;
    await expect(runTool('send_message', { peer: '@nobody', text: 'hi', mode: 'send' }, ctx)).rejects.toMatchObject({
      code: 'peer_not_found',
    });
    expect(await trail('t2')).toEqual(['result/error/—']);
    expect(ctx.audit.written().map((e) => e.phase)).toEqual(['result']);
  });

  it('a rate-limited write is recorded once and nothing is asked', async () => {
    const ctx = context('t3');
    ctx.limiter = new WriteRateLimiter(() => clock.now(), {
      account: { capacity: 1, windowMs: 60_000 },
      peer: { capacity: 0, windowMs: 3_600_000 },
    });
    await expect(runTool('send_message', { peer: alice.ref, text: 'hi', mode: 'send' }, { ...ctx, gateway: { ...gateway, resolvePeer: async () => alice } as unknown as TelegramGateway })).rejects.toMatchObject({ code: 'rate_limited' });
    expect(asked).toEqual([]);
    expect(await trail('t3')).toEqual(['result/rate_limited/—']);
  });
});
