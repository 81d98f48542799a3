/**
 * The device against a plain mctl-style relay (PROTOCOL.md frames only, no `welcome`), with the real sandbox:
 * calls work, approvals stay under the relay's 30 s deadline, `cancel` and link loss withdraw a pending
 * write, and a repeated call id never writes twice.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BridgeHost, startBridgeHost } from '../../../bridge/host/bridgeHost.js';
import { type Sandbox, startSandbox } from '../../../sandbox/index.js';
import { type MiniRelay, miniRelay, TOKEN } from '../../helpers/miniRelay.js';
import { sandboxGateway } from '../../helpers/sandboxGateway.js';

let sandbox: Sandbox;
let relay: MiniRelay;
let host: BridgeHost;
let home: string;

beforeAll(async () => {
  sandbox = await startSandbox();
  home = await mkdtemp(join(tmpdir(), 'tgb-host-'));
  relay = await miniRelay();
  host = await startBridgeHost({
    relayUrl: relay.url,
    bridgeToken: TOKEN,
    auditPath: join(home, 'audit.jsonl'),
    gateway: sandboxGateway(sandbox),
    link: { backoff: { initialMs: 50, maxMs: 100 } },
    undoMs: 1_000, // short, so approved writes here wait only 1 s of real time
  });
  await relay.next('hello');
});
afterAll(async () => {
  await host?.stop();
  await relay?.close();
  await sandbox?.stop();
  await rm(home, { recursive: true, force: true });
});

function friend(i = 0): string {
  return `user:${sandbox.control.users()[i]!.id}`;
}

describe('device ↔ plain mctl relay', () => {
  it('ignores a logout frame from the relay: only a local front door can log the account out', async () => {
    const sessions = sandbox.control.sessions().length;
    relay.send({ type: 'logout', id: 'evil' });
    relay.send({ type: 'call', id: 'r0', tool: 'list_dialogs', args: { limit: 1 } });
    expect(await relay.next('response')).toMatchObject({ id: 'r0' });
    expect(relay.frames.some((f) => f.id === 'evil')).toBe(false);
    expect(sandbox.control.sessions().length).toBe(sessions);
    const loggedOut = await Promise.race([host.loggedOut.then(() => true), Promise.resolve(false)]);
    expect(loggedOut).toBe(false);
  });

  it('answers a call with a response frame', async () => {
    relay.send({ type: 'call', id: 'r1', tool: 'list_dialogs', args: { limit: 2 } });
    const res = await relay.next('response');
    expect(res).toMatchObject({ id: 'r1', result: { dialogs: expect.any(Array) } });
  });

  it('keeps approvals under the 30 s deadline of a relay that sent no welcome', async () => {
    const added = new Promise<{ createdAt: number; expiresAt: number; callId: string; view: { undoMs: number } }>(
      (resolve) => host.approvals.on('added', resolve),
    );
    relay.send({ type: 'call', id: 'r2', tool: 'send_message', args: { peer: friend(), text: 'x', mode: 'send' } });
    const p = await added;
    // The decision and the undo window after it both end before the relay gives up.
    expect(p.view.undoMs).toBe(1_000);
    expect(p.expiresAt - p.createdAt + p.view.undoMs).toBe(25_000);
    expect(await relay.next('progress')).toMatchObject({ id: 'r2' });
    host.approvals.deny(p.callId, 'test');
    expect(await relay.next('response')).toMatchObject({ id: 'r2', result: { sent: false, status: 'denied' } });
  });

  it('a cancel frame withdraws the pending write; nothing is sent', async () => {
    const before = sandbox.control.sentMessages().length;
    const added = new Promise<string>((resolve) => host.approvals.on('added', (p) => resolve(p.callId)));
    relay.send({ type: 'call', id: 'r3', tool: 'send_message', args: { peer: friend(), text: 'cancel me', mode: 'send' } });
    const callId = await added;
    relay.send({ type: 'cancel', id: 'r3', reason: 'client cancelled' });
    expect(await relay.next('response')).toMatchObject({ id: 'r3', result: { sent: false, status: 'cancelled' } });
    expect(host.approvals.approve(callId)).toBe(false); // too late: it can no longer be approved
    expect(sandbox.control.sentMessages().length).toBe(before);
  });

  it('an approved write is performed once even when the relay delivers the same call id again', async () => {
    const text = `once ${Date.now()}`;
    const onAdded = (p: { callId: string }) => host.approvals.approve(p.callId);
    host.approvals.on('added', onAdded);
    try {
      relay.send({ type: 'call', id: 'r4', tool: 'send_message', args: { peer: friend(1), text, mode: 'send' } });
      const first = await relay.next('response');
      relay.send({ type: 'call', id: 'r4', tool: 'send_message', args: { peer: friend(1), text, mode: 'send' } });
      const second = await relay.next('response');
      expect(second.result).toEqual(first.result);
      expect(sandbox.control.sentMessages().filter((m) => m.text === text)).toHaveLength(1);
    } finally {
      host.approvals.off('added', onAdded);
    }
  });

  it('an approval undone within the undo window is never sent, and the AI hears "undone"', async () => {
    const text = `undo me ${Date.now()}`;
    const held = new Promise<string>((resolve) => host.approvals.on('held', (h) => resolve(h.callId)));
    const onAdded = (p: { callId: string }) => host.approvals.approve(p.callId);
    host.approvals.on('added', onAdded);
    try {
      relay.send({ type: 'call', id: 'r6', tool: 'send_message', args: { peer: friend(1), text, mode: 'send' } });
      const callId = await held;
      expect(host.approvals.holds().map((h) => h.callId)).toEqual([callId]);
      expect(host.approvals.undo(callId)).toBe(true);
      const res = await relay.next('response');
      expect(res).toMatchObject({ id: 'r6', result: { sent: false, status: 'undone', reason: expect.stringMatching(/undid it/) } });
      expect(sandbox.control.sentMessages().filter((m) => m.text === text)).toHaveLength(0);
    } finally {
      host.approvals.off('added', onAdded);
    }
  });

  it('a relay cancel during the undo window withdraws the approved write: nothing is sent, and undo no longer applies', async () => {
    const text = `cancel in window ${Date.now()}`;
    const held = new Promise<string>((resolve) => host.approvals.on('held', (h) => resolve(h.callId)));
    const onAdded = (p: { callId: string }) => host.approvals.approve(p.callId);
    host.approvals.on('added', onAdded);
    try {
      relay.send({ type: 'call', id: 'r9', tool: 'send_message', args: { peer: friend(1), text, mode: 'send' } });
      const callId = await held;
      relay.send({ type: 'cancel', id: 'r9', reason: 'client went away' });
      const res = await relay.next('response');
      expect(res).toMatchObject({ id: 'r9', result: { sent: false, status: 'cancelled' } });
      expect(host.approvals.holds()).toEqual([]);
      expect(host.approvals.undo(callId)).toBe(false);
      // Past the 1 s window: still nothing arrived.
      await new Promise((r) => setTimeout(r, 1_200));
      expect(sandbox.control.sentMessages().filter((m) => m.text === text)).toHaveLength(0);
    } finally {
      host.approvals.off('added', onAdded);
    }
  });

  it('rules are made only on the device: nothing the relay sends approves a write or makes a standing rule', async () => {
    const added = new Promise<string>((resolve) => host.approvals.on('added', (p) => resolve(p.callId)));
    relay.send({ type: 'call', id: 'r7', tool: 'send_message', args: { peer: friend(2), text: 'rule?', mode: 'send' } });
    const callId = await added;
    relay.send({ type: 'approve', id: 'r7', always: true } as never);
    relay.send({ type: 'rule', tool: 'send_message', peer: friend(2), duration_ms: 3_600_000 } as never);
    relay.send({ type: 'call', id: 'r8', tool: 'send_message', args: { peer: friend(2), text: 'x', mode: 'send', always: true } });
    expect(await relay.next('error')).toMatchObject({ id: 'r8', error: expect.stringMatching(/always/) });
    expect(host.engine.rules.list()).toEqual([]);
    expect(host.approvals.pending().map((p) => p.callId)).toContain(callId);
    host.approvals.deny(callId, 'test');
    expect(await relay.next('response')).toMatchObject({ id: 'r7', result: { sent: false, status: 'denied' } });
  });

  it('losing the link withdraws a pending write, and the device redials', async () => {
    const before = sandbox.control.sentMessages().length;
    const added = new Promise<string>((resolve) => host.approvals.on('added', (p) => resolve(p.callId)));
    relay.send({ type: 'call', id: 'r5', tool: 'send_message', args: { peer: friend(), text: 'lost', mode: 'send' } });
    const callId = await added;
    for (const s of relay.sockets) s.terminate();
    await new Promise((r) => setTimeout(r, 100));
    expect(host.approvals.pending().some((p) => p.callId === callId)).toBe(false);
    expect(host.approvals.approve(callId)).toBe(false);
    await relay.next('hello'); // redialed
    expect(sandbox.control.sentMessages().length).toBe(before);
  });
});
