/**
 * Where the round trip goes: list_dialogs (limit 20) measured at each layer, round robin in one run on the same
 * sandbox — direct gramjs, the bridge's gateway, the engine over an audit chain that does not fsync, the engine
 * as shipped (schema + policy + durable audit + wrap), and MCP clients through the relay and the relay link
 * (JSON path): a bare one (rawMcp.ts) and the MCP SDK's — so the relay hop's share (bare MCP − engine), the
 * engine's (engine − gateway) and the SDK client's own (SDK MCP − bare MCP) read off directly next to the
 * product/direct ratio.
 *
 * Env: BENCH_ROUNDS (default 300).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { AuditChain } from '../bridge/audit/auditChain.js';
import { BridgeEngine } from '../bridge/engine.js';
import { startBridgeHost } from '../bridge/host/bridgeHost.js';
import { ApprovalQueue } from '../bridge/policy/approvals.js';
import { startRelay } from '../relay/index.js';
import { createSandboxClient } from '../sandbox/client.js';
import { startSandbox } from '../sandbox/index.js';
import { sandboxGateway } from '../test/helpers/sandboxGateway.js';
import { KeepAliveMcpClient, openSession } from './rawMcp.js';
import { ms, percentile, roundRobin } from './stats.js';
import { personApproves } from '../test/helpers/clientConsent.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 300);

/** Runs the per-layer benchmark and prints its table. */
export async function benchHops(): Promise<void> {
  const home = await mkdtemp(join(tmpdir(), 'tgb-hops-'));
  const mcpToken = randomBytes(24).toString('base64url');
  const bridgeToken = randomBytes(24).toString('base64url');
  const sandbox = await startSandbox();
  const relay = await startRelay({ users: [{ id: 'hops', mcpToken, bridgeToken }] });
  const gateway = sandboxGateway(sandbox);
  const host = await startBridgeHost({ clientConsent: personApproves(), relayUrl: relay.url, bridgeToken, auditPath: join(home, 'audit.jsonl'), gateway });
  const direct = createSandboxClient(sandbox, sandbox.mintSession());
  const ai = new Client({ name: 'bench-hops', version: '1' });
  // The same engine over an audit chain that does not fsync: what the engine costs besides durable appends.
  const unsynced = await AuditChain.open(join(home, 'unsynced.jsonl'), { fsync: false });
  const engineNoFsync = new BridgeEngine({ gateway, audit: unsynced, approvals: new ApprovalQueue() });
  let bare: KeepAliveMcpClient | undefined;
  try {
    await host.waitConnected();
    await direct.connect();
    await ai.connect(
      new StreamableHTTPClientTransport(new URL(relay.mcpUrl), {
        requestInit: { headers: { Authorization: `Bearer ${mcpToken}` } },
      }),
    );
    bare = new KeepAliveMcpClient(await openSession(relay.mcpUrl, mcpToken));
    const mcp = bare;
    let n = 0;
    const layers: [string, () => Promise<unknown>][] = [
      ['gramjs → sandbox (direct)', () => direct.getDialogs({ limit: 20 })],
      ['gateway', () => gateway.listDialogs({ limit: 20 })],
      ['engine, audit not fsync\'d', () => engineNoFsync.call({ callId: `u${n++}`, tool: 'list_dialogs', args: { limit: 20 } })],
      ['engine (schema+policy+audit)', () => host.engine.call({ callId: `h${n++}`, tool: 'list_dialogs', args: { limit: 20 } })],
      ['MCP (bare) → relay → link → engine', () => mcp.callTool('list_dialogs', { limit: 20 })],
      ['MCP (SDK) → relay → link → engine', () => ai.callTool({ name: 'list_dialogs', arguments: { limit: 20 } })],
    ];
    const samples = await roundRobin(layers.map(([, fn]) => fn), ROUNDS);
    const p = (i: number, q: number) => percentile(samples[i]!, q);
    process.stdout.write(`list_dialogs (limit 20) per layer, ${ROUNDS} calls each, round robin:\n`);
    for (const [i, [name]] of layers.entries()) {
      process.stdout.write(`  ${name.padEnd(36)} p50 ${ms(p(i, 50)).padStart(10)}   p99 ${ms(p(i, 99)).padStart(10)}\n`);
    }
    process.stdout.write(
      `  relay + link share (bare MCP − engine) p50 +${ms(p(4, 50) - p(3, 50))}; SDK client's own (SDK − bare) p50 +${ms(p(5, 50) - p(4, 50))}; ` +
        `engine share (engine − gateway) p50 +${ms(p(3, 50) - p(1, 50))}, ` +
        `of which not durable appends (unsynced engine − gateway) +${ms(p(2, 50) - p(1, 50))}; ` +
        `product/direct p50 ${(p(4, 50) / p(0, 50)).toFixed(2)}× bare, ${(p(5, 50) / p(0, 50)).toFixed(2)}× SDK\n`,
    );
  } finally {
    bare?.close();
    await ai.close();
    await unsynced.close();
    await direct.destroy();
    await host.stop();
    await relay.close();
    await sandbox.stop();
    await rm(home, { recursive: true, force: true });
  }
}
