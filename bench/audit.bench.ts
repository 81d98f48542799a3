/**
 * Audit chain costs, measured side by side in one run (issue 12; only ratios mean anything on shared machines):
 * - append: group commit (64 callers appending at once, each entry durable) vs one fdatasync per append
 *   (each append awaited before the next), entries/s and the ratio; keyed vs unkeyed append;
 * - verify: entries/s over a chain of BENCH_AUDIT_VERIFY_ENTRIES entries (default 1,000,000; target
 *   ≥ 500,000/s), unkeyed (consistency only) and keyed (MACs and head), and the keying cost as a ratio.
 * The verify chains are generated directly (hash and MAC as the writer makes them), not through `append`, and
 * verified by the compiled build (`dist/`, which `npm run bench` builds first): what `tg-bridge audit verify`
 * runs. (Under tsx, each verify worker thread would first load tsx and transpile the audit modules.)
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type AuditEntry,
  type AuditInput,
  AuditChain,
  computeEntryHash,
  DeviceKey,
  GENESIS_HASH,
  headPathFor,
} from '../bridge/audit/auditChain.js';
import { writeHead } from '../bridge/audit/headAnchor.js';
import { serialiseEntry } from '../bridge/audit/entry.js';

/** Entries appended per append variant and round (env BENCH_AUDIT_ENTRIES, default 1000). */
const ENTRIES = Number(process.env.BENCH_AUDIT_ENTRIES ?? 1_000);
/** Entries in the verify chains (env BENCH_AUDIT_VERIFY_ENTRIES, default 1,000,000). */
const VERIFY_ENTRIES = Number(process.env.BENCH_AUDIT_VERIFY_ENTRIES ?? 1_000_000);
/** Concurrent callers in the group-commit variant. */
const CALLERS = 64;

const entry = (i: number): AuditInput => ({
  call_id: `bench-${i}`,
  tool: i % 3 === 0 ? 'send_message' : 'get_messages',
  peer: 'user#0a1b2c3d',
  phase: i % 2 === 0 ? 'intent' : 'result',
  status: 'ok',
  decided_by: '—',
});

/** Appends/s with each append awaited before the next: one fdatasync per append. */
async function oneByOne(path: string, deviceKey?: DeviceKey): Promise<number> {
  const chain = await AuditChain.open(path, deviceKey ? { deviceKey } : {});
  const t0 = performance.now();
  for (let i = 0; i < ENTRIES; i++) await chain.append(entry(i));
  const rate = ENTRIES / ((performance.now() - t0) / 1000);
  await chain.close();
  return rate;
}

/** Appends/s with CALLERS callers appending at once, each append durable: group commit. */
async function grouped(path: string, deviceKey?: DeviceKey): Promise<number> {
  const chain = await AuditChain.open(path, deviceKey ? { deviceKey } : {});
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CALLERS }, async () => {
      while (next < ENTRIES) await chain.append(entry(next++));
    }),
  );
  const rate = ENTRIES / ((performance.now() - t0) / 1000);
  await chain.close();
  return rate;
}

/** Writes `n` entries straight to an unkeyed and a keyed file (same entries; the keyed one with MACs + head). */
async function generate(n: number, plainPath: string, keyedPath: string, key: DeviceKey): Promise<void> {
  const plain = await open(plainPath, 'w', 0o600);
  const keyed = await open(keyedPath, 'w', 0o600);
  let prev = GENESIS_HASH;
  let a: string[] = [];
  let b: string[] = [];
  const t0 = Date.UTC(2025, 0, 1);
  for (let i = 1; i <= n; i++) {
    const unhashed = {
      seq: i,
      ts: new Date(t0 + i * 37).toISOString(),
      call_id: `c${i}`,
      tool: i % 5 === 0 ? 'send_message' : 'get_messages',
      peer: `chat#${createHash('sha256').update(String(i % 50)).digest('hex').slice(0, 8)}`,
      phase: (i % 2 ? 'intent' : 'result') as AuditEntry['phase'],
      status: 'ok' as const,
      decided_by: '—' as const,
      prev_hash: prev,
    };
    const hash = computeEntryHash(unhashed);
    const e: AuditEntry = { ...unhashed, hash };
    a.push(serialiseEntry(e));
    b.push(serialiseEntry({ ...e, mac: key.entryMac(Buffer.from(hash, 'hex')).toString('hex') }));
    prev = hash;
    if (a.length === 10_000 || i === n) {
      await plain.write(`${a.join('\n')}\n`);
      await keyed.write(`${b.join('\n')}\n`);
      a = [];
      b = [];
    }
  }
  await plain.close();
  await keyed.close();
  await writeHead(headPathFor(keyedPath), { seq: n, hash: prev, legacy_until: 0 }, key);
}

