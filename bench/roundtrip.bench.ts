/**
 * list_dialogs round trip: MCP client → relay → bridge → sandbox, against the same gramjs call made directly to
 * the sandbox, alternated in one run. Prints p50/p99 of each and the ratio (the product's overhead).
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
import { ms, percentile, sideBySide } from './stats.js';
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
  try {
    const limit = 20;
    const viaProduct = async () => {
      const r = await ai.callTool({ name: 'list_dialogs', arguments: { limit } });
      if (r.isError) throw new Error('list_dialogs failed during the benchmark');
    };
    const viaGramjs = () => direct.getDialogs({ limit });
    const { a, b } = await sideBySide(viaProduct, viaGramjs, ROUNDS);
    const rows = [
      ['MCP → relay → bridge → sandbox', percentile(a, 50), percentile(a, 99)],
      ['gramjs → sandbox (direct)', percentile(b, 50), percentile(b, 99)],
    ] as const;
    process.stdout.write(`list_dialogs (limit ${limit}), ${ROUNDS} calls each, alternated:\n`);
    for (const [name, p50, p99] of rows) {
      process.stdout.write(
        `  ${name.padEnd(34)} p50 ${ms(p50).padStart(10)}   p99 ${ms(p99).padStart(10)}\n`,
      );
    }
    process.stdout.write(
      `  ratio product/direct: p50 ${(rows[0][1] / rows[1][1]).toFixed(2)}×   p99 ${(rows[0][2] / rows[1][2]).toFixed(2)}×\n`,
    );
  } finally {
    await ai.close();
    await direct.destroy();
    await host.stop();
    await relay.close();
    await sandbox.stop();
    await rm(home, { recursive: true, force: true });
  }
}
