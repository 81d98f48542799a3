/**
 * Verify where worker threads can't start (bridge/audit/parallelWalk.ts): the calling thread walks every range
 * itself and the result is exactly the one-thread result, tampering included.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AuditChain, DeviceKey, verifyAuditFile } from '../../../bridge/audit/auditChain.js';

vi.mock('node:worker_threads', async (original) => ({
  ...(await original<typeof import('node:worker_threads')>()),
  Worker: class {
    constructor() {
      throw new Error('worker threads are not available here');
    }
  },
}));

let dir: string;
let path: string;
const key = DeviceKey.fromSecret(randomBytes(32));

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'audit-noworkers-'));
  path = join(dir, 'audit.jsonl');
  const chain = await AuditChain.open(path, { deviceKey: key, fsync: false });
  for (let i = 0; i < 120; i++) {
    await chain.append({ call_id: `c${i}`, tool: 'get_messages', phase: i % 2 ? 'result' : 'intent', status: 'ok' }, { durable: false });
  }
  await chain.close();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe.skipIf(availableParallelism() < 2)('verify when worker threads cannot start', () => {
  it('walks every range in this thread and gives the one-thread result', async () => {
    const good = await readFile(path);
    const ls = good.toString('utf8').split('\n').slice(0, -1);
    const edited = Buffer.from(`${ls.map((l, i) => (i === 90 ? l.replace('"status":"ok"', '"status":"denied"') : l)).join('\n')}\n`);
    for (const file of [good, edited]) {
      await writeFile(path, file);
      const one = await verifyAuditFile(path, { deviceKey: key, parallelMinBytes: Infinity });
      let threads = 0;
      const split = await verifyAuditFile(path, {
        deviceKey: key,
        parallelMinBytes: 0,
        rangeBytes: 2048,
        onThreads: (n) => (threads = n),
      });
      expect(split).toEqual(one);
      expect(threads).toBe(1);
    }
    expect((await verifyAuditFile(path, { deviceKey: key })).first_bad_seq).toBe(91);
  });
});
