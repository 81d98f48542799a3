/**
 * Engine overhead and footprint (issue 5): one call through the engine (dispatch + schema + policy + audit,
 * fsync'd) against the raw gateway call, alternated in one run; audit verify throughput on a 100k-entry
 * chain; and the resident memory of an idle headless bridge against a bare Node process.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditChain, verifyAuditFile } from '../bridge/audit/auditChain.js';
import { BridgeEngine } from '../bridge/engine.js';
import { ApprovalQueue } from '../bridge/policy/approvals.js';
import { startRelay } from '../relay/index.js';
import { SANDBOX_API_HASH, SANDBOX_API_ID, startSandbox } from '../sandbox/index.js';
import { childRss } from './childRss.js';
import { ms, percentile, sideBySide } from './stats.js';
import { sandboxGateway } from '../test/helpers/sandboxGateway.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 300);
const CHAIN_ENTRIES = Number(process.env.BENCH_CHAIN_ENTRIES ?? 100_000);

/** Runs the engine benchmarks and prints their tables. */
export async function benchEngine(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'tgb-engine-bench-'));
  const sandbox = await startSandbox();
  try {
    await overhead(sandbox, dir);
    await verify100k(dir);
    await idleRss(sandbox, dir);
  } finally {
    await sandbox.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

async function overhead(sandbox: Awaited<ReturnType<typeof startSandbox>>, dir: string): Promise<void> {
  const gateway = sandboxGateway(sandbox);
  const audit = await AuditChain.open(join(dir, 'overhead.jsonl'));
  const engine = new BridgeEngine({ gateway, audit, approvals: new ApprovalQueue() });
  const peer = `chat:${sandbox.control.chats()[0]!.id}`;
  const resolved = await gateway.resolvePeer({ kind: 'chat', id: peer.slice(5) });
  let n = 0;
  try {
    for (const [label, viaEngine, raw] of [
      [
        'list_dialogs (limit 20)',
        () => engine.call({ callId: `b${n++}`, tool: 'list_dialogs', args: { limit: 20 } }),
        () => gateway.listDialogs({ limit: 20 }),
      ],
      [
        'get_messages (limit 50)',
        () => engine.call({ callId: `b${n++}`, tool: 'get_messages', args: { peer, limit: 50 } }),
        () => gateway.getMessages(resolved, { limit: 50 }),
      ],
    ] as const) {
      const { a, b } = await sideBySide(viaEngine, raw, ROUNDS);
      process.stdout.write(`${label}, ${ROUNDS} calls each, alternated:\n`);
      process.stdout.write(`  engine (schema+policy+audit+wrap)  p50 ${ms(percentile(a, 50))}  p99 ${ms(percentile(a, 99))}\n`);
      process.stdout.write(`  raw gateway                        p50 ${ms(percentile(b, 50))}  p99 ${ms(percentile(b, 99))}\n`);
      process.stdout.write(
        `  overhead per call: p50 +${ms(percentile(a, 50) - percentile(b, 50))} (ratio ${(percentile(a, 50) / percentile(b, 50)).toFixed(2)}×)\n`,
      );
    }
  } finally {
    await gateway.close();
    await audit.close();
  }
}

async function verify100k(dir: string): Promise<void> {
  const path = join(dir, 'big.jsonl');
  const chain = await AuditChain.open(path, { fsync: false });
  for (let i = 0; i < CHAIN_ENTRIES; i++) {
    await chain.append({
      call_id: `c${i}`,
      tool: 'get_messages',
      peer: 'chat#0a1b2c3d',
      phase: i % 2 === 0 ? 'intent' : 'result',
      status: 'ok',
      decided_by: '—',
    });
  }
  await chain.close();
  const t0 = performance.now();
  const r = await verifyAuditFile(path);
  const seconds = (performance.now() - t0) / 1000;
  if (!r.ok || r.verified !== CHAIN_ENTRIES) throw new Error(`bench chain failed to verify: ${r.reason}`);
  process.stdout.write(
    `audit verify on a ${CHAIN_ENTRIES.toLocaleString('en')}-entry chain: ${seconds.toFixed(2)} s, ${Math.round(CHAIN_ENTRIES / seconds).toLocaleString('en')} entries/s\n`,
  );
}

async function idleRss(sandbox: Awaited<ReturnType<typeof startSandbox>>, dir: string): Promise<void> {
  const mcpToken = randomBytes(24).toString('base64url');
  const bridgeToken = randomBytes(24).toString('base64url');
  const relay = await startRelay({ users: [{ id: 'rss', mcpToken, bridgeToken }] });
  try {
    // The bin itself, as installed: its shebang's node flags apply (npm run bench builds dist/ first).
    const bridgeRss = await childRss(
      join(import.meta.dirname, '../bin/tg-bridge.js'),
      [
        'connect',
        '--relay',
        relay.url,
        '--server',
        `${sandbox.host}:${sandbox.port}`,
        '--home',
        join(dir, 'idle-home'),
        '--no-prompt',
      ],
      {
        TG_BRIDGE_TOKEN: bridgeToken,
        TG_BRIDGE_SESSION: sandbox.mintSession(),
        TG_API_ID: String(SANDBOX_API_ID),
        TG_API_HASH: SANDBOX_API_HASH,
      },
      /relay: connected/,
    );
    const bareRss = await childRss(process.execPath, ['-e', 'console.log("ready"); setInterval(() => {}, 1000)'], {}, /ready/);
    const mib = (kib: number) => `${(kib / 1024).toFixed(1)} MiB`;
    process.stdout.write(
      `idle tg-bridge connect (compiled, connected to relay, Telegram session loaded): RSS ${mib(bridgeRss.settled)} settled ` +
        `(${mib(bridgeRss.after2s)} 2 s after start-up; target ≤ 80 MiB); bare node: ${mib(bareRss.settled)} ` +
        `(${(bridgeRss.settled / bareRss.settled).toFixed(1)}×)\n`,
    );
  } finally {
    await relay.close();
  }
}

