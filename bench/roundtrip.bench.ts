/**
 * list_dialogs round trip: MCP client → relay → bridge → sandbox, against the same gramjs call made directly to
 * the sandbox, round robin in one run. Prints p50/p99 of each and the ratios (the product's overhead), for two
 * MCP clients of the same relay session kind:
 * - a bare client (JSON-RPC over one kept-alive node:http connection, rawMcp.ts): the relay, link and
 *   engine's share with next to nothing of the client's own;
 * - the MCP SDK's `Client` with its Streamable HTTP transport (fetch): what a TypeScript MCP client adds on
 *   top (its own request/response validation and fetch), not work the relay or the device does.
 * Both clients also call the floor (plainForwarder.ts): the same http + ws hop to a device calling the same
 * gateway, with nothing of the product's (no auth, checks, audit, policy or boundary). So the table shows what
 * any relayed design costs with each client, and what the product adds on top of that.
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
import { startPlainForwarder } from './plainForwarder.js';
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
  const gateway = sandboxGateway(sandbox);
  const host = await startBridgeHost({
    clientConsent: personApproves(),
    relayUrl: relay.url,
    bridgeToken,
    auditPath: join(home, 'audit.jsonl'),
    gateway,
  });
  await host.waitConnected();
  const direct = createSandboxClient(sandbox, sandbox.mintSession());
  await direct.connect();
  const sdkClient = async (url: string) => {
    const client = new Client({ name: 'bench', version: '1' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(url), {
        requestInit: { headers: { Authorization: `Bearer ${mcpToken}` } },
      }),
    );
    return client;
  };
  const floor = await startPlainForwarder(async (args) => ({ dialogs: await gateway.listDialogs({ limit: Number(args.limit) }) }));
  const ai = await sdkClient(relay.mcpUrl);
  const floorAi = await sdkClient(floor.mcpUrl);
  const bare = new KeepAliveMcpClient(await openSession(relay.mcpUrl, mcpToken));
  const floorBare = new KeepAliveMcpClient(await openSession(floor.mcpUrl, mcpToken));
  try {
    const limit = 20;
    const viaSdk = (client: Client) => async () => {
      const r = await client.callTool({ name: 'list_dialogs', arguments: { limit } });
      if (r.isError) throw new Error('list_dialogs failed during the benchmark');
    };
    const directSide: [string, () => Promise<unknown>] = ['gramjs → sandbox (direct)', () => direct.getDialogs({ limit })];
    // Two passes, each round robin against its own direct calls: the product as always measured (three sides),
    // then the floor. One pass of five would let each side's code evict the others' from the caches between calls.
    const passes: Array<Array<[string, () => Promise<unknown>]>> = [
      [
        directSide,
        ['MCP (bare client) → relay → bridge → sandbox', () => bare.callTool('list_dialogs', { limit })],
        ['MCP (SDK client) → relay → bridge → sandbox', viaSdk(ai)],
      ],
      [
        directSide,
        ['floor: bare client → plain http + ws hop', () => floorBare.callTool('list_dialogs', { limit })],
        ['floor: SDK client → plain http + ws hop', viaSdk(floorAi)],
      ],
    ];
    process.stdout.write(`list_dialogs (limit ${limit}), ${ROUNDS} calls each, round robin in two passes:\n`);
    const ratios: number[][] = [];
    for (const [pass, sides] of passes.entries()) {
      const samples = await roundRobin(sides.map(([, fn]) => fn), ROUNDS);
      const p = (i: number, q: number) => percentile(samples[i]!, q);
      ratios.push([1, 2].map((i) => p(i, 50) / p(0, 50)));
      for (const [i, [name]] of sides.entries()) {
        const ratio = (q: number) => (i ? `${(p(i, q) / p(0, q)).toFixed(2)}×` : '').padStart(6);
        process.stdout.write(
          `  ${name.padEnd(46)} p50 ${ms(p(i, 50)).padStart(10)} ${ratio(50)}   p99 ${ms(p(i, 99)).padStart(10)} ${ratio(99)}\n`,
        );
      }
      if (pass === 0) {
        for (const [i, client] of [[1, 'bare client'], [2, 'SDK client ']] as const) {
          process.stdout.write(
            `  ratio product/direct, ${client}: p50 ${(p(i, 50) / p(0, 50)).toFixed(2)}×   p99 ${(p(i, 99) / p(0, 99)).toFixed(2)}× (target ≤ 1.5× / ≤ 3×)\n`,
          );
        }
      }
    }
    const [product, floorRatios] = ratios as [number[], number[]];
    process.stdout.write(
      `  the floor (any relayed design): p50 ${floorRatios[0]!.toFixed(2)}× with the bare client, ${floorRatios[1]!.toFixed(2)}× with the SDK client; ` +
        `the product adds ${(product[0]! - floorRatios[0]!).toFixed(2)}× / ${(product[1]! - floorRatios[1]!).toFixed(2)}× of a direct call over it\n`,
    );
  } finally {
    bare.close();
    floorBare.close();
    await ai.close();
    await floorAi.close();
    await floor.close();
    await direct.destroy();
    await host.stop();
    await relay.close();
    await sandbox.stop();
    await rm(home, { recursive: true, force: true });
  }
}
