/**
 * `npm start -- --demo`: the app wired to the embedded MTProto sandbox, a local relay and a scripted AI, so a
 * person sees approval popups without a Telegram account. The AI lists dialogs, then asks to send a message;
 * when that request is decided it asks again after a pause, until the app quits.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { type BridgeHost, startBridgeHost } from '../bridge/host/bridgeHost.js';
import { GramjsGateway } from '../bridge/telegram/gateway.js';
import { startRelay } from '../relay/index.js';
import { SANDBOX_API_HASH, SANDBOX_API_ID, startSandbox } from '../sandbox/index.js';

/** Pause between the scripted AI's requests, in ms. */
export const DEMO_AI_PAUSE_MS = 15_000;

const LINES = [
  'Hi! Running a bit late, see you at 7.',
  'Could you send me the slides from Tuesday?',
  'Happy birthday! 🎉 Dinner on me this weekend.',
];

/** A running demo world. */
export interface DemoDevice {
  host: BridgeHost;
  account: { name: string; username: string | null };
  stop(): Promise<void>;
}

/** Starts sandbox, relay, the bridge host and the scripted AI; data lives in `dataDir`. */
export async function startDemoDevice(dataDir: string): Promise<DemoDevice> {
  const sandbox = await startSandbox();
  const mcpToken = randomBytes(24).toString('base64url');
  const bridgeToken = randomBytes(24).toString('base64url');
  const relay = await startRelay({ users: [{ id: 'demo', mcpToken, bridgeToken }] });
  const gateway = new GramjsGateway({
    apiId: SANDBOX_API_ID,
    apiHash: SANDBOX_API_HASH,
    session: sandbox.mintSession(),
    clientParams: sandbox.clientParams(),
  });
  const host = await startBridgeHost({ relayUrl: relay.url, bridgeToken, gateway, auditPath: join(dataDir, 'demo-audit.jsonl') });
  // The relay names the scripted AI `cli:demo` and asks the device about it; the demo approves it up front, as
  // the person would (read + ask-to-write, all chats: every send still waits in the approval popup), and the
  // approval is listed among the device's AI clients like any other.
  await host.clientScopes.approve({
    clientId: 'cli:demo',
    clientName: 'Demo AI (scripted)',
    relay: relay.url,
    scope: { access: 'read_write', chats: 'all' },
    approvedAt: Date.now(),
  });
  const ai = new Client({ name: 'demo-ai', version: '1.0.0' });
  let stopped = false;
  const loop = async () => {
    await host.waitConnected(30_000);
    await ai.connect(
      new StreamableHTTPClientTransport(new URL(relay.mcpUrl), {
        requestInit: { headers: { Authorization: `Bearer ${mcpToken}` } },
      }),
    );
    for (let i = 0; !stopped; i += 1) {
      const dialogs = (await ai.callTool({ name: 'list_dialogs', arguments: { limit: 10 } })).structuredContent as {
        dialogs: Array<{ peer: string; type: string }>;
      };
      const users = dialogs.dialogs.filter((d) => d.type === 'user');
      const to = users[i % Math.max(1, users.length)];
      if (to) {
        await ai.callTool(
          { name: 'send_message', arguments: { peer: to.peer, text: LINES[i % LINES.length], mode: 'send' } },
          undefined,
          { timeout: 180_000 },
        );
      }
      await new Promise((r) => setTimeout(r, DEMO_AI_PAUSE_MS));
    }
  };
  void loop().catch(() => undefined);
  const me = sandbox.control.account();
  return {
    host,
    account: { name: me.firstName, username: me.username ?? null },
    async stop() {
      stopped = true;
      await ai.close().catch(() => undefined);
      await host.stop();
      await relay.close();
      await sandbox.stop();
    },
  };
}
