/**
 * Audit chain throughput: appends per second (each fsync'd, as in production, and without fsync to show the
 * disk's share) and verify entries per second, measured in one run.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditChain, verifyAuditFile } from '../bridge/audit/auditChain.js';

/** Entries appended per variant (env BENCH_AUDIT_ENTRIES, default 2000). */
const ENTRIES = Number(process.env.BENCH_AUDIT_ENTRIES ?? 2_000);

async function appendRate(path: string, fsync: boolean): Promise<number> {
  const chain = await AuditChain.open(path, { fsync });
  const t0 = performance.now();
  for (let i = 0; i < ENTRIES; i++) {
    await chain.append({
      call_id: `bench-${i}`,
      tool: i % 3 === 0 ? 'send_message' : 'get_messages',
      peer: 'user#0a1b2c3d',
      phase: i % 2 === 0 ? 'intent' : 'result',
      status: 'ok',
      decided_by: '—',
    });
  }
  const seconds = (performance.now() - t0) / 1000;
  await chain.close();
  return ENTRIES / seconds;
}

/** Runs the audit benchmark and prints its table. */
export async function benchAudit(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'tgb-audit-bench-'));
  try {
    const synced = await appendRate(join(dir, 'synced.jsonl'), true);
    const unsynced = await appendRate(join(dir, 'unsynced.jsonl'), false);
    const t0 = performance.now();
    const result = await verifyAuditFile(join(dir, 'synced.jsonl'));
    const verifyRate = result.verified / ((performance.now() - t0) / 1000);
    if (!result.ok) throw new Error(`bench chain failed to verify: ${result.reason}`);
    process.stdout.write(`audit chain, ${ENTRIES} entries:\n`);
    process.stdout.write(`  append with fsync     ${Math.round(synced).toLocaleString('en')} entries/s\n`);
    process.stdout.write(`  append without fsync  ${Math.round(unsynced).toLocaleString('en')} entries/s\n`);
    process.stdout.write(
      `  verify                ${Math.round(verifyRate).toLocaleString('en')} entries/s\n`,
    );
    process.stdout.write(`  fsync cost: ${(unsynced / synced).toFixed(1)}× slower appends\n`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
