/**
 * The walking skeleton end to end, over real sockets: an MCP SDK client → relay (/mcp) → WebSocket →
 * bridge → unmodified gramjs → MTProto sandbox. Each test is one acceptance item of issue 3.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { readAuditEntries } from '../../bridge/audit/auditChain.js';
import { main as cli } from '../../bridge/cli/main.js';
import { type BridgeHost, startBridgeHost } from '../../bridge/host/bridgeHost.js';
import { type Relay, startRelay } from '../../relay/index.js';
import { type Sandbox, startSandbox } from '../../sandbox/index.js';
import { sandboxGateway } from '../helpers/sandboxGateway.js';
import { personApproves } from '../helpers/clientConsent.js';

/** Every WebSocket frame either side sends in this process, for the secrets scan. */
const frames: string[] = [];
const originalSend = WebSocket.prototype.send;
WebSocket.prototype.send = function send(this: WebSocket, data: unknown, ...rest: unknown[]) {
  frames.push(typeof data === 'string' ? data : Buffer.from(data as Buffer).toString('utf8'));
  return (originalSend as (...a: unknown[]) => void).call(this, data, ...rest);
} as typeof WebSocket.prototype.send;

const logLines: string[] = [];
const logSink = new Writable({
  write(chunk, _enc, cb) {
    logLines.push(chunk.toString());
    cb();
  },
});
const logger = pino({ level: 'trace' }, logSink);

type Structured = Record<string, unknown>;

let sandbox: Sandbox;
let relay: Relay;
let host: BridgeHost;
let home: string;
let auditPath: string;
let session: string;
let ai: Client;
const mcpToken = randomBytes(24).toString('base64url');
const bridgeToken = randomBytes(24).toString('base64url');
const idleMcpToken = randomBytes(24).toString('base64url');
const idleBridgeToken = randomBytes(24).toString('base64url');
/** How the person answers the next approval in these tests. */
let answer: (callId: string) => void = () => {};

async function mcpClient(url: string, token: string): Promise<Client> {
  const client = new Client({ name: 'e2e-ai', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(url), {
      requestInit: { headers: { Authorization: `Bearer ${token}` } },
    }),
  );
  return client;
}

async function call(name: string, args: Structured, client = ai) {
  return client.callTool({ name, arguments: args });
}

function textOf(result: Awaited<ReturnType<Client['callTool']>>): string {
  return (result.content as Array<{ type: string; text?: string }>).map((c) => c.text ?? '').join('\n');
}

function startTestRelay(port?: number): Promise<Relay> {
  return startRelay({
    ...(port ? { port } : {}),
    users: [
      { id: 'person', mcpToken, bridgeToken },
      { id: 'nobody-online', mcpToken: idleMcpToken, bridgeToken: idleBridgeToken },
    ],
    logger,
  });
}

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'tgb-e2e-'));
  auditPath = join(home, 'audit.jsonl');
  sandbox = await startSandbox();
  relay = await startTestRelay();
  session = sandbox.mintSession();
  const gateway = sandboxGateway(sandbox, { session });
  host = await startBridgeHost({
    clientConsent: personApproves(),
    relayUrl: relay.url,
    bridgeToken,
    gateway,
    auditPath,
    approvalTimeoutMs: 1_500,
    undoMs: 0, // approvals here are answered by the test at once; the undo window has its own tests
    link: { backoff: { initialMs: 100, maxMs: 400 } },
    logger,
  });
  host.approvals.on('added', (p) => answer(p.callId));
  await host.waitConnected();
  ai = await mcpClient(relay.mcpUrl, mcpToken);
});

afterAll(async () => {
  await ai?.close();
  await host?.stop();
  await relay?.close();
  await sandbox?.stop();
  WebSocket.prototype.send = originalSend;
  if (home) await rm(home, { recursive: true, force: true });
});

