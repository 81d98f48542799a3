/**
 * The byte-level line reader behind verify (bridge/audit/entryScan.ts, chainWalk.ts, fileIo.ts `streamLines`):
 * wherever reads cut the file, and whatever bytes an attacker or a crash leaves in a line, verify gives the same
 * answer a careful reader would — and never accepts a line the schema or the canonical form refuses, even when
 * its hash recomputes (the hash covers the field values, not the way the line spells them).
 */
import { mkdtemp, readFile, rm, writeFile, copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AuditChain,
  type AuditEntry,
  computeEntryHash,
  DeviceKey,
  headPathFor,
  verifyAuditFile,
  type VerifyOptions,
} from '../../../bridge/audit/auditChain.js';
import { ManualClock } from '../../../bridge/clock.js';

let dir: string;
const key = DeviceKey.fromSecret(Buffer.alloc(32, 3));
const N = 12;
/** A keyed chain of N entries (the fifth with an error code, every third decided by `—`) and its head record. */
let keyedPath: string;
let keyedBytes: Buffer;
let plainPath: string;
let plainBytes: Buffer;

async function makeChain(path: string, deviceKey?: DeviceKey): Promise<Buffer> {
  const clock = new ManualClock(Date.UTC(2025, 5, 6, 7, 8, 9, 10));
  const chain = await AuditChain.open(path, { clock, fsync: false, ...(deviceKey ? { deviceKey } : {}) });
  for (let i = 1; i <= N; i++) {
    await chain.append({
      call_id: `call-${i}`,
      tool: i % 2 ? 'get_messages' : 'send_message',
      peer: chain.peerTag(`user:${i}`),
      phase: i % 2 ? 'intent' : 'result',
      status: i === 5 ? 'error' : 'ok',
      decided_by: i % 3 === 0 ? '—' : 'person',
      ...(i === 5 ? { error: 'flood_wait: 30 s' } : {}),
    });
    clock.advance(1_234);
  }
  await chain.close();
  return readFile(path);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'audit-reader-'));
  keyedPath = join(dir, 'keyed.jsonl');
  keyedBytes = await makeChain(keyedPath, key);
  plainPath = join(dir, 'plain.jsonl');
  plainBytes = await makeChain(plainPath);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

let copies = 0;
/** Verifies `bytes` as a copy of the keyed chain (with its head record) or of the unkeyed one. */
async function verifyBytes(bytes: Buffer, keyed: boolean, opts: VerifyOptions = {}) {
  const target = join(dir, `copy-${copies++}.jsonl`);
  await writeFile(target, bytes);
  if (keyed) await copyFile(headPathFor(keyedPath), headPathFor(target));
  try {
    return await verifyAuditFile(target, { ...(keyed ? { deviceKey: key } : {}), ...opts });
  } finally {
    await rm(target, { force: true });
    await rm(headPathFor(target), { force: true });
  }
}

const lines = (bytes: Buffer) => bytes.toString('utf8').split('\n').slice(0, -1);
const join_ = (ls: string[]) => Buffer.from(`${ls.join('\n')}\n`, 'utf8');

