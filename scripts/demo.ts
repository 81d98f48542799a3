/**
 * `npm run demo` — the whole product on one machine, over real protocols:
 * a local Telegram (the MTProto sandbox), a local relay, the bridge (this device), and an MCP client that
 * lists dialogs, reads a chat and asks to send a message, which you approve or deny here.
 *
 *   npm run demo              approve or deny in this terminal
 *   npm run demo -- --yes     the demo approves by itself (audited as decided_by "auto"); no input needed
 *   npm run demo -- --serve   keep everything running for your own MCP client; Ctrl-C to stop
 *   npm run demo -- --serve --ui   the same, plus the app UI on 127.0.0.1 (prints `UI: <url>`): approve or
 *                                  deny there or here — the first decision wins
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Command } from 'commander';
import { verifyAuditFile } from '../bridge/audit/auditChain.js';
import { stdinClientConsent } from '../bridge/cli/clientConsentPrompt.js';
import { describeVerify } from '../bridge/cli/main.js';
import { startBridgeHost } from '../bridge/host/bridgeHost.js';
import { attachTerminalApprovals } from '../bridge/host/terminalApprovals.js';
import type { ClientConsentPrompt } from '../bridge/policy/clientScopes.js';
import { GramjsGateway } from '../bridge/telegram/gateway.js';
import { DeviceService } from '../bridge/ui/deviceService.js';
import { startUiServer } from '../bridge/ui/uiServer.js';
import { ensureUiBuilt } from './buildUi.js';
import { startRelay } from '../relay/index.js';
import { SANDBOX_API_HASH, SANDBOX_API_ID, startSandbox } from '../sandbox/index.js';

const program = new Command()
  .name('npm run demo --')
  .description('Run sandbox Telegram + relay + bridge + an MCP client on this machine.')
  .option('--yes', 'approve the demo send automatically (recorded as "auto" in the audit chain)')
  .option('--serve', 'keep running and print the MCP endpoint and token for your own MCP client')
  .option('--ui', 'with --serve: also serve the app UI on 127.0.0.1 and print `UI: <url>`')
  .option('--keep', 'keep the temporary data directory (audit chain) after exit')
  .parse();
const opts = program.opts<{ yes?: boolean; serve?: boolean; ui?: boolean; keep?: boolean }>();

const say = (s = '') => process.stdout.write(`${s}\n`);
const step = (s: string) => say(`\n▶ ${s}`);

async function run(): Promise<number> {
  const home = await mkdtemp(join(tmpdir(), 'tg-bridge-demo-'));
  const auditPath = join(home, 'audit.jsonl');
  const mcpToken = randomBytes(24).toString('base64url');
  const bridgeToken = randomBytes(24).toString('base64url');
  const cleanup: Array<() => Promise<unknown>> = [];
  const shutdown = async () => {
    for (const fn of cleanup.reverse()) await fn().catch(() => {});
    if (!opts.keep) await rm(home, { recursive: true, force: true });
  };

  try {
    step('Starting the local Telegram sandbox (MTProto server on 127.0.0.1)');
    const sandbox = await startSandbox();
    cleanup.push(() => sandbox.stop());
    const me = sandbox.control.account();
    say(`  MTProto: ${sandbox.host}:${sandbox.port} — signed in as ${me.firstName} (@${me.username})`);

    step('Starting the relay (MCP endpoint + device WebSocket hub)');
    const relay = await startRelay({ users: [{ id: 'demo', mcpToken, bridgeToken }] });
    cleanup.push(() => relay.close());
    say(`  MCP endpoint: ${relay.mcpUrl}`);

    step('Starting the bridge on this device and dialing out to the relay');
    const gateway = new GramjsGateway({
      apiId: SANDBOX_API_ID,
      apiHash: SANDBOX_API_HASH,
      session: sandbox.mintSession(),
      clientParams: sandbox.clientParams(),
    });
    // --yes answers by itself, so there is nobody to undo: no undo window (issue 8 §2).
    // The relay names the demo's bearer-token AI ("Command-line client"); the device asks the person once, as it
    // asks about any new AI app. --yes allows it by itself, and says so.
    const clientConsent: ClientConsentPrompt = opts.yes
      ? async ({ clientName, relay: via }) => {
          say(`  (--yes) allowing "${clientName}" through ${via}: read + ask-to-write, all chats (each write still waits)`);
          return { approved: true, scope: { access: 'read_write', chats: 'all' } };
        }
      : stdinClientConsent(
          (text) => process.stdout.write(text),
          async (ref) => (await gateway.resolvePeer(ref)).ref,
        );
    const host = await startBridgeHost({
      relayUrl: relay.url,
      bridgeToken,
      gateway,
      auditPath,
      clientConsent,
      ...(opts.yes ? { undoMs: 0 } : {}),
    });
    cleanup.push(() => host.stop());
    await host.waitConnected();
    say('  bridge connected; the Telegram session stays on this device');

    if (opts.yes) {
      host.approvals.on('added', (p) => {
        say(`  (--yes) approving automatically: ${p.view.effect}`);
        host.approvals.approve(p.callId, { by: 'auto' });
      });
    } else {
      const detach = attachTerminalApprovals(host.approvals, { rules: host.engine.rules });
      cleanup.push(async () => detach());
    }

    if (opts.serve && opts.ui) {
      const service = new DeviceService({ host, account: { name: me.firstName, username: me.username ?? null } });
      cleanup.push(async () => service.close());
      const ui = await startUiServer({ service, staticDir: await ensureUiBuilt() });
      cleanup.push(() => ui.close());
      say(`UI: ${ui.url}`);
    }

    if (opts.serve) {
      say('');
      say(`MCP endpoint: ${relay.mcpUrl}`);
      say(`MCP token: ${mcpToken}`);
      say('Attach any MCP client (Streamable HTTP, header "Authorization: Bearer <token>"). Ctrl-C stops.');
      const signal = await new Promise<string>((resolve) => {
        process.once('SIGINT', () => resolve('SIGINT'));
        process.once('SIGTERM', () => resolve('SIGTERM'));
      });
      say(`\n${signal}: stopping`);
      await host.stop();
      say(describeVerify(await verifyAuditFile(auditPath, { deviceKey: host.deviceKey })));
      return 0;
    }

    step('An MCP client (the "AI") connects to the relay');
    const client = new Client({ name: 'demo-ai', version: '1.0.0' });
    const transport = new StreamableHTTPClientTransport(new URL(relay.mcpUrl), {
      requestInit: { headers: { Authorization: `Bearer ${mcpToken}` } },
    });
    await client.connect(transport);
    cleanup.push(() => client.close());
    const tools = await client.listTools();
    say(`  tools: ${tools.tools.map((t) => t.name).join(', ')}`);

    step('AI → list_dialogs');
    const dialogs = (await client.callTool({ name: 'list_dialogs', arguments: { limit: 10 } }))
      .structuredContent as {
      dialogs: Array<{ peer: string; type: string; title: string; unread_count: number }>;
    };
    for (const d of dialogs.dialogs) {
      say(
        `  ${d.peer.padEnd(16)} ${d.type.padEnd(6)} unread ${String(d.unread_count).padStart(2)}  ${unwrap(d.title)}`,
      );
    }
    say('  (titles reach the AI wrapped as untrusted content, e.g.)');
    say(`  ${dialogs.dialogs[0]?.title ?? ''}`);

    const chat = dialogs.dialogs.find((d) => d.type === 'group') ?? dialogs.dialogs[0];
    if (!chat) throw new Error('the sandbox has no dialogs');
    step(`AI → get_messages ${chat.peer} (limit 5)`);
    const history = (
      await client.callTool({ name: 'get_messages', arguments: { peer: chat.peer, limit: 5 } })
    ).structuredContent as { messages: Array<{ id: number; from: string; text: string }> };
    for (const m of [...history.messages].reverse()) say(`  #${m.id} ${unwrap(m.from)}: ${unwrap(m.text)}`);

    const friend = dialogs.dialogs.find((d) => d.type === 'user') ?? chat;
    const text = 'Hi! Running a bit late, see you at 7. (sent by my assistant, approved by me)';
    step(
      `AI → send_message to ${unwrap(friend.title)} (waits for your approval${opts.yes ? '; --yes answers it' : ''})`,
    );
    const sent = (
      await client.callTool({ name: 'send_message', arguments: { peer: friend.peer, text, mode: 'send' } })
    ).structuredContent as {
      sent: boolean;
      status: string;
      message_id?: number;
      reason?: string;
      text: string;
    };
    say(
      sent.sent
        ? `  result: sent, message id ${sent.message_id}`
        : `  result: not sent (${sent.status})${sent.reason ? ` — ${sent.reason}` : ''}`,
    );

    step('What arrived in Telegram (the sandbox)');
    const arrived = sandbox.control.sentMessages();
    if (arrived.length === 0) say('  nothing — no message left this account');
    for (const m of arrived) say(`  #${m.id} → ${m.peer}: ${m.text}`);

    step('Verifying the local audit chain');
    await host.stop();
    const verdict = await verifyAuditFile(auditPath, { deviceKey: host.deviceKey });
    say(`  entries hold tool, redacted peer, phase and decision — never text, tokens or the session`);
    say(describeVerify(verdict));
    return verdict.ok ? 0 : 1;
  } finally {
    await shutdown();
  }
}

/** Shows wrapped Telegram text without the boundary tags, for the person reading the demo. */
function unwrap(s: string): string {
  return s.replace(/<telegram-content[^>]*>/g, '').replace(/<\/telegram-content>/g, '');
}

run().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`demo failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
