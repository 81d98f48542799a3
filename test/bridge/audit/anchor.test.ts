/**
 * The anchored, keyed audit chain (issue 8 §6): entry MACs and the head record under the device key, and what
 * `verify` finds with and without the key — entries cut from the end, a whole file rewritten without the key, a
 * rollback to an older copy, a deleted or forged head, a flipped byte, a wrong key — plus how `open` records
 * such findings without bricking the chain, and how an unkeyed (format 1) chain is adopted.
 */
import { createHash } from 'node:crypto';
import { copyFile, readFile, rm, stat, writeFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  AuditChain,
  AuditChainError,
  type AuditEntry,
  type AuditInput,
  computeEntryHash,
  DeviceKey,
  headPathFor,
  readAuditEntries,
  verifyAuditFile,
} from '../../../bridge/audit/auditChain.js';
import { describeVerify } from '../../../bridge/cli/main.js';
import { ManualClock } from '../../../bridge/clock.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'audit-anchor-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const secret = (label: string) => createHash('sha256').update(label).digest();
const KEY = DeviceKey.fromSecret(secret('this device'));
const OTHER_KEY = DeviceKey.fromSecret(secret('another device'));

function input(i: number): AuditInput {
  return {
    call_id: `call-${i}`,
    tool: i % 3 ? 'get_messages' : 'send_message',
    peer: KEY.peerTag(`user:${i}`),
    phase: i % 2 ? 'intent' : 'result',
    status: 'ok',
    decided_by: i % 3 ? '—' : 'person',
  };
}

const lines = (bytes: Buffer | string) => bytes.toString().split('\n').slice(0, -1);
const clock = () => new ManualClock(Date.UTC(2025, 5, 1));

/** A keyed chain of `n` entries in `dir/name`; returns its path, head path and bytes. */
async function keyedChain(n: number, name = 'audit.jsonl') {
  const path = join(dir, name);
  const chain = await AuditChain.open(path, { deviceKey: KEY, clock: clock(), fsync: false });
  for (let i = 1; i <= n; i++) await chain.append(input(i));
  await chain.close();
  return { path, head: headPathFor(path), bytes: await readFile(path) };
}

/** Rewrites entries from `from` on with fresh hashes, as someone without the key can. */
function rewrite(ls: string[], from: number, change: (e: AuditEntry) => AuditEntry): string[] {
  let prev = from === 1 ? '0'.repeat(64) : (JSON.parse(ls[from - 2]!) as AuditEntry).hash;
  return ls.map((l, i) => {
    if (i + 1 < from) return l;
    const { hash: _h, mac: _m, ...rest } = change(JSON.parse(l) as AuditEntry);
    const unhashed = { ...rest, prev_hash: prev };
    prev = computeEntryHash(unhashed);
    return JSON.stringify({ ...unhashed, hash: prev });
  });
}

describe('keyed chain: what is written', () => {
  it('gives every entry a MAC and keeps a 0600 head record at the last seq', async () => {
    const { path, head } = await keyedChain(5);
    const entries = await readAuditEntries(path);
    for (const e of entries) {
      expect(e.mac).toMatch(/^[0-9a-f]{32}$/);
      expect(e.mac).toBe(KEY.entryMac(Buffer.from(e.hash, 'hex')).toString('hex'));
    }
    expect(head).toBe(join(dir, 'audit.head'));
    expect((await stat(head)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(head, 'utf8'))).toMatchObject({ v: 1, seq: 5, hash: entries[4]!.hash, key_id: KEY.id });
    expect(await verifyAuditFile(path, { deviceKey: KEY })).toEqual({ ok: true, verified: 5, keyed: true, head_seq: 5 });
    expect(await verifyAuditFile(path)).toEqual({ ok: true, verified: 5, keyed: false });
  });

  it('the head follows each durable append', async () => {
    const path = join(dir, 'audit.jsonl');
    const chain = await AuditChain.open(path, { deviceKey: KEY, fsync: false });
    for (let i = 1; i <= 3; i++) {
      await chain.append(input(i));
      await chain.flush();
      expect(JSON.parse(await readFile(chain.headPath, 'utf8'))).toMatchObject({ seq: i, hash: chain.lastHash });
    }
    await chain.close();
  });

  it('a head behind the file (a crash between an append and its head update) still verifies', async () => {
    const { path, head } = await keyedChain(5);
    const oldHead = await readFile(head);
    const chain = await AuditChain.open(path, { deviceKey: KEY, fsync: false });
    for (let i = 6; i <= 8; i++) await chain.append(input(i));
    await chain.close();
    await writeFile(head, oldHead);
    expect(await verifyAuditFile(path, { deviceKey: KEY })).toEqual({ ok: true, verified: 8, keyed: true, head_seq: 5 });
    const again = await AuditChain.open(path, { deviceKey: KEY, fsync: false });
    expect(again.incidents).toEqual([]);
    await again.close();
    expect(JSON.parse(await readFile(head, 'utf8'))).toMatchObject({ seq: 8 });
  });
});

