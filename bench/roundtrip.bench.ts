/**
 * list_dialogs round trip: MCP client → relay → bridge → sandbox, against the same gramjs call made directly to
 * the sandbox, round robin in one run. Prints p50/p99 of each and the ratios (the product's overhead), for two
 * MCP clients of the same relay session kind:
 * - a bare client (JSON-RPC over one kept-alive node:http connection, rawMcp.ts): the relay, link and
 *   engine's share with next to nothing of the client's own;
 * - the MCP SDK's `Client` with its Streamable HTTP transport (fetch): what a TypeScript MCP client adds on
 *   top (its own request/response validation and fetch), not work the relay or the device does.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startBridgeHost } from '../bridge/host/bridgeHost.js';
import { startRelay } from '../relay/index.js';
import { createSandboxClient } from '../sandbox/client.js';
import { startSandbox } from '../sandbox/index.js';
import { KeepAliveMcpClient, openSession } from './rawMcp.js';
import { ms, percentile, roundRobin } from './stats.js';
import { sandboxGateway } from '../test/helpers/sandboxGateway.js';
import { personApproves } from '../test/helpers/clientConsent.js';

/** Rounds per side (env BENCH_ROUNDS, default 300). */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 300);

/** Runs the round-trip benchmark and prints its table. */
export async function benchRoundTrip(): Promise<void> {
  const home = await mkdtemp(join(tmpdir(), 'tgb-bench-'));
  const mcpToken = randomBytes(24).toString('base64url');
  const bridgeToken = randomBytes(24).toString('base64url');
  const sandbox = await startSandbox();
  const relay = await startRelay({ users: [{ id: 'bench', mcpToken, bridgeToken }] });
  const host = await startBridgeHost({
    clientConsent: personApproves(),
    relayUrl: relay.url,
    bridgeToken,
    auditPath: join(home, 'audit.jsonl'),
    gateway: sandboxGateway(sandbox),
  });
  await host.waitConnected();
  const direct = createSandboxClient(sandbox, sandbox.mintSession());
  await direct.connect();
  const ai = new Client({ name: 'bench', version: '1' });
  await ai.connect(
    new StreamableHTTPClientTransport(new URL(relay.mcpUrl), {
      requestInit: { headers: { Authorization: `Bearer ${mcpToken}` } },
    }),
  );
  const bare = new KeepAliveMcpClient(await openSession(relay.mcpUrl, mcpToken));
  try {
    const limit = 20;
    const sides: Array<[string, () => Promise<unknown>]> = [
      ['gramjs → sandbox (direct)', () => direct.getDialogs({ limit })],
      ['MCP (bare client) → relay → bridge → sandbox', () => bare.callTool('list_dialogs', { limit })],
      [
        'MCP (SDK client) → relay → bridge → sandbox',
        async () => {
          const r = await ai.callTool({ name: 'list_dialogs', arguments: { limit } });
          if (r.isError) throw new Error('list_dialogs failed during the benchmark');
        },
      ],
    ];
    const samples = await roundRobin(sides.map(([, fn]) => fn), ROUNDS);
    const p = (i: number, q: number) => percentile(samples[i]!, q);
    process.stdout.write(`list_dialogs (limit ${limit}), ${ROUNDS} calls each, round robin:\n`);
    for (const [i, [name]] of sides.entries()) {
      process.stdout.write(`  ${name.padEnd(46)} p50 ${ms(p(i, 50)).padStart(10)}   p99 ${ms(p(i, 99)).padStart(10)}\n`);
    }
    for (const i of [1, 2]) {
      process.stdout.write(
        `  ratio product/direct, ${i === 1 ? 'bare client' : 'SDK client '}: p50 ${(p(i, 50) / p(0, 50)).toFixed(2)}×   p99 ${(p(i, 99) / p(0, 99)).toFixed(2)}× (target ≤ 1.5× / ≤ 3×)\n`,
      );
    }
  } finally {
    bare.close();
    await ai.close();
    await direct.destroy();
    await host.stop();
    await relay.close();
    await sandbox.stop();
    await rm(home, { recursive: true, force: true });
  }
}