describe('verify reads the same wherever reads cut the file', () => {
  it('a good chain verifies with any read size, lines split across reads included', async () => {
    for (const keyed of [true, false]) {
      const bytes = keyed ? keyedBytes : plainBytes;
      for (const readBytes of [1, 2, 3, 7, 64, 100, 333, 4096]) {
        expect({ readBytes, ...(await verifyBytes(bytes, keyed, { readBytes })) }).toEqual({
          readBytes,
          keyed,
          ok: true,
          verified: N,
          ...(keyed ? { head_seq: N } : {}),
        });
      }
    }
  });

  it('property: a changed byte is found at the same entry, with the same reason, whatever the read size', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.boolean(),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        fc.integer({ min: 1, max: 600 }),
        async (keyed, at, delta, readBytes) => {
          const bytes = Buffer.from(keyed ? keyedBytes : plainBytes);
          const pos = at % bytes.length;
          bytes[pos] = (bytes[pos]! + delta) % 256;
          const whole = await verifyBytes(bytes, keyed);
          const seq = bytes.subarray(0, pos).filter((b) => b === 0x0a).length + 1;
          // A changed last newline leaves a whole final line: an edit of entry N (not a torn tail).
          expect(whole).toMatchObject({ ok: false, first_bad_seq: Math.min(seq, N) });
          expect(await verifyBytes(bytes, keyed, { readBytes })).toEqual(whole);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('a last line cut anywhere (a crash mid-write) is a torn tail, also when it spans several reads', async () => {
    const ls = lines(keyedBytes);
    const head = join_(ls.slice(0, N - 1));
    const last = Buffer.from(ls[N - 1]!, 'utf8');
    for (const cut of [1, 10, 100, last.length - 2, last.length - 1]) {
      for (const readBytes of [5, 64, 1 << 20]) {
        const r = await verifyBytes(Buffer.concat([head, last.subarray(0, cut)]), false, { readBytes });
        expect({ cut, readBytes, ...r }).toEqual({ cut, readBytes, keyed: false, ok: true, verified: N - 1, torn_tail: true });
      }
    }
    // The whole last line without its newline: complete, verified, flagged.
    expect(await verifyBytes(Buffer.concat([head, last]), false, { readBytes: 7 })).toEqual({
      keyed: false,
      ok: true,
      verified: N,
      missing_newline: true,
    });
  });
});

describe('bytes a careful reader refuses', () => {
  /** The keyed chain with line `seq` replaced by `edit(line)`. */
  const withLine = (seq: number, edit: (line: Buffer) => Buffer) => {
    const ls: Buffer[] = lines(keyedBytes).map((l) => Buffer.from(l, 'utf8'));
    ls[seq - 1] = edit(ls[seq - 1]!);
    return Buffer.concat(ls.flatMap((l) => [l, Buffer.from('\n')]));
  };

  it('CRLF line ends: the entry with the carriage return is not in canonical form', async () => {
    const crlf = Buffer.from(keyedBytes.toString('utf8').replaceAll('\n', '\r\n'), 'utf8');
    expect(await verifyBytes(crlf, true)).toMatchObject({
      ok: false,
      verified: 0,
      first_bad_seq: 1,
      reason: 'entry 1: not in canonical form (edited?)',
    });
    const one = withLine(4, (l) => Buffer.concat([l, Buffer.from('\r')]));
    expect(await verifyBytes(one, true, { readBytes: 9 })).toMatchObject({
      ok: false,
      first_bad_seq: 4,
      reason: 'entry 4: not in canonical form (edited?)',
    });
  });

  it('a NUL byte in the middle of an entry, or in place of its newline', async () => {
    for (const at of [0, 1, 20, 60, 150]) {
      const nul = withLine(6, (l) => Buffer.concat([l.subarray(0, at), Buffer.from([0]), l.subarray(at + 1)]));
      expect(await verifyBytes(nul, true)).toMatchObject({
        ok: false,
        verified: 5,
        first_bad_seq: 6,
        reason: 'entry 6: not a readable entry (corrupted line)',
      });
    }
    const ls = lines(keyedBytes);
    const joined = Buffer.from(`${ls.slice(0, 6).join('\n')}\u0000${ls.slice(6).join('\n')}\n`, 'utf8');
    expect(await verifyBytes(joined, true)).toMatchObject({ ok: false, verified: 5, first_bad_seq: 6 });
  });

  it('invalid UTF-8 in the middle of an entry', async () => {
    const dash = Buffer.from('—', 'utf8'); // E2 80 94: decided_by of entry 3
    const bad: [string, Buffer][] = [
      ['a lone continuation byte', Buffer.from([0x80, 0x80, 0x94])],
      ['0xFF', Buffer.from([0xe2, 0x80, 0xff])],
      ['an overlong encoding', Buffer.from([0xe0, 0x80, 0x94])],
      ['a cut sequence', Buffer.from([0xe2, 0x80, 0x22])],
    ];
    for (const [name, bytes] of bad) {
      const line = withLine(3, (l) => {
        const i = l.indexOf(dash);
        return Buffer.concat([l.subarray(0, i), bytes, l.subarray(i + 3)]);
      });
      const r = await verifyBytes(line, true);
      expect({ name, ok: r.ok, verified: r.verified, first_bad_seq: r.first_bad_seq }).toEqual({
        name,
        ok: false,
        verified: 2,
        first_bad_seq: 3,
      });
    }
    // In a value whose alphabet is ASCII (call_id).
    const inId = withLine(7, (l) => Buffer.from(l.toString('latin1').replace('call-7', 'call-\u00ff'), 'latin1'));
    expect(await verifyBytes(inId, true)).toMatchObject({
      ok: false,
      first_bad_seq: 7,
      reason: 'entry 7: not a readable entry (corrupted line)',
    });
  });

  /**
   * Rewrites entry `seq` (unkeyed chain) with the same values spelled another way, so its hash and every link
   * still check out: only the canonical-form check can find it.
   */
  function respelled(seq: number, spell: (e: AuditEntry) => string): Buffer {
    const ls = lines(plainBytes);
    const e = JSON.parse(ls[seq - 1]!) as AuditEntry;
    expect(computeEntryHash(e)).toBe(e.hash);
    ls[seq - 1] = spell(e);
    return join_(ls);
  }

  for (const [name, spell] of [
    [
      'fields in another order',
      ({ ts, seq, ...rest }: AuditEntry) => JSON.stringify({ ts, seq, ...rest }),
    ],
    [
      'status and tool swapped in place',
      (e: AuditEntry) => JSON.stringify(e).replace(/"tool":"([^"]*)"(.*)"status":"([^"]*)"/, '"status":"$3"$2"tool":"$1"'),
    ],
    ['a duplicated key', (e: AuditEntry) => JSON.stringify(e).replace('"status":"ok"', '"status":"denied","status":"ok"')],
    ['an extra key', (e: AuditEntry) => JSON.stringify({ ...e, note: 'x' })],
    ['a space after a colon', (e: AuditEntry) => JSON.stringify(e).replace('"tool":', '"tool": ')],
    ['an escaped character', (e: AuditEntry) => JSON.stringify(e).replace('"phase":"result"', '"phase":"r\\u0065sult"')],
    ['seq with a leading zero', (e: AuditEntry) => JSON.stringify(e).replace(`"seq":${e.seq}`, `"seq":0${e.seq}`)],
    ['seq as 8.0', (e: AuditEntry) => JSON.stringify(e).replace(`"seq":${e.seq}`, `"seq":${e.seq}.0`)],
    ['upper-case hash digits', (e: AuditEntry) => JSON.stringify({ ...e, hash: e.hash.toUpperCase() })],
  ] as const) {
    it(`the same values spelled another way (the hash still checks out) are refused: ${name}`, async () => {
      const forged = respelled(8, spell);
      expect(forged.equals(plainBytes)).toBe(false);
      const r = await verifyBytes(forged, false);
      expect(r).toMatchObject({ ok: false, verified: 7, first_bad_seq: 8 });
      expect(r.reason).toMatch(/^entry 8: (not in canonical form|malformed entry|not a readable entry)/);
    });
  }
});