describe('keyed verify: tampering a hash chain alone cannot show', () => {
  it('deleted last entries: "the chain ends at seq 10; this device recorded seq 12"', async () => {
    const { path, bytes } = await keyedChain(12);
    await writeFile(path, `${lines(bytes).slice(0, 10).join('\n')}\n`);
    expect(await verifyAuditFile(path)).toMatchObject({ ok: true, verified: 10, keyed: false });
    expect(await verifyAuditFile(path, { deviceKey: KEY })).toEqual({
      ok: false,
      verified: 10,
      first_bad_seq: 11,
      keyed: true,
      reason:
        'the chain ends at seq 10; this device recorded seq 12 (the last 2 entries were deleted, or the file was ' +
        'rolled back to an older copy)',
    });
  });

  it('every entry deleted: an empty file against a head at seq 4', async () => {
    const { path } = await keyedChain(4);
    await writeFile(path, '');
    expect(await verifyAuditFile(path, { deviceKey: KEY })).toMatchObject({
      ok: false,
      first_bad_seq: 1,
      reason: expect.stringMatching(/^the chain ends at seq 0; this device recorded seq 4/),
    });
  });

  it('a whole file replaced by a self-consistent rewrite without the key (MACs dropped)', async () => {
    const { path, bytes } = await keyedChain(6);
    const forged = rewrite(lines(bytes), 1, (e) => ({ ...e, status: 'denied' }));
    await writeFile(path, `${forged.join('\n')}\n`);
    expect(await verifyAuditFile(path)).toEqual({ ok: true, verified: 6, keyed: false });
    const r = await verifyAuditFile(path, { deviceKey: KEY });
    expect(r).toMatchObject({ ok: false, verified: 0, first_bad_seq: 1, keyed: true });
    expect(r.reason).toMatch(/^entry 1: has no MAC, though this device keys every entry after seq 0/);
  });

  it('a rewrite that keeps the old MACs, or makes up new ones, fails at the first rewritten entry', async () => {
    const { path, bytes } = await keyedChain(6);
    const ls = lines(bytes);
    const macs = ls.map((l) => (JSON.parse(l) as AuditEntry).mac!);
    const kept = rewrite(ls, 4, (e) => ({ ...e, decided_by: 'rule' })).map((l, i) => {
      const e = JSON.parse(l) as AuditEntry;
      return i < 3 ? l : JSON.stringify({ ...e, mac: macs[i] });
    });
    await writeFile(path, `${kept.join('\n')}\n`);
    expect(await verifyAuditFile(path)).toMatchObject({ ok: true, verified: 6 });
    expect(await verifyAuditFile(path, { deviceKey: KEY })).toEqual({
      ok: false,
      verified: 3,
      first_bad_seq: 4,
      keyed: true,
      reason:
        "entry 4: its MAC does not match this device's key (written or rewritten without the key, or another " +
        "device's chain)",
    });
    const madeUp = rewrite(ls, 1, (e) => e).map((l) =>
      JSON.stringify({ ...(JSON.parse(l) as AuditEntry), mac: 'ab'.repeat(16) }),
    );
    await writeFile(path, `${madeUp.join('\n')}\n`);
    expect(await verifyAuditFile(path, { deviceKey: KEY })).toMatchObject({ ok: false, first_bad_seq: 1 });
  });

  it('a rollback to an older copy of the file', async () => {
    const { path } = await keyedChain(6);
    const older = join(dir, 'older.jsonl');
    await copyFile(path, older);
    const chain = await AuditChain.open(path, { deviceKey: KEY, fsync: false });
    for (let i = 7; i <= 9; i++) await chain.append(input(i));
    await chain.close();
    await copyFile(older, path);
    expect(await verifyAuditFile(path, { deviceKey: KEY })).toMatchObject({
      ok: false,
      verified: 6,
      first_bad_seq: 7,
      reason: expect.stringContaining('the chain ends at seq 6; this device recorded seq 9'),
    });
  });

  it('a different chain made with the key at the recorded seq (a fork) differs from the head', async () => {
    const { path, head } = await keyedChain(4);
    const headNow = await readFile(head);
    await rm(path);
    await rm(head);
    const chain = await AuditChain.open(path, { deviceKey: KEY, clock: clock(), fsync: false });
    for (let i = 1; i <= 4; i++) await chain.append({ ...input(i), call_id: `other-${i}` });
    await chain.close();
    await writeFile(head, headNow);
    expect(await verifyAuditFile(path, { deviceKey: KEY })).toMatchObject({
      ok: false,
      first_bad_seq: 4,
      reason: expect.stringMatching(/^entry 4: differs from the entry this device recorded at that seq/),
    });
  });

  it('documented limit: a rollback of the file and the head together to an older pair is not caught', async () => {
    const { path, head } = await keyedChain(5);
    await copyFile(path, join(dir, 'f.bak'));
    await copyFile(head, join(dir, 'h.bak'));
    const chain = await AuditChain.open(path, { deviceKey: KEY, fsync: false });
    await chain.append(input(6));
    await chain.close();
    await copyFile(join(dir, 'f.bak'), path);
    await copyFile(join(dir, 'h.bak'), head);
    expect(await verifyAuditFile(path, { deviceKey: KEY })).toMatchObject({ ok: true, verified: 5 });
  });

  it('a deleted head record', async () => {
    const { path, head } = await keyedChain(7);
    await rm(head);
    const r = await verifyAuditFile(path, { deviceKey: KEY });
    expect(r).toMatchObject({ ok: false, verified: 7, first_bad_seq: 8, keyed: true });
    expect(r.reason).toBe(
      'the head record (audit.head) is missing: the chain ends at seq 7, and entries after it could have been ' +
        "deleted unseen (entries 1–7 are this device's own: their MACs check out)",
    );
  });

  it('a head record edited without the key (seq lowered to hide a truncation)', async () => {
    const { path, head, bytes } = await keyedChain(6);
    const h = JSON.parse(await readFile(head, 'utf8'));
    const e4 = JSON.parse(lines(bytes)[3]!) as AuditEntry;
    await writeFile(head, JSON.stringify({ ...h, seq: 4, hash: e4.hash }));
    await writeFile(path, `${lines(bytes).slice(0, 4).join('\n')}\n`);
    expect(await verifyAuditFile(path, { deviceKey: KEY })).toMatchObject({
      ok: false,
      first_bad_seq: 5,
      reason: expect.stringMatching(/^the head record \(audit.head\) is not authentic \(its MAC does not check out/),
    });
  });

  it('the wrong key: named as another device key, and a chain without head fails at entry 1', async () => {
    const { path, head } = await keyedChain(3);
    expect(await verifyAuditFile(path, { deviceKey: OTHER_KEY })).toMatchObject({
      ok: false,
      first_bad_seq: 1,
      reason: expect.stringContaining(`another device key (key id ${KEY.id}; this key is ${OTHER_KEY.id})`),
    });
    await rm(head);
    expect(await verifyAuditFile(path, { deviceKey: OTHER_KEY })).toMatchObject({
      ok: false,
      first_bad_seq: 1,
      reason: expect.stringMatching(/^entry 1: its MAC does not match this device's key/),
    });
  });

  it('property: any one changed byte of a keyed chain (MACs included) is found at its entry', async () => {
    const { path, bytes } = await keyedChain(5);
    const target = join(dir, 'changed.jsonl');
    await copyFile(headPathFor(path), headPathFor(target));
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: bytes.length - 1 }),
        fc.integer({ min: 1, max: 255 }),
        async (pos, delta) => {
          const copy = Buffer.from(bytes);
          copy[pos] = (copy[pos]! + delta) % 256;
          await writeFile(target, copy);
          const r = await verifyAuditFile(target, { deviceKey: KEY });
          const seq = bytes.subarray(0, pos).filter((b) => b === 0x0a).length + 1;
          expect(r.ok).toBe(false);
          expect(r.first_bad_seq).toBe(seq);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('every position of the MAC of a middle entry', async () => {
    const { path, bytes } = await keyedChain(4);
    const text = bytes.toString('latin1');
    const macAt = text.indexOf('"mac":"', text.indexOf('"seq":2')) + 7;
    for (let i = 0; i < 32; i++) {
      const copy = Buffer.from(bytes);
      copy[macAt + i] = copy[macAt + i] === 0x30 ? 0x31 : 0x30;
      await writeFile(path, copy);
      expect(await verifyAuditFile(path, { deviceKey: KEY })).toMatchObject({ ok: false, first_bad_seq: 2 });
    }
  });
});

describe('keyed open: findings are recorded, never silently continued', () => {
  it('after a truncation, open records an incident entry, and verify lists it', async () => {
    const { path, bytes } = await keyedChain(12);
    await writeFile(path, `${lines(bytes).slice(0, 10).join('\n')}\n`);
    const chain = await AuditChain.open(path, { deviceKey: KEY, fsync: false });
    expect(chain.incidents).toEqual(['anchor: chain ends at seq 10, head recorded seq 12']);
    await chain.append(input(12));
    const r = await chain.verify();
    await chain.close();
    expect(r).toEqual({
      ok: true,
      verified: 12,
      keyed: true,
      head_seq: 12,
      incidents: [{ seq: 11, what: 'anchor: chain ends at seq 10, head recorded seq 12' }],
    });
    expect((await readAuditEntries(path))[10]).toMatchObject({ tool: 'audit', status: 'error', seq: 11 });
    expect(describeVerify(r)).toMatch(/WARNING: at entry 11 this device recorded: anchor: chain ends at seq 10/);
  });

  it('a deleted head is recorded on open', async () => {
    const { path, head } = await keyedChain(3);
    await rm(head);
    const chain = await AuditChain.open(path, { deviceKey: KEY, fsync: false });
    expect(chain.incidents).toEqual(['anchor: head record missing, chain ends at seq 3']);
    await chain.close();
    expect(await verifyAuditFile(path, { deviceKey: KEY })).toMatchObject({ ok: true, verified: 4, incidents: [{ seq: 4 }] });
  });

  it('refuses to continue a chain whose last entry was forged without the key, or made with another key', async () => {
    const { path, bytes } = await keyedChain(4);
    const forged = rewrite(lines(bytes), 4, (e) => ({ ...e, status: 'denied' })).map((l) =>
      JSON.stringify({ ...(JSON.parse(l) as AuditEntry), mac: 'cd'.repeat(16) }),
    );
    await writeFile(path, `${forged.join('\n')}\n`);
    await expect(AuditChain.open(path, { deviceKey: KEY })).rejects.toThrow(/MAC of entry 4 does not match/);
    await writeFile(path, bytes);
    await expect(AuditChain.open(path, { deviceKey: OTHER_KEY })).rejects.toThrow(/another device key/);
    await expect(AuditChain.open(path)).rejects.toThrow(AuditChainError);
    await expect(AuditChain.open(path)).rejects.toThrow(/is keyed: open it with its device key/);
    expect(await readFile(path)).toEqual(bytes);
  });
});

describe('keyed torn tail', () => {
  it('keeps a whole keyed last entry without its newline; cuts one whose MAC is wrong', async () => {
    const { path, bytes } = await keyedChain(4);
    const ls = lines(bytes);
    await writeFile(path, `${ls.slice(0, 3).join('\n')}\n${ls[3]}`);
    expect(await verifyAuditFile(path, { deviceKey: KEY })).toMatchObject({ ok: true, verified: 4, missing_newline: true });
    let chain = await AuditChain.open(path, { deviceKey: KEY, fsync: false });
    expect(chain.repairedTail).toBe('newline');
    await chain.close();
    expect(await readFile(path)).toEqual(bytes);

    const badMac = JSON.stringify({ ...(JSON.parse(ls[3]!) as AuditEntry), mac: 'ef'.repeat(16) });
    await writeFile(path, `${ls.slice(0, 3).join('\n')}\n${badMac}`);
    chain = await AuditChain.open(path, { deviceKey: KEY, fsync: false });
    expect(chain.repairedTail).toBe('torn');
    // Entry 4 was in the head record, so cutting it is itself recorded.
    expect(chain.incidents).toEqual(['anchor: chain ends at seq 3, head recorded seq 4']);
    expect(chain.lastSeq).toBe(4);
    await chain.close();
  });
});

describe('an unkeyed (format 1) chain', () => {
  async function legacy(n: number) {
    const path = join(dir, 'audit.jsonl');
    const chain = await AuditChain.open(path, { clock: clock(), fsync: false });
    for (let i = 1; i <= n; i++) await chain.append({ ...input(i), peer: '' });
    await chain.close();
    return path;
  }

  it('is adopted by a fresh key: old entries stay, reported as legacy; new entries are keyed', async () => {
    const path = await legacy(5);
    const before = await readFile(path);
    const fresh = DeviceKey.fromSecret(secret('new device'), { fresh: true });
    const chain = await AuditChain.open(path, { deviceKey: fresh, fsync: false });
    expect(chain.incidents).toEqual(['anchor: entries 1-5 predate keying, adopted unkeyed.']);
    await chain.append(input(7));
    await chain.close();
    expect((await readFile(path)).subarray(0, before.length)).toEqual(before);
    const entries = await readAuditEntries(path);
    expect(entries[5]).toMatchObject({ tool: 'audit', status: 'ok', error: 'anchor: entries 1-5 predate keying, adopted unkeyed' });
    expect(entries[6]!.mac).toBeDefined();
    const r = await verifyAuditFile(path, { deviceKey: fresh });
    expect(r).toEqual({ ok: true, verified: 7, keyed: true, legacy_unkeyed: 5, head_seq: 7 });
    expect(describeVerify(r)).toMatch(/5 entries predate keying/);
  });

  it('adopted by a key that existed before, it is recorded as an incident', async () => {
    const path = await legacy(2);
    const chain = await AuditChain.open(path, { deviceKey: KEY, fsync: false });
    await chain.close();
    expect(await verifyAuditFile(path, { deviceKey: KEY })).toMatchObject({
      ok: true,
      legacy_unkeyed: 2,
      incidents: [{ seq: 3, what: 'anchor: entries 1-2 predate keying, adopted unkeyed, head record missing' }],
    });
  });

  it('a MAC stripped from an entry after keying began is found', async () => {
    const path = await legacy(2);
    const chain = await AuditChain.open(path, { deviceKey: DeviceKey.fromSecret(secret('k'), { fresh: true }), fsync: false });
    for (let i = 1; i <= 3; i++) await chain.append(input(i));
    await chain.close();
    const ls = lines(await readFile(path));
    const { mac: _m, ...stripped } = JSON.parse(ls[4]!) as AuditEntry;
    ls[4] = JSON.stringify(stripped);
    await writeFile(path, `${ls.join('\n')}\n`);
    expect(await verifyAuditFile(path, { deviceKey: DeviceKey.fromSecret(secret('k')) })).toMatchObject({
      ok: false,
      first_bad_seq: 5,
      reason: expect.stringMatching(/^entry 5: has no MAC though the entries before it have one/),
    });
  });
});
