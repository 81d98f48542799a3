/**
 * `tg-bridge ui` as a person runs it, in its own process (issue 9 "Headless host"): the engine as `connect`
 * runs it plus the UI on 127.0.0.1; it prints `UI: <url>`, the link's token becomes a session cookie once,
 * the device API answers with the live state, and Ctrl-C stops everything with a verified audit chain.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startRelay } from '../../relay/index.js';
import { SANDBOX_API_HASH, SANDBOX_API_ID, startSandbox } from '../../sandbox/index.js';
import { serverRsaKey } from '../../sandbox/mtproto/rsaKey.js';
import { waitFor } from '../helpers/demoProcess.js';
import { builtUi } from '../helpers/uiHarness.js';

describe('tg-bridge ui', () => {
  it('prints UI: <url>; the token works once; the API shows the connected device; Ctrl-C stops cleanly', async () => {
    const ui = await builtUi();
    const sandbox = await startSandbox();
    const bridgeToken = randomBytes(24).toString('base64url');
    const relay = await startRelay({ users: [{ id: 'me', mcpToken: randomBytes(24).toString('base64url'), bridgeToken }] });
    const home = await mkdtemp(join(tmpdir(), 'tgb-ui-cli-'));
    const keyFile = join(home, 'server.pem');
    await writeFile(keyFile, serverRsaKey().publicKeyPem);
    const child = spawn(
      process.execPath,
      ['bin/tg-bridge.js', 'ui', '--relay', relay.url, '--home', join(home, 'data'), '--server', `${sandbox.host}:${sandbox.port}`,
        '--server-key', keyFile, '--no-prompt', '--ui-dir', ui.dir],
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
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    try {
      const url = (await waitFor(() => out, /^UI: (http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+)$/m))[1]!;
      await waitFor(() => out, /relay: connected/);
      const origin = new URL(url).origin;
      const first = await fetch(url, { redirect: 'manual' });
      expect(first.status).toBe(303);
      const cookie = first.headers.get('set-cookie')!.split(';')[0]!;
      expect((await fetch(url, { redirect: 'manual' })).status).toBe(403);
      const res = await fetch(`${origin}/api/status.get`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Origin: origin, Cookie: cookie },
        body: '{}',
      });
      expect((await res.json()) as unknown).toMatchObject({ result: { state: 'connected', link: { state: 'connected' } } });
      const page = await fetch(`${origin}/`, { headers: { Cookie: cookie } });
      expect(await page.text()).toMatch(/<div id="root"><\/div>/);
      const set = await fetch(`${origin}/api/settings.set`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Origin: origin, Cookie: cookie },
        body: JSON.stringify({ theme: 'dark' }),
      });
      expect(set.status).toBe(200);
      // The headless host keeps the settings in an owner-only file.
      expect((await stat(join(home, 'data', 'ui-settings.json'))).mode & 0o777).toBe(0o600);
      child.kill('SIGINT');
      expect(await exited).toBe(0);
      expect(out).toMatch(/audit chain: ok/);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await relay.close();
      await sandbox.stop();
      await rm(home, { recursive: true, force: true });
      await ui.remove();
    }
  }, 60_000);
});
