/**
 * `tg-bridge ui` before the first login, in its own process (issue 9: the login wizard in the headless host;
 * settings (relay) kept): it serves the UI without an engine, the UI's wizard logs in (phone → code → 2FA),
 * the session is sealed in the vault and the engine starts; the relay set up on the connection screen is saved
 * 0600, so the next `tg-bridge ui` — no session variable, no --relay, no token — is logged in and connected,
 * and a new AI app is asked about in its UI.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Relay, startRelay } from '../../relay/index.js';
import { defaultFixture, SANDBOX_API_HASH, SANDBOX_API_ID, type Sandbox, startSandbox } from '../../sandbox/index.js';
import { serverRsaKey } from '../../sandbox/mtproto/rsaKey.js';
import { waitFor } from '../helpers/demoProcess.js';
import { builtUi, SANDBOX_2FA } from '../helpers/uiHarness.js';
import { until } from '../helpers/until.js';

/** A running `tg-bridge ui` and a cookie-holding client for its device API. */
interface UiProcess {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
  call(method: string, params?: unknown): Promise<{ status: number; body: { result?: unknown; error?: string } }>;
}


describe('tg-bridge ui before the first login', () => {
  let sandbox: Sandbox;
  let relay: Relay;
  let ui: { dir: string; remove: () => Promise<void> };
  let home: string;
  let keyFile: string;
  const bridgeToken = randomBytes(24).toString('base64url');
  const mcpToken = randomBytes(24).toString('base64url');

  beforeAll(async () => {
    ui = await builtUi();
    const f = defaultFixture();
    sandbox = await startSandbox({ fixture: { ...f, account: { ...f.account, password: SANDBOX_2FA, passwordHint: 'horse' } } });
    relay = await startRelay({ users: [{ id: 'me', mcpToken, bridgeToken }] });
    home = await mkdtemp(join(tmpdir(), 'tgb-ui-login-'));
    keyFile = join(home, 'server.pem');
    await writeFile(keyFile, serverRsaKey().publicKeyPem);
  }, 60_000);
  afterAll(async () => {
    await relay?.close();
    await sandbox?.stop();
    await rm(home, { recursive: true, force: true });
    await ui?.remove();
  });

  const startUi = async (): Promise<UiProcess> => {
    const { TG_BRIDGE_SESSION: _s, TG_BRIDGE_TOKEN: _t, ...env } = process.env;
    const child = spawn(
      process.execPath,
      ['bin/tg-bridge.js', 'ui', '--home', join(home, 'data'), '--server', `${sandbox.host}:${sandbox.port}`,
        '--server-key', keyFile, '--no-prompt', '--ui-dir', ui.dir],
      {
        env: {
          ...env,
          TG_BRIDGE_PASSPHRASE: 'a long vault passphrase',
          TG_API_ID: String(SANDBOX_API_ID),
          TG_API_HASH: SANDBOX_API_HASH,
        },
      },
    );
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const url = (await waitFor(() => out, /^UI: (http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+)$/m))[1]!;
    const origin = new URL(url).origin;
    const first = await fetch(url, { redirect: 'manual' });
    const cookie = first.headers.get('set-cookie')!.split(';')[0]!;
    return {
      child,
      output: () => out,
      exited,
      async call(method, params = {}) {
        const res = await fetch(`${origin}/api/${method}`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', Origin: origin, Cookie: cookie },
          body: JSON.stringify(params),
        });
        return { status: res.status, body: (await res.json()) as { result?: unknown; error?: string } };
      },
    };
  };

  const stepIs = (p: UiProcess, step: string) =>
    until(async () => {
      const r = (await p.call('login.state')).body.result as { step: string; error?: string };
      return r.step === step ? r : undefined;
    }, `login step ${step}`);

  it('logs in from the UI, sets up the relay; the next start is logged in and connected by itself', async () => {
    const first = await startUi();
    try {
      await waitFor(first.output, /not logged in to Telegram yet: open the UI and log in there/);
      expect((await first.call('status.get')).body.result).toMatchObject({ state: 'needs_login' });
      // Nothing that needs the engine works before the login, and it says why.
      expect(await first.call('audit.verify')).toMatchObject({ status: 503, body: { error: expect.stringMatching(/log in first/) } });

      await first.call('login.start', { method: 'phone' });
      await stepIs(first, 'phone');
      const phone = sandbox.control.account().phone;
      await first.call('login.answer', { step: 'phone', value: `+${phone}` });
      await stepIs(first, 'code');
      await first.call('login.answer', { step: 'code', value: sandbox.control.lastLoginCode(phone)! });
      await stepIs(first, 'password');
      await first.call('login.answer', { step: 'password', value: SANDBOX_2FA });
      await stepIs(first, 'done');
      expect((await first.call('status.get')).body.result).toMatchObject({ account: { state: 'logged_in' } });
      // The session is sealed in the vault, never written in the clear.
      const vault = await readFile(join(home, 'data', 'vault.bin'));
      expect((await stat(join(home, 'data', 'vault.bin'))).mode & 0o777).toBe(0o600);
      expect(vault.toString('latin1')).not.toMatch(/1[A-Za-z0-9_-]{100,}/);

      expect((await first.call('link.configure', { relayUrl: relay.url, bridgeToken })).body.result).toEqual({ ok: true });
      await until(async () => {
        const s = (await first.call('status.get')).body.result as { state: string };
        return s.state === 'connected' ? s : undefined;
      }, 'connected');
      const saved = join(home, 'data', 'relay.json');
      expect((await stat(saved)).mode & 0o777).toBe(0o600);
      expect(JSON.parse(await readFile(saved, 'utf8'))).toMatchObject({ kind: 'token', relayUrl: relay.url });
      first.child.kill('SIGINT');
      expect(await first.exited).toBe(0);
      expect(first.output()).toMatch(/audit chain: ok/);
    } finally {
      if (first.child.exitCode === null) first.child.kill('SIGKILL');
    }

    const second = await startUi();
    try {
      await waitFor(second.output, /relay: connected/);
      expect(second.output()).not.toMatch(/not logged in/);
      expect((await second.call('status.get')).body.result).toMatchObject({
        state: 'connected',
        account: { state: 'logged_in' },
        link: { state: 'connected', relayUrl: `${relay.url}/` },
      });
      // A new AI app is asked about in the UI (the terminal says so); the person's answer lets the call through.
      const ai = new Client({ name: 'cli-test-ai', version: '1.0.0' });
      await ai.connect(
        new StreamableHTTPClientTransport(new URL(relay.mcpUrl), { requestInit: { headers: { Authorization: `Bearer ${mcpToken}` } } }),
      );
      const listing = ai.callTool({ name: 'list_dialogs', arguments: { limit: 5 } }, undefined, { timeout: 60_000 });
      await waitFor(second.output, /A new AI app, ".+", asks for access: answer in the UI/);
      const [request] = (await second.call('consent.list')).body.result as Array<{ id: string }>;
      expect((await second.call('consent.decide', { id: request!.id, approved: true, scope: { access: 'read', chats: 'all' } })).body.result).toEqual({ ok: true });
      expect((await listing).isError).toBeFalsy();
      expect((await second.call('clients.list')).body.result).toMatchObject([{ scope: { access: 'read', chats: 'all' } }]);
      await ai.close();
      second.child.kill('SIGINT');
      expect(await second.exited).toBe(0);
    } finally {
      if (second.child.exitCode === null) second.child.kill('SIGKILL');
    }
  }, 90_000);
});
