/**
 * The connection screen's relay set-up through the device API (issue 9: "relay URL, token or pairing";
 * settings kept): device pairing against a real relay with accounts (the person confirms the code while
 * signed in), the paired link proving its key on connect, the set-up saved 0600 (or sealed) and used again,
 * Forget, and the tricks: a relay address that is not https, a relay that sends a javascript: pairing page,
 * a store file readable by others or damaged.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BridgeHost, startBridgeHost } from '../../../bridge/host/bridgeHost.js';
import { credentialPathIn, type DeviceCredential, saveCredential } from '../../../bridge/link/devicePairing.js';
import { fileRelayConfig, sealedRelayConfig } from '../../../bridge/link/relayConfig.js';
import type { PairingStep } from '../../../bridge/protocol/index.js';
import { DeviceService, memorySettings } from '../../../bridge/ui/deviceService.js';
import { PassphraseSecretBox, WrongPassphraseError } from '../../../bridge/vault/secretBox.js';
import { type Sandbox, startSandbox } from '../../../sandbox/index.js';
import { personApproves } from '../../helpers/clientConsent.js';
import { sandboxGateway } from '../../helpers/sandboxGateway.js';
import { startTestRelay, type TestRelay } from '../../relay/helpers.js';
import { addAccount, TestBrowser } from '../../relay/oauthHelpers.js';
import { until } from '../../helpers/until.js';

const PASSWORD = 'relay password 123';


/** The person, in their browser: signs in to the relay and confirms `code` on its pairing page. */
async function confirmOnRelay(base: string, user: string, page: string, code: string): Promise<void> {
  const browser = new TestBrowser();
  const signin = await browser.request(`${base}/signin`);
  const signed = await browser.request(`${base}/signin`, {
    form: { csrf: TestBrowser.field(signin.body, 'csrf'), next: '/account', user, password: PASSWORD },
  });
  expect(signed.status).toBe(303);
  const pairPage = await browser.request(page.replace(/^https?:\/\/[^/]+/, base));
  const confirmed = await browser.request(`${base}/pair`, {
    form: { csrf: TestBrowser.field(pairPage.body, 'csrf'), user_code: code },
  });
  expect(confirmed.status).toBe(200);
}

