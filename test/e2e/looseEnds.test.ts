/**
 * Issue 8 §7, the loose ends besides the relay's withdrawal (clientGone.test.ts), against the sandbox:
 * - `tg-bridge mcp` (its own process) exits when its standard input closes and withdraws its pending writes;
 * - `send_media` in dry run never fetches `file_url` (a local HTTP server counts hits);
 * - the media folder never serves the tg-bridge data folder, even when it contains it;
 * - `tg-bridge logout` goes through the running engine (never a second gramjs connection on the auth key), or
 *   says one is running and changes nothing.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { readAuditEntries } from '../../bridge/audit/auditChain.js';
import { logoutCommand, vaultPathIn } from '../../bridge/cli/account.js';
import { controlSocketPath, startControlServer } from '../../bridge/control/controlSocket.js';
import { type BridgeHost, startBridgeHost } from '../../bridge/host/bridgeHost.js';
import { PassphraseSecretBox } from '../../bridge/vault/secretBox.js';
import { Vault } from '../../bridge/vault/vault.js';
import { type Sandbox, startSandbox } from '../../sandbox/index.js';
import { nextApproval, outcomeOf } from '../helpers/approvalEvents.js';
import { sandboxGateway } from '../helpers/sandboxGateway.js';

const PASSPHRASE = 'loose ends vault passphrase';
let sandbox: Sandbox;
let files: Server;
let filesUrl: string;
let hits = 0;
const hosts: BridgeHost[] = [];
const dirs: string[] = [];
const savedPassphrase = process.env.TG_BRIDGE_PASSPHRASE;

beforeAll(async () => {
  sandbox = await startSandbox();
  files = createServer((_req, res) => {
    hits++;
    res.writeHead(200, { 'content-type': 'application/pdf' }).end(Buffer.from('%PDF-1.4 counted'));
  });
  await new Promise<void>((r) => files.listen(0, '127.0.0.1', r));
  filesUrl = `http://127.0.0.1:${(files.address() as AddressInfo).port}/report.pdf`;
  process.env.TG_BRIDGE_PASSPHRASE = PASSPHRASE;
});
afterEach(async () => {
  for (const h of hosts.splice(0)) await h.stop();
});
afterAll(async () => {
  if (savedPassphrase === undefined) delete process.env.TG_BRIDGE_PASSPHRASE;
  else process.env.TG_BRIDGE_PASSPHRASE = savedPassphrase;
  files?.closeAllConnections();
  await new Promise((r) => files?.close(r));
  await sandbox?.stop();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function tempHome(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'tgb-loose-'));
  dirs.push(d);
  return d;
}

async function host(home: string, extra: Partial<Parameters<typeof startBridgeHost>[0]> = {}) {
  const session = sandbox.mintSession();
  const h = await startBridgeHost({
    gateway: sandboxGateway(sandbox, { session }),
    auditPath: join(home, 'audit.jsonl'),
    controlSocketPath: controlSocketPath(home),
    approvalTimeoutMs: 30_000,
    undoMs: 0, // approvals here are answered by the test; the undo window has its own tests
    ...extra,
  });
  hosts.push(h);
  return { h, session };
}

const friend = () => `user:${sandbox.control.users()[0]!.id}`;
let seq = 0;
const call = (h: BridgeHost, tool: string, args: Record<string, unknown>) =>
  h.engine.call({ callId: `l${++seq}`, tool, args }) as Promise<Record<string, unknown>>;

describe.skipIf(process.platform === 'win32')('tg-bridge mcp', () => {
  it('exits when its standard input closes and withdraws the write it was waiting on', async () => {
    const home = await tempHome();
    const { h } = await host(home);
    const child: ChildProcessWithoutNullStreams = spawn(process.execPath, ['bin/tg-bridge.js', 'mcp', '--home', home]);
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
    onTestFinished(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    const rpc = (m: object) => child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', ...m })}\n`);
    const text = `never after stdin closed ${randomBytes(3).toString('hex')}`;
    const asked = nextApproval(h.approvals);
    rpc({ id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'desk-ai', version: '1' } } });
    rpc({ method: 'notifications/initialized' });
    rpc({ id: 2, method: 'tools/call', params: { name: 'send_message', arguments: { peer: friend(), text, mode: 'send' } } });
    const approval = await asked;
    expect(approval.view.client).toBe('desk-ai 1');
    const decided = outcomeOf(h.approvals, approval.callId);
    child.stdin.end(); // the MCP client went away without cancelling
    expect(await decided).toMatchObject({ status: 'cancelled' });
    expect(await exited).toBe(0);
    expect(h.approvals.approve(approval.callId)).toBe(false);
    expect(sandbox.control.sentMessages().some((m) => m.text === text)).toBe(false);
    expect(stdout).toContain('"id":1');
  }, 30_000);
});

describe('send_media safety', () => {
  it('a dry run never fetches file_url; only the approved send does, once', async () => {
    const home = await tempHome();
    const { h } = await host(home, {
      media: { allowFileUrl: true, urlFetch: { allowAddressForTests: (a) => a === '127.0.0.1' } },
    });
    h.approvals.on('added', (p) => void h.approvals.approve(p.callId));
    hits = 0;
    const args = { peer: friend(), media_type: 'document', file_url: filesUrl };
    const dry = await call(h, 'send_media', { ...args, mode: 'dry_run' });
    expect(dry).toMatchObject({ sent: false, status: 'dry_run', file_name: 'report.pdf', mime_type: 'application/pdf' });
    expect(dry.size).toBeUndefined();
    expect(hits).toBe(0);
    // Refusals a dry run can make without the network still happen.
    await expect(
      call(h, 'send_media', { ...args, file_url: 'http://169.254.169.254/latest/meta-data', mode: 'dry_run' }),
    ).rejects.toMatchObject({ message: expect.stringMatching(/^file_url: .*link-local/) });
    expect(hits).toBe(0);
    const sent = await call(h, 'send_media', { ...args, mode: 'send' });
    expect(sent).toMatchObject({ sent: true, size: 16 });
    expect(hits).toBe(1);
  });

  it('a media folder that contains the data folder never serves the vault, audit chain or socket', async () => {
    const top = await tempHome();
    const home = join(top, '.tg-bridge');
    await mkdir(home);
    await writeFile(join(top, 'photo.txt'), 'fine to send');
    const { h } = await host(home, { media: { mediaDir: top } });
    await new Vault(vaultPathIn(home), new PassphraseSecretBox(PASSPHRASE)).update({ session: 'secret session' });
    for (const file of ['.tg-bridge/audit.jsonl', '.tg-bridge/vault.bin', '.tg-bridge/engine.sock']) {
      await expect(
        call(h, 'send_media', { peer: friend(), media_type: 'document', file_path: file, mode: 'dry_run' }),
      ).rejects.toMatchObject({ message: expect.stringMatching(/^file_path: that is inside tg-bridge's own data folder/) });
    }
    await expect(
      call(h, 'send_media', { peer: friend(), media_type: 'document', file_path: 'photo.txt', mode: 'dry_run' }),
    ).resolves.toMatchObject({ status: 'dry_run', file_name: 'photo.txt', size: 12 });
  });
});

describe.skipIf(process.platform === 'win32')('tg-bridge logout while an engine runs', () => {
  it('goes through the running engine: one connection on the auth key, session ended, engine stops, vault wiped', async () => {
    const home = await tempHome();
    const { h, session } = await host(home);
    const vault = new Vault(vaultPathIn(home), new PassphraseSecretBox(PASSPHRASE));
    await vault.update({ session });
    await call(h, 'list_dialogs', { limit: 1 }); // the engine's connection is up
    const sessionsBefore = sandbox.control.sessions().length;
    sandbox.control.resetConnectionPeak();
    expect(sandbox.control.peakConnectionsPerAuthKey()).toBe(1); // the engine's own connection
    const pending = call(h, 'send_message', { peer: friend(), text: 'pending at logout', mode: 'send' });
    await nextApproval(h.approvals);
    const printed: string[] = [];
    const asker = { ask: async () => '', askSecret: async () => '', close: () => {} };
    expect(await logoutCommand({ home }, { out: (s) => void printed.push(s), asker })).toBe(0);
    expect(printed.join('')).toMatch(/The running tg-bridge engine ended the Telegram session and stopped\. The local copy is wiped/);
    expect(sandbox.control.sessions().length).toBe(sessionsBefore - 1);
    expect(sandbox.control.peakConnectionsPerAuthKey()).toBe(1);
    await h.loggedOut;
    expect(await pending).toMatchObject({ sent: false, status: 'cancelled' });
    expect(sandbox.control.sentMessages().some((m) => m.text === 'pending at logout')).toBe(false);
    expect((await vault.load()).session).toBeUndefined();
    const entries = await readAuditEntries(join(home, 'audit.jsonl'));
    expect(entries.at(-1)).toMatchObject({ tool: 'send_message', status: 'cancelled' });
  });

  it('an engine that cannot log out is named, and nothing is changed', async () => {
    const home = await tempHome();
    const vault = new Vault(vaultPathIn(home), new PassphraseSecretBox(PASSPHRASE));
    await vault.update({ session: 'kept session' });
    const older = await startControlServer(controlSocketPath(home), async () => null);
    try {
      const printed: string[] = [];
      const asker = { ask: async () => '', askSecret: async () => '', close: () => {} };
      expect(await logoutCommand({ home }, { out: (s) => void printed.push(s), asker })).toBe(1);
      expect(printed.join('')).toMatch(/A tg-bridge engine is running and could not log out .*Nothing was changed\./);
      expect((await vault.load()).session).toBe('kept session');
    } finally {
      await older.close();
    }
  });
});
