/**
 * First contact against the sandbox (issue 8 §1): the gateway tells whether the account ever wrote in a chat,
 * and a send to someone it never wrote to is flagged in the approval, with no standing rule on offer.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditChain } from '../../../bridge/audit/auditChain.js';
import { BridgeEngine } from '../../../bridge/engine.js';
import { ApprovalQueue, type PendingApproval } from '../../../bridge/policy/approvals.js';
import type { GramjsGateway } from '../../../bridge/telegram/gateway.js';
import { type Sandbox, startSandbox } from '../../../sandbox/index.js';
import { sandboxGateway } from '../../helpers/sandboxGateway.js';

let sandbox: Sandbox;
let gateway: GramjsGateway;
let engine: BridgeEngine;
let dir: string;
const asked: PendingApproval[] = [];

beforeAll(async () => {
  sandbox = await startSandbox();
  dir = await mkdtemp(join(tmpdir(), 'tgb-first-'));
  gateway = sandboxGateway(sandbox);
  const approvals = new ApprovalQueue({ undoMs: 0 });
  approvals.on('added', (p) => {
    asked.push(p);
    approvals.approve(p.callId);
  });
  engine = new BridgeEngine({ gateway, audit: await AuditChain.open(join(dir, 'audit.jsonl')), approvals });
});
afterAll(async () => {
  await engine.close();
  await sandbox.stop();
  await rm(dir, { recursive: true, force: true });
});

const userWith = (out: boolean) =>
  sandbox.control.users().find((u) => sandbox.control.history(`user:${u.id}`).some((m) => m.out) === out)!;

describe('first contact', () => {
  it('hasWrittenTo: true where the account has messages of its own, false elsewhere (users and channels)', async () => {
    const friend = await gateway.resolvePeer({ kind: 'user', id: String(userWith(true).id) });
    const stranger = await gateway.resolvePeer({ kind: 'user', id: String(userWith(false).id) });
    expect(await gateway.hasWrittenTo(friend)).toBe(true);
    expect(await gateway.hasWrittenTo(stranger)).toBe(false);
    const news = sandbox.control.channels().find((c) => !c.megagroup)!;
    expect(await gateway.hasWrittenTo(await gateway.resolvePeer({ kind: 'channel', id: String(news.id) }))).toBe(false);
  });

  it('a send to someone never messaged is flagged and offers no rule; once written to, neither applies', async () => {
    const stranger = userWith(false);
    const peer = `user:${stranger.id}`;
    await engine.call({ callId: 'f1', tool: 'send_message', args: { peer, text: 'Hello, we met at the fair', mode: 'send' } });
    expect(asked.at(-1)!.view.flags.map((f) => f.code)).toContain('first_contact');
    expect(asked.at(-1)!.view.flags[0]!.message).toMatch(/^you have never messaged ‹.+›/);
    expect(asked.at(-1)!.view.rule.allowed).toBe(false);
    expect(asked.at(-1)!.rule).toBeUndefined();
    await engine.call({ callId: 'f2', tool: 'send_message', args: { peer, text: 'Second message', mode: 'send' } });
    expect(asked.at(-1)!.view.flags.map((f) => f.code)).not.toContain('first_contact');
    expect(asked.at(-1)!.view.rule.allowed).toBe(true);
  });
});
