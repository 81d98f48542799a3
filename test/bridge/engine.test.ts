/**
 * Engine policy against the sandbox: write limits keyed on the real peer id (not the string the AI typed),
 * answered with a readable retry-after; Telegram's FLOOD_WAIT reaching the AI as a retry-after at once
 * (gramjs never sleeps on it); and every outcome in the audit chain.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditChain, readAuditEntries } from '../../bridge/audit/auditChain.js';
import { BridgeEngine } from '../../bridge/engine.js';
import { ApprovalQueue } from '../../bridge/policy/approvals.js';
import { WriteRateLimiter } from '../../bridge/policy/rateLimits.js';
import { type Sandbox, startSandbox } from '../../sandbox/index.js';
import { sandboxGateway } from '../helpers/sandboxGateway.js';

let sandbox: Sandbox;
let engine: BridgeEngine;
let dir: string;
let seq = 0;

beforeAll(async () => {
  sandbox = await startSandbox();
  dir = await mkdtemp(join(tmpdir(), 'tgb-engine-'));
  const approvals = new ApprovalQueue({ timeoutMs: 5_000, undoMs: 0 });
  approvals.on('added', (p) => approvals.approve(p.callId));
  engine = new BridgeEngine({
    gateway: sandboxGateway(sandbox),
    audit: await AuditChain.open(join(dir, 'audit.jsonl')),
    approvals,
    // 3 writes per hour per peer, 100 per minute per account: small enough to hit in a test.
    limiter: new WriteRateLimiter(Date.now, {
      account: { capacity: 100, windowMs: 60_000 },
      peer: { capacity: 3, windowMs: 3_600_000 },
    }),
  });
});
afterAll(async () => {
  await engine.close();
  await sandbox.stop();
  await rm(dir, { recursive: true, force: true });
});

const send = (peer: string, text: string) =>
  engine.call({ callId: `e${++seq}`, tool: 'send_message', args: { peer, text, mode: 'send' } });

describe('engine policy', () => {
  it('limits writes per real peer id, whatever form the AI uses, with a retry-after it can read', async () => {
    const friend = sandbox.control.users().find((u) => u.username)!;
    await send(`@${friend.username}`, 'one');
    await send(`user:${friend.id}`, 'two');
    await send(String(friend.id), 'three');
    await expect(send(`@${friend.username}`, 'four')).rejects.toMatchObject({
      code: 'rate_limited',
      message: expect.stringMatching(/allows 3 writes per 1 h to this chat; nothing was sent. Retry after \d+ s/),
      details: { retryAfterSeconds: expect.any(Number) },
    });
    expect(sandbox.control.sentMessages().filter((m) => m.text === 'four')).toHaveLength(0);
    // Another chat still has its own budget.
    const other = sandbox.control.users().find((u) => u.id !== friend.id)!;
    await expect(send(`user:${other.id}`, 'elsewhere')).resolves.toMatchObject({ sent: true });
    expect((await readAuditEntries(join(dir, 'audit.jsonl'))).some((e) => e.status === 'rate_limited')).toBe(true);
  });

  it("Telegram's FLOOD_WAIT reaches the AI at once as a retry-after, and nothing is sent", async () => {
    const friend = sandbox.control.users().at(-1)!;
    sandbox.control.failNext('messages.sendMessage', 'FLOOD_WAIT_42');
    const t0 = Date.now();
    await expect(send(`user:${friend.id}`, 'flooded')).rejects.toMatchObject({
      code: 'flood_wait',
      message: expect.stringMatching(/retry after 42 s/),
      details: { retryAfterSeconds: 42 },
    });
    expect(Date.now() - t0).toBeLessThan(5_000); // never sleeps the call away
    expect(sandbox.control.sentMessages().some((m) => m.text === 'flooded')).toBe(false);
    const last = (await readAuditEntries(join(dir, 'audit.jsonl'))).at(-1);
    expect(last).toMatchObject({ phase: 'result', status: 'error', error: 'flood_wait' });
  });
});