const fmt = (v: number) => Math.round(v).toLocaleString('en');
const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;

/** Runs the audit benchmark and prints its table. */
export async function benchAudit(): Promise<void> {
  const compiled = (await import(
    new URL('../dist/bridge/audit/auditChain.js', import.meta.url).href
  )) as typeof import('../bridge/audit/auditChain.js');
  const dir = await mkdtemp(join(tmpdir(), 'tgb-audit-bench-'));
  try {
    const key = DeviceKey.fromSecret(randomBytes(32));
    const append = { single: [] as number[], group: [] as number[], singleKeyed: [] as number[], groupKeyed: [] as number[] };
    for (let round = 0; round < 3; round++) {
      append.single.push(await oneByOne(join(dir, `single-${round}.jsonl`)));
      append.group.push(await grouped(join(dir, `group-${round}.jsonl`)));
      append.singleKeyed.push(await oneByOne(join(dir, `single-keyed-${round}.jsonl`), key));
      append.groupKeyed.push(await grouped(join(dir, `group-keyed-${round}.jsonl`), key));
    }
    const [single, group, singleKeyed, groupKeyed] = [
      median(append.single),
      median(append.group),
      median(append.singleKeyed),
      median(append.groupKeyed),
    ];
    process.stdout.write(`audit append, ${ENTRIES} durable entries per variant, median of 3 alternated rounds:\n`);
    process.stdout.write(`  one fdatasync per append (awaited one by one)  ${fmt(single)} entries/s\n`);
    process.stdout.write(`  group commit (${CALLERS} callers at once)            ${fmt(group)} entries/s\n`);
    process.stdout.write(`  group commit vs one fsync per append: ${(group / single).toFixed(1)}× the throughput\n`);
    process.stdout.write(
      `  keyed (MAC + head record) vs unkeyed: one by one ${(singleKeyed / single).toFixed(2)}×, grouped ${(groupKeyed / group).toFixed(2)}× the throughput\n`,
    );

    const plainPath = join(dir, 'verify.jsonl');
    const keyedPath = join(dir, 'verify-keyed.jsonl');
    const g0 = performance.now();
    await generate(VERIFY_ENTRIES, plainPath, keyedPath, key);
    process.stdout.write(
      `audit verify, ${fmt(VERIFY_ENTRIES)} entries (generated in ${((performance.now() - g0) / 1000).toFixed(1)} s), median of 3, alternated:\n`,
    );
    const rates = { plain: [] as number[], keyed: [] as number[], oneThread: [] as number[], keyedOne: [] as number[] };
    const loadBefore = loadavg()[0]!;
    for (let round = 0; round < 3; round++) {
      for (const [which, path, opts] of [
        ['plain', plainPath, {}],
        ['keyed', keyedPath, { deviceKey: key }],
        ['oneThread', plainPath, { parallelMinBytes: Infinity }],
        ['keyedOne', keyedPath, { deviceKey: key, parallelMinBytes: Infinity }],
      ] as const) {
        const t0 = performance.now();
        const r = await compiled.verifyAuditFile(path, opts);
        const seconds = (performance.now() - t0) / 1000;
        if (!r.ok || r.verified !== VERIFY_ENTRIES) throw new Error(`bench chain failed to verify: ${r.reason}`);
        rates[which].push(VERIFY_ENTRIES / seconds);
      }
    }
    const p = median(rates.plain);
    const k = median(rates.keyed);
    const one = median(rates.oneThread);
    const keyedOne = median(rates.keyedOne);
    const threads = Math.min(availableParallelism(), 4);
    const runs = (xs: number[]) => `runs ${xs.map(fmt).join(' / ')}`;
    process.stdout.write(`  unkeyed (consistency only), ${threads} threads  ${fmt(p)} entries/s  (target ≥ 500,000; ${runs(rates.plain)})\n`);
    process.stdout.write(`  unkeyed, one thread                 ${fmt(one)} entries/s  (threads: ${(p / one).toFixed(2)}×)\n`);
    process.stdout.write(`  keyed (MACs + head record), ${threads} threads  ${fmt(k)} entries/s  (target ≥ 500,000; ${runs(rates.keyed)})\n`);
    process.stdout.write(`  keyed, one thread                   ${fmt(keyedOne)} entries/s  (threads: ${(k / keyedOne).toFixed(2)}×)\n`);
    process.stdout.write(`  keying costs verify ${(p / k).toFixed(2)}× the time of an unkeyed verify\n`);
    process.stdout.write(
      `  load average (1 min) ${loadBefore.toFixed(2)} before, ${loadavg()[0]!.toFixed(2)} after, on ${availableParallelism()} cores: other work shares them\n`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
