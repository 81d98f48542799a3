/**
 * Custody rule 4 under a real crash: a process appending to the audit chain is killed with SIGKILL mid-run;
 * reopening repairs at most a torn final line, every earlier entry still verifies, and appends continue.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditChain, readAuditEntries, verifyAuditFile } from '../../../bridge/audit/auditChain.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tgb-crash-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const WRITER = join(import.meta.dirname, 'fixtures', 'appendForever.ts');

describe('audit chain after kill -9', () => {
  it('reopens with every complete entry verified, and keeps appending', async () => {
    const path = join(dir, 'audit.jsonl');
    for (let round = 0; round < 3; round++) {
      const child = spawn(process.execPath, ['--import', 'tsx', WRITER, path], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      await new Promise<void>((resolve, reject) => {
        child.stdout.once('data', () => resolve());
        child.once('exit', (code) => reject(new Error(`writer exited early (${code})`)));
      });
      await new Promise((r) => setTimeout(r, 150 + round * 70));
      child.kill('SIGKILL');
      await new Promise((r) => child.once('close', r));

      const before = await verifyAuditFile(path);
      expect(before.ok).toBe(true); // a torn tail is reported (torn_tail), never a broken chain
      const chain = await AuditChain.open(path);
      const entries = await readAuditEntries(path);
      expect(entries.length).toBeGreaterThan(0);
      expect(entries.map((e) => e.seq)).toEqual(entries.map((_, i) => i + 1));
      const next = await chain.append({ call_id: `after-${round}`, tool: 'audit', phase: 'result', status: 'ok' });
      expect(next.seq).toBe(entries.length + 1);
      await chain.close();
      const after = await verifyAuditFile(path);
      expect(after).toMatchObject({ ok: true, verified: entries.length + 1 });
      expect(after.torn_tail).toBeFalsy();
      expect((await readFile(path, 'utf8')).endsWith('\n')).toBe(true);
    }
  }, 30_000);
});
