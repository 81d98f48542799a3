/**
 * Issue 8 §7: a pending write is withdrawn when its MCP client goes away without a cancel — its HTTP stream
 * closes, or its session is deleted. End to end with the MCP SDK client: relay (/mcp) → WebSocket → bridge →
 * sandbox. The relay sends `cancel`, the terminal prompt says the request was withdrawn, and a later approval
 * on the device sends nothing (before the fix, a client that timed out and left still got its send when the
 * person approved later — an AI that retries would send twice).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAuditEntries } from '../../bridge/audit/auditChain.js';
import { type BridgeHost, startBridgeHost } from '../../bridge/host/bridgeHost.js';
import { attachTerminalApprovals } from '../../bridge/host/terminalApprovals.js';
import { type Relay, startRelay } from '../../relay/index.js';
import { type Sandbox, startSandbox } from '../../sandbox/index.js';
import { nextApproval, outcomeOf } from '../helpers/approvalEvents.js';
import { sandboxGateway } from '../helpers/sandboxGateway.js';
import { personApproves } from '../helpers/clientConsent.js';

let sandbox: Sandbox;
let relay: Relay;
let host: BridgeHost;
let home: string;
let terminal: string;
let detachTerminal: () => void;
const mcpToken = randomBytes(24).toString('base64url');
const bridgeToken = randomBytes(24).toString('base64url');

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'tgb-gone-'));
  sandbox = await startSandbox();
  relay = await startRelay({ users: [{ id: 'person', mcpToken, bridgeToken }] });
  host = await startBridgeHost({
    clientConsent: personApproves(),
    relayUrl: relay.url,
    bridgeToken,
    gateway: sandboxGateway(sandbox),
    auditPath: join(home, 'audit.jsonl'),
    approvalTimeoutMs: 60_000,
    undoMs: 0, // approvals here are answered by the test; the undo window has its own tests
    link: { backoff: { initialMs: 100, maxMs: 400 } },
  });
  await host.waitConnected();
  // The person's terminal: nobody types, we only read what it shows.
  const output = new PassThrough();
  terminal = '';
  output.on('data', (d: Buffer) => (terminal += d.toString('utf8')));
  detachTerminal = attachTerminalApprovals(host.approvals, { input: new PassThrough(), output });
});

afterAll(async () => {
  detachTerminal?.();
  await host?.stop();
  await relay?.close();
  await sandbox?.stop();
  if (home) await rm(home, { recursive: true, force: true });
});

async function connectedClient(): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const client = new Client({ name: 'leaving-ai', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(relay.mcpUrl), {
    requestInit: { headers: { Authorization: `Bearer ${mcpToken}` } },
  });
  await client.connect(transport);
  return { client, transport };
}

/** Starts a send that waits for the person; resolves once the approval is on screen. */
async function sendWaiting(client: Client, text: string, withProgress = false) {
  const pending = nextApproval(host.approvals);
  const call = client
    .callTool(
      { name: 'send_message', arguments: { peer: `user:${sandbox.control.users()[0]!.id}`, text, mode: 'send' } },
      undefined,
      // With onprogress the SDK sends a progress token, and the relay answers as an SSE stream.
      withProgress ? { onprogress: () => undefined } : {},
    )
    .then(
      (r) => ({ settled: 'result' as const, r }),
      (e: unknown) => ({ settled: 'error' as const, e }),
    );
  const approval = await pending;
  return { approval, call, decided: outcomeOf(host.approvals, approval.callId) };
}

describe('a write whose MCP client went away is withdrawn and never sent', () => {
  it('the client closes its HTTP stream without cancelling: cancel reaches the device, a later approval sends nothing', async () => {
    const { client } = await connectedClient();
    const text = `left without cancelling ${randomBytes(4).toString('hex')}`;
    const { approval, call, decided } = await sendWaiting(client, text);
    expect(terminal).toContain(text);
    await client.close(); // aborts the HTTP request; the SDK sends no notifications/cancelled on close
    expect(await decided).toMatchObject({ status: 'cancelled', reason: expect.stringMatching(/MCP client went away/) });
    expect((await call).settled).toBe('error');
    // The person approves later, as in the report: nothing may be sent.
    expect(host.approvals.approve(approval.callId)).toBe(false);
    expect(terminal).toMatch(/withdrawn by the relay or the AI; nothing was sent/);
    expect(sandbox.control.sentMessages().some((m) => m.text === text)).toBe(false);
    const entries = await readAuditEntries(join(home, 'audit.jsonl'));
    // asked (recorded when the approval was requested, issue 8 §6), then withdrawn; never an intent
    expect(entries.filter((e) => e.call_id === approval.callId).map((e) => e.status)).toEqual(['pending', 'cancelled']);
  });

  it('the same when the answer was to come as an SSE stream (the client asked for progress)', async () => {
    const { client } = await connectedClient();
    const text = `left an SSE answer ${randomBytes(4).toString('hex')}`;
    const { approval, call, decided } = await sendWaiting(client, text, true);
    await client.close();
    expect(await decided).toMatchObject({ status: 'cancelled', reason: expect.stringMatching(/MCP client went away/) });
    expect((await call).settled).toBe('error');
    expect(host.approvals.approve(approval.callId)).toBe(false);
    expect(sandbox.control.sentMessages().some((m) => m.text === text)).toBe(false);
  });

  it('the client deletes its session (DELETE /mcp) while a send waits: withdrawn, nothing sent', async () => {
    const { client, transport } = await connectedClient();
    const text = `session ended ${randomBytes(4).toString('hex')}`;
    const { approval, call, decided } = await sendWaiting(client, text);
    await transport.terminateSession();
    expect(await decided).toMatchObject({ status: 'cancelled' });
    expect(host.approvals.approve(approval.callId)).toBe(false);
    await client.close();
    await call;
    expect(sandbox.control.sentMessages().some((m) => m.text === text)).toBe(false);
  });

  it('a client that stays gets its send when the person approves (the stream is still open)', async () => {
    const { client } = await connectedClient();
    const text = `still here ${randomBytes(4).toString('hex')}`;
    const { approval, call } = await sendWaiting(client, text);
    expect(host.approvals.approve(approval.callId)).toBe(true);
    const done = await call;
    expect(done).toMatchObject({ settled: 'result', r: { structuredContent: { sent: true, text } } });
    expect(sandbox.control.sentMessages().some((m) => m.text === text)).toBe(true);
    await client.close();
  });
});
