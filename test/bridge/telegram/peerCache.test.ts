/**
 * The gateway's peer cache (issue 12): a read on a peer seen in dialogs or resolved before costs one MTProto
 * request, counted by the sandbox (`rpcCounts`); entries expire; and a client recreated after an outage
 * (which lost gramjs's access hashes) still reads a cached peer.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AuditChain } from '../../../bridge/audit/auditChain.js';
import { BridgeEngine } from '../../../bridge/engine.js';
import { ApprovalQueue } from '../../../bridge/policy/approvals.js';
import { type ResolvedPeer } from '../../../bridge/telegram/gateway.js';
import { PeerCache } from '../../../bridge/telegram/peerCache.js';
import { type Sandbox, startSandbox } from '../../../sandbox/index.js';
import { sandboxGateway } from '../../helpers/sandboxGateway.js';

const peer = (over: Partial<ResolvedPeer> = {}): ResolvedPeer => ({
  ref: 'user:7',
  kind: 'user',
  id: '7',
  title: 'Priya',
  username: 'Priya_Raman',
  ...over,
});

describe('PeerCache', () => {
  it('finds a peer by id and by @username in any case, until its lifetime ends', () => {
    let now = 1_000;
    const cache = new PeerCache(60_000, 100, () => now);
    cache.put(peer());
    expect(cache.get({ kind: 'user', id: '7' })?.title).toBe('Priya');
    expect(cache.get({ kind: 'username', username: 'priya_raman' })?.id).toBe('7');
    expect(cache.get({ kind: 'chat', id: '7' })).toBeUndefined(); // same number, other kind
    now += 59_999;
    expect(cache.get({ kind: 'user', id: '7' })).toBeDefined();
    now += 1;
    expect(cache.get({ kind: 'user', id: '7' })).toBeUndefined();
    expect(cache.get({ kind: 'username', username: 'PRIYA_RAMAN' })).toBeUndefined();
  });

  it('a new sighting restarts the lifetime and replaces the title', () => {
    let now = 0;
    const cache = new PeerCache(1_000, 100, () => now);
    cache.put(peer());
    now = 900;
    cache.put(peer({ title: 'Priya R.' }));
    now = 1_500;
    expect(cache.get({ kind: 'user', id: '7' })?.title).toBe('Priya R.');
  });

  it('keeps at most `max` keys, dropping the oldest stored first', () => {
    const cache = new PeerCache(60_000, 3);
    for (let i = 1; i <= 5; i++) cache.put(peer({ id: String(i), ref: `user:${i}`, username: null }));
    expect(cache.size).toBe(3);
    expect(cache.get({ kind: 'user', id: '2' })).toBeUndefined();
    expect(cache.get({ kind: 'user', id: '5' })).toBeDefined();
  });
});

describe('MTProto requests per tool call (counted by the sandbox)', () => {
  let sandbox: Sandbox;
  let dir: string;
  let audit: AuditChain;
  const closers: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    sandbox = await startSandbox();
    dir = await mkdtemp(join(tmpdir(), 'tgb-peercache-'));
    audit = await AuditChain.open(join(dir, 'audit.jsonl'));
  });
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });
  afterAll(async () => {
    await audit.close();
    await sandbox.stop();
    await rm(dir, { recursive: true, force: true });
  });

  function engineOnSandbox(): BridgeEngine {
    const gateway = sandboxGateway(sandbox);
    closers.push(() => gateway.close());
    return new BridgeEngine({ gateway, audit, approvals: new ApprovalQueue() });
  }

  let seq = 0;
  async function countedCall(engine: BridgeEngine, tool: string, args: Record<string, unknown>) {
    sandbox.control.resetRpcCounts();
    const result = (await engine.call({ callId: `pc${++seq}`, tool, args })) as { isError?: boolean };
    expect(result.isError).toBeFalsy();
    return sandbox.control.rpcCounts();
  }

  it('get_messages on a peer seen in list_dialogs is one request: messages.getHistory', async () => {
    const engine = engineOnSandbox();
    await countedCall(engine, 'list_dialogs', { limit: 50 });
    const refs = [
      `chat:${sandbox.control.chats()[0]!.id}`,
      `channel:${sandbox.control.channels()[0]!.id}`,
      `user:${sandbox.control.users()[0]!.id}`,
      `@${sandbox.control.users()[0]!.username!.toUpperCase()}`,
    ];
    for (const ref of refs) {
      expect(await countedCall(engine, 'get_messages', { peer: ref, limit: 10 })).toEqual({ 'messages.GetHistory': 1 });
    }
  });

  it('a @username resolved once is not resolved again', async () => {
    const engine = engineOnSandbox();
    const username = sandbox.control.users()[1]!.username!;
    const first = await countedCall(engine, 'get_messages', { peer: `@${username}`, limit: 5 });
    expect(first['contacts.ResolveUsername']).toBe(1);
    expect(first['messages.GetHistory']).toBe(1);
    expect(await countedCall(engine, 'get_messages', { peer: `@${username}`, limit: 5 })).toEqual({
      'messages.GetHistory': 1,
    });
    const userId = sandbox.control.users()[1]!.id;
    expect(await countedCall(engine, 'get_messages', { peer: `user:${userId}`, limit: 5 })).toEqual({
      'messages.GetHistory': 1,
    });
  });
});

describe('a cached peer after Telegram went away and came back', () => {
  it('is read through the recreated client, which looks its access hash up again', async () => {
    let sandbox = await startSandbox();
    const { port, authKeys } = sandbox;
    const gateway = sandboxGateway(sandbox, { connectTimeoutMs: 3_000, callTimeoutMs: 3_000 });
    try {
      const channel = sandbox.control.channels()[0]!;
      await gateway.listDialogs({ limit: 50 });
      const cached = await gateway.resolvePeer({ kind: 'channel', id: String(channel.id) });
      const before = gateway.telegramClient;
      await sandbox.stop();
      await expect(gateway.listDialogs({ limit: 2 })).rejects.toMatchObject({ code: 'telegram_unavailable' });
      sandbox = await startSandbox({ port, authKeys });
      const messages = await gateway.getMessages(cached, { limit: 3 });
      expect(gateway.telegramClient).not.toBe(before);
      expect(messages.length).toBeGreaterThan(0);
      expect(messages.every((m) => m.peer.ref === `channel:${channel.id}`)).toBe(true);
    } finally {
      await gateway.close();
      await sandbox.stop();
    }
  }, 40_000);
});