describe('walking skeleton: MCP client → relay → bridge → sandbox', () => {
  it('list_dialogs returns the seeded dialogs with titles wrapped as untrusted content', async () => {
    const result = await call('list_dialogs', { limit: 50 });
    expect(result.isError).toBeFalsy();
    const { dialogs, notice } = result.structuredContent as {
      dialogs: Array<{ peer: string; title: string; type: string; unread_count: number }>;
      notice: string;
    };
    expect(notice).toMatch(/untrusted|not instructions/i);
    const expected = [
      ...sandbox.control.users().map((u) => `user:${u.id}`),
      ...sandbox.control.chats().map((c) => `chat:${c.id}`),
    ];
    const got = dialogs.map((d) => d.peer);
    for (const peer of expected.filter((p) => sandbox.control.history(p).length > 0))
      expect(got).toContain(peer);
    for (const d of dialogs) {
      expect(d.title).toMatch(
        /^<telegram-content origin="telegram" peer="[a-z]+#[0-9a-f]{8}" untrusted="true">/,
      );
      expect(d.title).toMatch(/<\/telegram-content>$/);
    }
    const group = sandbox.control.chats()[0]!;
    const groupDialog = dialogs.find((d) => d.peer === `chat:${group.id}`)!;
    expect(groupDialog.type).toBe('group');
    expect(groupDialog.title).toContain(group.title);
    // The text view carries the same data for clients that ignore structuredContent.
    expect(textOf(result)).toContain(group.title);
  });

  it('get_messages pages with before_id through the whole history without gaps or repeats', async () => {
    const group = sandbox.control.chats()[0]!;
    const peer = `chat:${group.id}`;
    const stored = sandbox.control.history(peer);
    expect(stored.length).toBeGreaterThan(5);
    const seen: number[] = [];
    let before: number | undefined;
    for (let page = 0; page < 100; page++) {
      const r = await call('get_messages', { peer, limit: 4, ...(before ? { before_id: before } : {}) });
      expect(r.isError).toBeFalsy();
      const s = r.structuredContent as {
        messages: Array<{ id: number; text: string }>;
        next_before_id?: number;
      };
      for (const m of s.messages) {
        expect(m.text.startsWith('<telegram-content ')).toBe(true);
        seen.push(m.id);
      }
      if (!s.next_before_id) break;
      before = s.next_before_id;
    }
    expect(seen).toEqual(stored.map((m) => m.id).reverse());
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('send_message dry_run makes no Telegram call and writes an audit entry', async () => {
    const friend = sandbox.control.users()[0]!;
    const before = sandbox.control.sentMessages().length;
    const r = await call('send_message', {
      peer: `user:${friend.id}`,
      text: 'dry run text',
      mode: 'dry_run',
    });
    const s = r.structuredContent as { sent: boolean; status: string; dry_reason: string };
    expect(s).toMatchObject({ sent: false, status: 'dry_run' });
    expect(s.dry_reason).toMatch(/nothing was sent/);
    expect(sandbox.control.sentMessages().length).toBe(before);
    const entries = await readAuditEntries(auditPath);
    expect(entries.at(-1)).toMatchObject({ tool: 'send_message', phase: 'result', status: 'dry_run' });
  });

  it('an approved send arrives exactly once; the AI gets the message id', async () => {
    const friend = sandbox.control.users()[1]!;
    const text = `approved ${randomBytes(4).toString('hex')}`;
    let shown: { view: { client?: string; peer: { title: string; ref: string } }; text: string } | undefined;
    answer = (id) => {
      shown = host.approvals.pending().find((p) => p.callId === id);
      host.approvals.approve(id, { by: 'person' });
    };
    const r = await call('send_message', { peer: `user:${friend.id}`, text, mode: 'send' });
    // The person saw who asked, the resolved peer and the full text.
    expect(shown).toMatchObject({
      view: { client: 'e2e-ai 1.0.0', peer: { ref: `user:${friend.id}` }, text: { shown: text } },
      text,
    });
    const s = r.structuredContent as { sent: boolean; message_id: number };
    expect(s.sent).toBe(true);
    const arrived = sandbox.control.sentMessages().filter((m) => m.text === text);
    expect(arrived).toHaveLength(1);
    expect(arrived[0]).toMatchObject({ id: s.message_id, peer: `user:${friend.id}` });
    const tail = (await readAuditEntries(auditPath)).slice(-2);
    expect(tail.map((e) => [e.phase, e.status, e.decided_by])).toEqual([
      ['intent', 'ok', 'person'],
      ['result', 'ok', 'person'],
    ]);
  });

  it('a denied send never arrives and the AI gets the reason', async () => {
    const friend = sandbox.control.users()[1]!;
    const text = `denied ${randomBytes(4).toString('hex')}`;
    answer = (id) => host.approvals.deny(id, 'not now, I will write myself');
    const r = await call('send_message', { peer: `@${friend.username}`, text, mode: 'send' });
    const s = r.structuredContent as { sent: boolean; status: string; reason: string };
    expect(r.isError).toBeFalsy();
    expect(s).toMatchObject({ sent: false, status: 'denied' });
    expect(s.reason).toContain('not now, I will write myself');
    expect(sandbox.control.sentMessages().some((m) => m.text === text)).toBe(false);
  });

  it('an unanswered send expires and never arrives', async () => {
    const friend = sandbox.control.users()[2]!;
    const text = `expires ${randomBytes(4).toString('hex')}`;
    answer = () => {};
    const r = await call('send_message', { peer: `user:${friend.id}`, text, mode: 'send' });
    expect(r.structuredContent).toMatchObject({ sent: false, status: 'expired' });
    await new Promise((res) => setTimeout(res, 300));
    expect(sandbox.control.sentMessages().some((m) => m.text === text)).toBe(false);
    expect((await readAuditEntries(auditPath)).at(-1)).toMatchObject({ status: 'expired', phase: 'result' });
  });

  it('a standing rule the person made lets writes to that chat through without asking, until revoked', async () => {
    const friend = sandbox.control.users()[0]!;
    const peer = `user:${friend.id}`;
    let asked = 0;
    answer = (id) => {
      asked += 1;
      host.approvals.deny(id, 'asked');
    };
    const rule = host.engine.rules.add({ tool: 'send_message', peerRef: peer, peerTitle: 'friend', durationMs: 60_000 });
    const text = `by rule ${randomBytes(4).toString('hex')}`;
    const r = await call('send_message', { peer: `@${friend.username}`, text, mode: 'send' });
    expect(r.structuredContent).toMatchObject({ sent: true });
    expect(asked).toBe(0);
    expect(sandbox.control.sentMessages().filter((m) => m.text === text)).toHaveLength(1);
    expect((await readAuditEntries(auditPath)).at(-1)).toMatchObject({ status: 'ok', decided_by: 'rule' });
    // Another chat is not covered by the rule.
    const other = await call('send_message', { peer: `user:${sandbox.control.users()[1]!.id}`, text, mode: 'send' });
    expect(other.structuredContent).toMatchObject({ sent: false, status: 'denied' });
    expect(asked).toBe(1);
    host.engine.rules.revoke(rule.id);
    const after = await call('send_message', { peer, text: `${text} again`, mode: 'send' });
    expect(after.structuredContent).toMatchObject({ sent: false, status: 'denied' });
    expect(asked).toBe(2);
  });

  it('bad tool arguments give a clear tool error naming the field, and nothing is sent', async () => {
    const before = sandbox.control.sentMessages().length;
    const r = await call('send_message', { peer: 'not a peer!!', text: 'x', mode: 'send' });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/peer/);
    const r2 = await call('send_message', { peer: '@alice_demo', text: 'x', mode: 'yolo' });
    expect(r2.isError).toBe(true);
    expect(textOf(r2)).toMatch(/mode/);
    const r3 = await call('get_messages', { peer: 'user:1', limit: 100000 });
    expect(textOf(r3)).toMatch(/limit/);
    expect(sandbox.control.sentMessages().length).toBe(before);
  });

  it('the device re-validates arguments itself (a relay that forwards anything cannot make it send)', async () => {
    const before = sandbox.control.sentMessages().length;
    await expect(
      host.engine.call({
        callId: 'raw-1',
        tool: 'send_message',
        args: { peer: '@x', text: '', mode: 'send' },
      }),
    ).rejects.toMatchObject({ code: 'invalid_arguments', message: expect.stringMatching(/peer|text/) });
    await expect(host.engine.call({ callId: 'raw-2', tool: 'rm_rf', args: {} })).rejects.toMatchObject({
      code: 'unknown_tool',
    });
    expect(sandbox.control.sentMessages().length).toBe(before);
  });

  it('wrong or missing tokens get 401 on /mcp and /bridge; a user with no device gets a clear tool error', async () => {
    const init = {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
    };
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' });
    expect((await fetch(relay.mcpUrl, { ...init, body })).status).toBe(401);
    const wrong = await fetch(relay.mcpUrl, {
      ...init,
      body,
      headers: { ...init.headers, authorization: 'Bearer nope' },
    });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toMatch(/^Bearer /);

    for (const headers of [{}, { Authorization: 'Bearer wrong' }, { Authorization: `Bearer ${mcpToken}` }]) {
      const status = await new Promise<number>((resolve) => {
        const ws = new WebSocket(relay.bridgeUrl, { headers });
        ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.on('open', () => {
          ws.close();
          resolve(101);
        });
        ws.on('error', () => {});
      });
      expect(status).toBe(401);
    }

    const lonely = await mcpClient(relay.mcpUrl, idleMcpToken);
    const r = await call('list_dialogs', {}, lonely);
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/device_offline/);
    await lonely.close();
  });

  it('after the relay is killed and comes back, the bridge reconnects by itself and the next call works', async () => {
    const port = relay.port;
    await ai.close();
    await relay.close();
    await new Promise((res) => setTimeout(res, 300));
    expect(host.link!.status.state).not.toBe('connected');
    relay = await startTestRelay(port);
    await host.waitConnected(10_000);
    ai = await mcpClient(relay.mcpUrl, mcpToken);
    const r = await call('list_dialogs', { limit: 3 });
    expect(r.isError).toBeFalsy();
    expect((r.structuredContent as { dialogs: unknown[] }).dialogs).toHaveLength(3);
  });

  it('audit verify passes on the real chain and names the first bad entry after one changed byte', async () => {
    const out: string[] = [];
    const io = {
      out: (s: string) => void out.push(s),
      err: (s: string) => void out.push(s),
      untilStopped: async () => '',
    };
    expect(await cli(['node', 'tg-bridge', 'audit', 'verify', '--file', auditPath, '--json'], io)).toBe(0);
    const good = JSON.parse(out.join('')) as { ok: boolean; verified: number };
    expect(good.ok).toBe(true);
    const entries = await readAuditEntries(auditPath);
    expect(good.verified).toBe(entries.length);
    expect(entries.length).toBeGreaterThan(10);

    const copy = join(home, 'tampered.jsonl');
    const bytes = await readFile(auditPath);
    const lines = bytes.toString('utf8').split('\n');
    const target = 5; // change one byte inside the 5th entry's status
    const offset =
      lines.slice(0, target - 1).join('\n').length + 1 + lines[target - 1]!.indexOf('"status":"') + 10;
    bytes[offset] = bytes[offset]! ^ 0x01;
    await writeFile(copy, bytes, { mode: 0o600 });
    out.length = 0;
    expect(await cli(['node', 'tg-bridge', 'audit', 'verify', '--file', copy, '--json'], io)).toBe(1);
    const bad = JSON.parse(out.join('')) as { ok: boolean; first_bad_seq: number };
    expect(bad).toMatchObject({ ok: false, first_bad_seq: target });
    out.length = 0;
    await cli(['node', 'tg-bridge', 'audit', 'verify', '--file', copy], io);
    expect(out.join('')).toMatch(/^audit chain: BROKEN at entry 5/);
  });

  it('no frame, log line or audit entry contains the session string or a token', async () => {
    expect(frames.length).toBeGreaterThan(20);
    expect(logLines.length).toBeGreaterThan(0);
    const audit = await readFile(auditPath, 'utf8');
    const secrets = { session, mcpToken, bridgeToken, idleMcpToken, idleBridgeToken };
    const haystacks = { frames: frames.join('\n'), logs: logLines.join(''), audit };
    for (const [where, text] of Object.entries(haystacks)) {
      for (const [what, secret] of Object.entries(secrets)) {
        expect(text.includes(secret), `${what} found in ${where}`).toBe(false);
        // Also a prefix long enough to be a leak in itself (e.g. truncated logging).
        expect(text.includes(secret.slice(0, 16)), `${what} prefix found in ${where}`).toBe(false);
      }
    }
    // Audit entries never hold message text.
    expect(audit).not.toMatch(/approved [0-9a-f]{8}|denied [0-9a-f]{8}|dry run text/);
  });
});
