/**
 * Verify split over worker threads (bridge/audit/verify.ts, chainWalk.ts): on a good chain and on tampered
 * copies it gives exactly the result a one-thread walk gives — the same first bad seq and reason — including
 * tampering right at the line where the file is split between threads.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile, copyFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditChain, DeviceKey, headPathFor, verifyAuditFile } from '../../../bridge/audit/auditChain.js';

let dir: string;
let path: string;
let bytes: Buffer;
const key = DeviceKey.fromSecret(randomBytes(32));
const N = 400;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'audit-par-'));
  path = join(dir, 'audit.jsonl');
  const chain = await AuditChain.open(path, { deviceKey: key, fsync: false });
  for (let i = 0; i < N; i++) {
    await chain.append(
      { call_id: `c${i}`, tool: 'get_messages', phase: i % 2 ? 'result' : 'intent', status: 'ok', peer: chain.peerTag(`user:${i}`) },
      { durable: i % 50 === 0 },
    );
  }
  await chain.close();
  bytes = await readFile(path);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const lines = () => bytes.toString('utf8').split('\n').slice(0, -1);

/** The line where the file is split between two threads (half the bytes), as an index. */
function splitLine(): number {
  const half = Math.floor(bytes.length / 2) - 1;
  return bytes.subarray(0, half + bytes.subarray(half).indexOf(0x0a) + 1).filter((b) => b === 0x0a).length;
}

async function both(file: Buffer) {
  const target = join(dir, 'copy.jsonl');
  await writeFile(target, file);
  await copyFile(headPathFor(path), headPathFor(target));
  const opts = { deviceKey: key };
  const one = await verifyAuditFile(target, { ...opts, parallelMinBytes: Infinity });
  let threads = 0;
  const many = await verifyAuditFile(target, { ...opts, parallelMinBytes: 0, onThreads: (n) => (threads = n) });
  expect(threads).toBeGreaterThan(1);
  return { one, many };
}

describe.skipIf(availableParallelism() < 2)('verify over several threads', () => {
  it('a good chain, and tampering at and around the split line, give the one-thread result', async () => {
    const at = splitLine();
    expect(at).toBeGreaterThan(10);
    const ls = lines();
    const cases: [string, Buffer][] = [
      ['good', bytes],
      ['line at the split deleted', Buffer.from(`${ls.filter((_, i) => i !== at).join('\n')}\n`)],
      ['line before the split deleted', Buffer.from(`${ls.filter((_, i) => i !== at - 1).join('\n')}\n`)],
      ['lines across the split swapped', Buffer.from(`${ls.map((l, i) => (i === at ? ls[at - 1] : i === at - 1 ? ls[at] : l)).join('\n')}\n`)],
      ['garbage at the split', Buffer.from(`${ls.map((l, i) => (i === at ? 'garbage' : l)).join('\n')}\n`)],
      ['MAC removed after the split', Buffer.from(`${ls.map((l, i) => (i === at + 3 ? l.replace(/,"mac":"[0-9a-f]{32}"/, '') : l)).join('\n')}\n`)],
      ['status edited late', Buffer.from(`${ls.map((l, i) => (i === N - 5 ? l.replace('"status":"ok"', '"status":"denied"') : l)).join('\n')}\n`)],
      ['last lines cut', Buffer.from(`${ls.slice(0, N - 3).join('\n')}\n`)],
      ['torn tail', Buffer.concat([bytes, Buffer.from('{"seq":401,"ts":"20')])],
    ];
    for (const [name, file] of cases) {
      const { one, many } = await both(file);
      expect({ name, ...many }).toEqual({ name, ...one });
      expect(one.ok).toBe(name === 'good' || name === 'torn tail');
    }
  }, 60_000);
});

describe.skipIf(availableParallelism() < 2)('verify over many small ranges claimed by the threads', () => {
  /** Line indexes where ranges of `rangeBytes` start (as verify cuts them: at the first line start after each cut). */
  function rangeStarts(file: Buffer, rangeBytes: number): number[] {
    const n = Math.ceil(file.length / rangeBytes);
    const starts = new Set<number>();
    for (let k = 1; k < n; k++) {
      const at = Math.floor((k * file.length) / n) - 1;
      const start = at + file.subarray(at).indexOf(0x0a) + 1;
      starts.add(file.subarray(0, start).filter((b) => b === 0x0a).length);
    }
    return [...starts];
  }

  it('tampering at range starts gives the one-thread result, and more than one thread takes part', async () => {
    const rangeBytes = 4096;
    const starts = rangeStarts(bytes, rangeBytes);
    expect(starts.length).toBeGreaterThan(20);
    const ls = lines();
    const picked = [starts[0]!, starts[starts.length - 1]!];
    const cases: [string, Buffer][] = [['good', bytes]];
    for (const at of picked) {
      cases.push(
        [`lines ${at - 1} and ${at} swapped`, Buffer.from(`${ls.map((l, i) => (i === at ? ls[at - 1] : i === at - 1 ? ls[at] : l)).join('\n')}\n`)],
        [`line ${at} repeated`, Buffer.from(`${ls.flatMap((l, i) => (i === at ? [l, l] : [l])).join('\n')}\n`)],
        [`MAC of line ${at} removed`, Buffer.from(`${ls.map((l, i) => (i === at ? l.replace(/,"mac":"[0-9a-f]{32}"/, '') : l)).join('\n')}\n`)],
      );
    }
    const target = join(dir, 'ranges.jsonl');
    await copyFile(headPathFor(path), headPathFor(target));
    for (const [name, file] of cases) {
      await writeFile(target, file);
      const one = await verifyAuditFile(target, { deviceKey: key, parallelMinBytes: Infinity });
      let threads = 0;
      const many = await verifyAuditFile(target, {
        deviceKey: key,
        parallelMinBytes: 0,
        rangeBytes,
        onThreads: (n) => (threads = n),
      });
      expect({ name, ...many }).toEqual({ name, ...one });
      expect(one.ok).toBe(name === 'good');
      if (name === 'good') expect(threads).toBeGreaterThan(1);
    }
  }, 60_000);
});
