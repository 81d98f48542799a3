/**
 * Group commit (issue 12): concurrent appends share one write and one fdatasync; a durable append resolves
 * only once its line is on disk; a read call costs one fdatasync (its intent's, overlapped with Telegram; the
 * answer waits for it), its result entry is in the file when the answer leaves and durable with the next call or
 * soon after; a write's intent is durable before Telegram is called (custody rule 4). fdatasync calls are
 * counted on the FileHandle prototype.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { type FileHandle, mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AuditChain, DeviceKey, readAuditEntries } from '../../../bridge/audit/auditChain.js';
import { BridgeEngine } from '../../../bridge/engine.js';
import { ApprovalQueue } from '../../../bridge/policy/approvals.js';
import { startSandbox } from '../../../sandbox/index.js';
import { sandboxGateway } from '../../helpers/sandboxGateway.js';

let dir: string;
let syncs: { started: number; finished: number; handles: FileHandle[]; done: FileHandle[] };
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'audit-gc-'));
  syncs = { started: 0, finished: 0, handles: [], done: [] };
  const probe = await open(join(dir, 'probe'), 'w');
  const proto = Object.getPrototypeOf(probe) as FileHandle;
  await probe.close();
  const original = proto.datasync;
  vi.spyOn(proto, 'datasync').mockImplementation(async function (this: FileHandle) {
    syncs.started++;
    syncs.handles.push(this);
    await original.call(this);
    syncs.finished++;
    syncs.done.push(this);
  });
});
afterEach(async () => {
  vi.restoreAllMocks();
  await rm(dir, { recursive: true, force: true });
});

const entry = (i: number) => ({ call_id: `c${i}`, tool: 'get_messages', phase: 'result' as const, status: 'ok' as const });

describe('group commit', () => {
  it('200 concurrent durable appends: call order kept, far fewer fdatasyncs than appends', async () => {
    const chain = await AuditChain.open(join(dir, 'audit.jsonl'));
    const before = syncs.finished;
    const done = await Promise.all(Array.from({ length: 200 }, (_, i) => chain.append(entry(i))));
    expect(done.map((e) => e.seq)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    const used = syncs.finished - before;
    expect(used).toBeGreaterThanOrEqual(1);
    expect(used).toBeLessThanOrEqual(3); // the first append's own batch, then everything queued meanwhile
    expect(await chain.verify()).toMatchObject({ ok: true, verified: 200 });
    await chain.close();
  });

  it('a durable append resolves only after its fdatasync finished', async () => {
    const chain = await AuditChain.open(join(dir, 'audit.jsonl'));
    const before = syncs.finished;
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        chain.append(entry(i)).then((e) => {
          // Every batch up to and including this entry's has been synced when it resolves.
          expect(syncs.finished).toBeGreaterThan(before);
          expect(syncs.started).toBe(syncs.finished);
          return e;
        }),
      ),
    );
    await chain.close();
  });

  it('a non-durable append resolves at once; the next durable append makes both durable with one fdatasync', async () => {
    const path = join(dir, 'audit.jsonl');
    const chain = await AuditChain.open(path);
    const before = syncs.finished;
    const intent = await chain.append({ ...entry(1), phase: 'intent' }, { durable: false });
    expect(intent.seq).toBe(1);
    expect(syncs.finished).toBe(before);
    await chain.append(entry(2));
    expect(syncs.finished - before).toBe(1);
    expect((await readAuditEntries(path)).map((e) => e.seq)).toEqual([1, 2]);
    await chain.close();
  });

  it('onAppended hears of entries once durable: a non-durable one with the durable append after it', async () => {
    const chain = await AuditChain.open(join(dir, 'audit.jsonl'));
    const heard: number[] = [];
    const off = chain.onAppended((e) => heard.push(e.seq));
    chain.onAppended(() => {
      throw new Error('a failing viewer');
    });
    await chain.append({ ...entry(1), phase: 'intent' }, { durable: false });
    expect(heard).toEqual([]);
    await chain.append(entry(2));
    expect(heard).toEqual([1, 2]);
    off();
    await chain.append(entry(3));
    expect(heard).toEqual([1, 2]);
    await chain.close();
  });

  it("a 'soon' append resolves once written, and becomes durable by itself shortly after", async () => {
    const path = join(dir, 'audit.jsonl');
    const chain = await AuditChain.open(path);
    const heard: number[] = [];
    const synced = new Promise<void>((resolve) => chain.onAppended(() => resolve()));
    chain.onAppended((e) => heard.push(e.seq));
    const before = syncs.finished;
    const e = await chain.append(entry(1), { durable: 'soon' });
    // In the file as soon as the append resolves; no fdatasync was waited for.
    expect((await readFile(path, 'utf8')).trim().split('\n').map((l) => JSON.parse(l).seq)).toEqual([e.seq]);
    expect(heard).toEqual([]);
    // Nothing else is appended, yet it becomes durable (the lazy sync).
    await synced;
    expect(heard).toEqual([1]);
    expect(syncs.finished - before).toBe(1);
    // A 'soon' entry followed by a durable one: both durable with one fdatasync.
    const mid = syncs.finished;
    await chain.append(entry(2), { durable: 'soon' });
    await chain.append(entry(3));
    expect(heard).toEqual([1, 2, 3]);
    expect(syncs.finished - mid).toBe(1);
    await chain.close();
    expect(syncs.finished - mid).toBe(1);
  });

  it('close makes a trailing non-durable append durable', async () => {
    const path = join(dir, 'audit.jsonl');
    const chain = await AuditChain.open(path);
    await chain.append(entry(1), { durable: false });
    const before = syncs.finished;
    await chain.close();
    expect(syncs.finished - before).toBe(1);
    expect(await readAuditEntries(path)).toHaveLength(1);
  });

  it('a failed write rejects the waiting appends and stops the chain until it is reopened', async () => {
    const chain = await AuditChain.open(join(dir, 'audit.jsonl'));
    vi.spyOn(fs, 'writeSync').mockImplementationOnce(() => {
      throw Object.assign(new Error('ENOSPC: no space left'), { code: 'ENOSPC' });
    });
    await expect(chain.append(entry(1))).rejects.toThrow(/could not write to audit chain .*ENOSPC/);
    await expect(chain.append(entry(2))).rejects.toThrow(/stopped after a failed write/);
    await chain.close();
  });
});

describe('head record pacing', () => {
  it('one head write per 50 ms at most while appending, and flush brings the head to the tip', async () => {
    const path = join(dir, 'audit.jsonl');
    const chain = await AuditChain.open(path, { deviceKey: DeviceKey.fromSecret(randomBytes(32)) });
    const logHandleSyncs = () => {
      const counts = new Map<FileHandle, number>();
      for (const h of syncs.done) counts.set(h, (counts.get(h) ?? 0) + 1);
      return counts;
    };
    const t0 = performance.now();
    for (let i = 0; i < 40; i++) await chain.append(entry(i));
    const elapsed = performance.now() - t0;
    const counts = logHandleSyncs();
    const log = Math.max(...counts.values());
    const headWrites = syncs.done.length - log;
    expect(log).toBeGreaterThanOrEqual(40);
    // Pacing (HEAD_INTERVAL_MS = 50): the opening head write, then one per 50 ms of appending, plus one in flight.
    expect(headWrites).toBeLessThanOrEqual(Math.ceil(elapsed / 50) + 2);
    await chain.flush();
    expect(JSON.parse(await readFile(chain.headPath, 'utf8'))).toMatchObject({ seq: 40, hash: chain.lastHash });
    await chain.close();
  });
});

describe('engine calls and fdatasync', () => {
  it('a read call costs one fdatasync, its intent durable before the answer; a write has its intent durable before Telegram is called', async () => {
    const sandbox = await startSandbox();
    const path = join(dir, 'audit.jsonl');
    // No lazy sync during the test: every fdatasync counted below is one a call waited for.
    const audit = await AuditChain.open(path, { deviceKey: DeviceKey.fromSecret(randomBytes(32)), lazySyncMs: 3_600_000 });
    const approvals = new ApprovalQueue({ timeoutMs: 5_000 });
    approvals.on('added', (p) => approvals.approve(p.callId));
    const gateway = sandboxGateway(sandbox);
    const engine = new BridgeEngine({ gateway, audit, approvals });
    try {
      for (const callId of ['warm1', 'warm2', 'warm3']) await engine.call({ callId, tool: 'list_dialogs', args: { limit: 5 } });
      await audit.flush();
      // The audit file's own handle is the one that syncs again and again; the head record is written through
      // a new temporary file each time, off the call's path (it does not hold up the answer).
      const counts = new Map<FileHandle, number>();
      for (const h of syncs.handles) counts.set(h, (counts.get(h) ?? 0) + 1);
      const logHandle = [...counts].sort((a, b) => b[1] - a[1])[0]![0];
      const logSyncs = () => syncs.done.filter((h) => h === logHandle).length;
      const durableSeqs: number[] = [];
      audit.onAppended((e) => durableSeqs.push(e.seq));
      for (let i = 0; i < 3; i++) {
        const before = logSyncs();
        await engine.call({ callId: `r${i}`, tool: 'list_dialogs', args: { limit: 5 } });
        expect(logSyncs() - before).toBe(1);
        // Both entries are in the file when the answer comes; the intent is durable (custody rule 4).
        const entries = await readAuditEntries(path);
        expect(entries.slice(-2).map((e) => [e.call_id, e.phase])).toEqual([
          [`r${i}`, 'intent'],
          [`r${i}`, 'result'],
        ]);
        expect(durableSeqs).toContain(entries.at(-2)!.seq);
      }
      // The last result entry needs no call after it to become durable.
      await audit.flush();
      expect(durableSeqs).toContain((await readAuditEntries(path)).at(-1)!.seq);

      // Custody rule 4: when the gateway is asked to send, the intent is in the file and synced.
      const friend = sandbox.control.users().find((u) => u.username)!;
      const send = gateway.sendMessage.bind(gateway);
      let seenAtSend: { last: string; logSyncs: number; logSyncing: boolean } | null = null;
      const started = () => syncs.handles.filter((h) => h === logHandle).length;
      vi.spyOn(gateway, 'sendMessage').mockImplementation(async (...args) => {
        const lines = (await readFile(path, 'utf8')).trim().split('\n');
        seenAtSend = { last: lines.at(-1)!, logSyncs: logSyncs(), logSyncing: started() !== logSyncs() };
        return send(...args);
      });
      const syncedBefore = logSyncs();
      await engine.call({ callId: 'w1', tool: 'send_message', args: { peer: `@${friend.username}`, text: 'hi', mode: 'send' } });
      expect(seenAtSend).not.toBeNull();
      const last = JSON.parse(seenAtSend!.last) as { call_id: string; phase: string; status: string };
      expect(last).toMatchObject({ call_id: 'w1', phase: 'intent', status: 'ok' });
      // The intent's fdatasync had finished (none of the audit file's was still running) when Telegram was called.
      expect(seenAtSend!.logSyncing).toBe(false);
      expect(seenAtSend!.logSyncs).toBeGreaterThan(syncedBefore);
    } finally {
      await engine.close();
      await gateway.close().catch(() => undefined);
      await sandbox.stop();
    }
  }, 30_000);
});
