/**
 * `tg-bridge connect` as a person runs it, in its own process: it reaches a Telegram server it has to trust
 * by key (`--server-key`), dials the relay, shows a pending send in the terminal, takes the answer typed
 * there, and on Ctrl-C withdraws, disconnects and verifies the audit chain. It runs the compiled build (the
 * `bin` entry, as installed), and loads neither the MCP server nor the QR code renderer (issue 12).
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logoutCommand } from '../../bridge/cli/account.js';
import { type Relay, startRelay } from '../../relay/index.js';
import { SANDBOX_API_HASH, SANDBOX_API_ID, type Sandbox, startSandbox } from '../../sandbox/index.js';
import { serverRsaKey } from '../../sandbox/mtproto/rsaKey.js';

let sandbox: Sandbox;
let relay: Relay;
let home: string;
let child: ChildProcessWithoutNullStreams;
let output = '';
let loadedLog: string;
const mcpToken = randomBytes(24).toString('base64url');
const bridgeToken = randomBytes(24).toString('base64url');

async function waitFor(re: RegExp, ms = 20_000): Promise<void> {
  const t0 = Date.now();
  while (!re.test(output)) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${re}; output:\n${output}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  sandbox = await startSandbox();
  relay = await startRelay({ users: [{ id: 'me', mcpToken, bridgeToken }] });
  home = await mkdtemp(join(tmpdir(), 'tgb-connect-'));
  const keyFile = join(home, 'server.pem');
  await writeFile(keyFile, serverRsaKey().publicKeyPem);
  // A module hook that writes down every module URL the process resolves (ESM imports, and CommonJS
  // packages entered from ESM), to check what `connect` loads.
  loadedLog = join(home, 'loaded.txt');
  const hook = join(home, 'logLoads.mjs');
  await writeFile(
    hook,
    `import { register } from 'node:module';\n` +
      `register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(
        `import { appendFileSync } from 'node:fs';\n` +
          `export async function resolve(specifier, context, next) {\n` +
          `  const r = await next(specifier, context);\n` +
          `  appendFileSync(${JSON.stringify(loadedLog)}, r.url + '\\n');\n` +
          `  return r;\n}\n`,
      )}));\n`,
  );
  child = spawn(
    process.execPath,
    [
      '--import',
      hook,
      'bin/tg-bridge.js',
      'connect',
      '--relay',
      relay.url,
      '--home',
      join(home, 'data'),
      '--server',
      `${sandbox.host}:${sandbox.port}`,
      '--server-key',
      keyFile,
      '--undo-window',
      '1',
    ],
    {
      env: {
        ...process.env,
        TG_BRIDGE_TOKEN: bridgeToken,
        TG_BRIDGE_SESSION: sandbox.mintSession(),
        TG_API_ID: String(SANDBOX_API_ID),
        TG_API_HASH: SANDBOX_API_HASH,
      },
    },
  );
  child.stdout.on('data', (d) => {
    output += d;
  });
  child.stderr.on('data', (d) => {
    output += d;
  });
  await waitFor(/relay: connected/);
});

afterAll(async () => {
  if (child.exitCode === null) child.kill('SIGKILL');
  await relay.close();
  await sandbox.stop();
  await rm(home, { recursive: true, force: true });
});

describe('tg-bridge connect', () => {
  it('runs the compiled build and, serving a call, loads neither the MCP server nor the QR code renderer', async () => {
    const ai = new Client({ name: 'cli-test-ai', version: '2.0' });
    await ai.connect(
      new StreamableHTTPClientTransport(new URL(relay.mcpUrl), {
        requestInit: { headers: { Authorization: `Bearer ${mcpToken}` } },
      }),
    );
    // The relay names this bearer-token caller (`cli:me`); the device asks the person once, in the terminal.
    const first = ai.callTool({ name: 'list_dialogs', arguments: { limit: 1 } });
    await waitFor(/New AI app: "Command-line client \(relay config token\)" wants to use your Telegram/);
    child.stdin.write('w\n');
    await waitFor(/Which chats\?/);
    child.stdin.write('\n');
    const dialogs = await first;
    expect(dialogs.isError).toBeFalsy();
    await ai.close();
    const loaded = (await readFile(loadedLog, 'utf8')).split('\n');
    expect(loaded.some((u) => u.endsWith('/dist/bridge/cli/main.js'))).toBe(true);
    expect(loaded.some((u) => u.endsWith('/dist/bridge/telegram/gateway.js'))).toBe(true);
    expect(loaded.some((u) => /\/(tsx|typescript)\//.test(u) || u.endsWith('.ts'))).toBe(false);
    expect(loaded.filter((u) => /@modelcontextprotocol\/sdk\/dist\/esm\/server\/|\/qrcode\/|localMcp/.test(u))).toEqual([]);
  });

  it('serves calls, asks in the terminal, sends what the person approved, and stops cleanly', async () => {
    const ai = new Client({ name: 'cli-test-ai', version: '2.0' });
    await ai.connect(
      new StreamableHTTPClientTransport(new URL(relay.mcpUrl), {
        requestInit: { headers: { Authorization: `Bearer ${mcpToken}` } },
      }),
    );
    const dialogs = await ai.callTool({ name: 'list_dialogs', arguments: { limit: 3 } });
    expect((dialogs.structuredContent as { dialogs: unknown[] }).dialogs).toHaveLength(3);
    // Approved once in the first test: a new session is not asked again.
    expect(output.match(/New AI app:/g)).toHaveLength(1);

    const friend = sandbox.control.users()[0]!;
    const text = `from the terminal ${randomBytes(3).toString('hex')}`;
    const pending = ai.callTool({ name: 'send_message', arguments: { peer: `user:${friend.id}`, text, mode: 'send' } });
    await waitFor(/Approve\? \[y\]es/);
    expect(output).toContain('asked by:  cli-test-ai 2.0');
    expect(output).toContain(`│   ${text}`);
    expect(output).toContain('undo:      1 s to take it back after you approve');
    child.stdin.write('y\n');
    await waitFor(/It happens in 1 s — type u and Enter to undo/);
    const sent = (await pending).structuredContent as { sent: boolean; message_id: number };
    expect(sent.sent).toBe(true);
    expect(sandbox.control.sentMessages().filter((m) => m.text === text)).toHaveLength(1);
    await ai.close();

    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    expect(output).toMatch(/SIGINT: withdrawing pending approvals and disconnecting/);
    expect(output).toMatch(/audit chain: ok — \d+ entries verified/);
    expect(code).toBe(0);
  }, 40_000);

  it('stops by itself when `tg-bridge logout` ends the session through it (issue 8 §7)', async () => {
    const keyFile = join(home, 'server.pem');
    const data = join(home, 'data-logout');
    const second = spawn(
      process.execPath,
      ['bin/tg-bridge.js', 'connect', '--home', data, '--server', `${sandbox.host}:${sandbox.port}`, '--server-key', keyFile],
      {
        env: {
          ...process.env,
          TG_BRIDGE_SESSION: sandbox.mintSession(),
          TG_API_ID: String(SANDBOX_API_ID),
          TG_API_HASH: SANDBOX_API_HASH,
        },
      },
    );
    let text = '';
    second.stdout.on('data', (d) => (text += d));
    second.stderr.on('data', (d) => (text += d));
    const closed = new Promise<number | null>((resolve) => second.once('close', resolve));
    try {
      const t0 = Date.now();
      while (!/serving local MCP clients only/.test(text)) {
        if (Date.now() - t0 > 20_000) throw new Error(`connect did not start:\n${text}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const printed: string[] = [];
      const asker = { ask: async () => '', askSecret: async () => '', close: () => {} };
      expect(await logoutCommand({ home: data }, { out: (s) => void printed.push(s), asker })).toBe(0);
      expect(printed.join('')).toMatch(/The running tg-bridge engine ended the Telegram session and stopped. No session was stored in the vault/);
      expect(await closed).toBe(0);
      expect(text).toMatch(/logged out of Telegram \(`tg-bridge logout`\): withdrawing pending approvals and stopping/);
    } finally {
      if (second.exitCode === null) second.kill('SIGKILL');
    }
  }, 40_000);
});