describe('relay set-up from the connection screen', () => {
  let sandbox: Sandbox;
  let env: TestRelay;
  let home: string;
  let host: BridgeHost;

  beforeAll(async () => {
    sandbox = await startSandbox();
    env = await startTestRelay();
    home = await mkdtemp(join(tmpdir(), 'tgb-relay-setup-'));
    host = await startBridgeHost({
      clientConsent: personApproves(),
      gateway: sandboxGateway(sandbox),
      auditPath: join(home, 'audit.jsonl'),
      link: { backoff: { initialMs: 50, maxMs: 200 } },
    });
  }, 30_000);
  afterAll(async () => {
    await host?.stop();
    await env?.close();
    await sandbox?.stop();
    await rm(home, { recursive: true, force: true });
  });

  it('pairs: a code to confirm on the relay, then the device connects with its key and the set-up is saved 0600', async () => {
    const { relay } = env;
    const user = `pat-${randomBytes(3).toString('hex')}`;
    await addAccount(relay.store, user, PASSWORD);
    const storePath = join(home, 'relay.json');
    const steps: PairingStep[] = [];
    const service = new DeviceService({
      host,
      settings: memorySettings(),
      relay: { store: fileRelayConfig(storePath), current: null, deviceName: 'Pat desktop', pairPollMs: 50 },
    });
    service.subscribe((e) => e.type === 'pairing.step' && steps.push(e.step));
    expect(service.status().link.state).toBe('unconfigured');

    expect(await service.call('link.pair', { relayUrl: relay.url })).toMatchObject({ step: 'starting' });
    const code = await until(() => steps.find((s) => s.step === 'code'), 'a pairing code');
    if (code.step !== 'code') throw new Error('unreachable');
    expect(code.code).toMatch(/^[B-Z]{4}-[B-Z]{4}$/);
    expect(code.expiresAt).toBeGreaterThan(Date.now());
    expect(service.pairingPage).toBe(code.verificationUriComplete ?? code.verificationUri);
    expect(await service.call('link.pairState', {})).toEqual(code);

    await confirmOnRelay(relay.url, user, service.pairingPage!, code.code);
    const done = await until(() => steps.find((s) => s.step === 'done'), 'pairing done');
    expect(done).toMatchObject({ step: 'done', user });
    await host.waitConnected();
    expect(relay.connectedDevices()).toMatchObject([{ userId: user }]);
    expect(service.status().link).toMatchObject({ state: 'connected', pairedAs: user });
    expect(service.pairingPage).toBeUndefined();

    // Saved owner-only; a new start finds it.
    expect((await stat(storePath)).mode & 0o777).toBe(0o600);
    const saved = await fileRelayConfig(storePath).load();
    expect(saved).toMatchObject({ kind: 'paired', credential: { user, deviceId: relay.connectedDevices()[0]!.deviceId } });

    // Disconnect, then Forget: the file records that nothing is set up, the screen says so (not "paused").
    expect(await service.call('link.disconnect', {})).toEqual({ ok: true });
    expect(service.status().state).toBe('paused');
    expect(await service.call('link.forget', {})).toEqual({ ok: true });
    expect(service.status().link.state).toBe('unconfigured');
    expect(service.status().state).toBe('offline');
    await until(() => (relay.connectedDevices().length === 0 ? true : undefined), 'the relay to see the device go');
    expect(await fileRelayConfig(storePath).load()).toBeNull();
    service.close();
  }, 30_000);

  it('refuses relay addresses that are not https (or this computer) and cancels a pairing cleanly', async () => {
    const service = new DeviceService({ host, settings: memorySettings(), relay: { current: null } });
    for (const bad of ['http://relay.example', 'javascript:alert(1)', 'file:///etc/passwd', 'https://u:p@relay.example', 'not a url']) {
      const step = await service.call('link.pair', { relayUrl: bad });
      expect(step.step, bad).toBe('failed');
      expect(await service.call('link.configure', { relayUrl: bad, bridgeToken: 'x'.repeat(20) })).toMatchObject({ ok: false });
    }
    expect((await service.call('link.pair', { relayUrl: 'https://relay.example' })).step).toBe('starting');
    expect(await service.call('link.pairCancel', {})).toEqual({ ok: true });
    expect(await service.call('link.pairState', {})).toEqual({ step: 'idle' });
    service.close();
  });

  it('a relay that sends a javascript: pairing page is not followed', async () => {
    const hostile: Server = createServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      if (req.url === '/pair/device_authorization') {
        res.end(
          JSON.stringify({
            device_code: 'd',
            user_code: 'BCDF-GHJK',
            verification_uri: 'javascript:fetch("//evil")',
            expires_in: 600,
            interval: 1,
          }),
        );
      } else res.end(JSON.stringify({ error: 'authorization_pending' }));
    });
    await new Promise<void>((r) => hostile.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(hostile.address() as AddressInfo).port}`;
    const steps: PairingStep[] = [];
    const service = new DeviceService({ host, settings: memorySettings(), relay: { current: null, pairPollMs: 20 } });
    service.subscribe((e) => e.type === 'pairing.step' && steps.push(e.step));
    try {
      await service.call('link.pair', { relayUrl: url });
      const failed = await until(() => steps.find((s) => s.step === 'failed'), 'pairing refused');
      expect(failed).toMatchObject({ error: expect.stringMatching(/not a web address/) });
      expect(steps.some((s) => s.step === 'code')).toBe(false);
      expect(service.pairingPage).toBeUndefined();
    } finally {
      service.close();
      await new Promise((r) => hostile.close(r));
    }
  });

  it('a pasted bridge token is used at once and saved; the settings keep the address, never the token', async () => {
    const storePath = join(home, 'token-relay.json');
    const settings = memorySettings();
    const service = new DeviceService({ host, settings, relay: { store: fileRelayConfig(storePath), current: null } });
    const token = env.users.alice.bridgeToken;
    expect(await service.call('link.configure', { relayUrl: env.relay.url, bridgeToken: token })).toEqual({ ok: true });
    await host.waitConnected();
    expect(await fileRelayConfig(storePath).load()).toEqual({ kind: 'token', relayUrl: env.relay.url, bridgeToken: token });
    expect(JSON.stringify(settings.load())).not.toContain(token);
    expect(service.status().link.pairedAs).toBeUndefined();
    await service.call('link.forget', {});
    service.close();
  });
});

describe('relay set-up stores', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tgb-relay-store-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const credential: DeviceCredential = {
    relay: 'https://relay.example',
    user: 'kim',
    deviceId: 'dev-1',
    bridgeToken: 'b'.repeat(32),
    privateKey: 'k'.repeat(64),
    pairedAt: 1,
  };

  it('the file store falls back to `tg-bridge pair`\'s device.json, and Forget hides it', async () => {
    const path = join(dir, 'relay.json');
    await saveCredential(credentialPathIn(dir), credential);
    const store = fileRelayConfig(path, credentialPathIn(dir));
    expect(await store.load()).toEqual({ kind: 'paired', credential });
    await store.save(null);
    expect(await store.load()).toBeNull();
  });

  it('refuses a file others can read, and a damaged one (never overwritten)', async () => {
    const path = join(dir, 'shared.json');
    await writeFile(path, JSON.stringify({ kind: 'token', relayUrl: 'https://r.example', bridgeToken: 'secret-token' }));
    await chmod(path, 0o644);
    await expect(fileRelayConfig(path).load()).rejects.toThrow(/readable by others; run: chmod 600/);
    const damaged = join(dir, 'damaged.json');
    await writeFile(damaged, '{"kind":"token","relayUrl":', { mode: 0o600 });
    await expect(fileRelayConfig(damaged).load()).rejects.toThrow(/not a saved relay set-up/);
    expect(await readFile(damaged, 'utf8')).toBe('{"kind":"token","relayUrl":');
  });

  it('the sealed store (the app\'s) keeps nothing readable on disk and needs the same box to open', async () => {
    const path = join(dir, 'relay.sealed');
    const store = sealedRelayConfig(path, new PassphraseSecretBox('correct passphrase'));
    await store.save({ kind: 'paired', credential });
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const bytes = await readFile(path);
    expect(bytes.includes(Buffer.from(credential.bridgeToken))).toBe(false);
    expect(bytes.includes(Buffer.from('kim'))).toBe(false);
    expect(await store.load()).toEqual({ kind: 'paired', credential });
    await expect(sealedRelayConfig(path, new PassphraseSecretBox('wrong passphrase')).load()).rejects.toBeInstanceOf(
      WrongPassphraseError,
    );
    await store.save(null);
    expect(await store.load()).toBeNull();
  });
});
