/**
 * Device pairing end to end with the real `tg-bridge pair` (its own process): the person confirms the code
 * on the relay while signed in; the device gets a credential bound to its Ed25519 key and proves possession
 * on every connect; a second connection replaces the first only with a valid proof, and the replaced one is
 * told why; a revoked device is disconnected within 1 s and cannot reconnect.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { describeStatus } from '../../bridge/cli/main.js';
import { credentialPathIn, loadCredential, proofHeaders } from '../../bridge/link/devicePairing.js';
import { RelayLink } from '../../bridge/link/relayLink.js';
import { CloseCode } from '../../bridge/protocol/index.js';
import { startTestRelay, type TestRelay, upgradeStatus } from './helpers.js';
import { addAccount, TestBrowser } from './oauthHelpers.js';

let env: TestRelay | undefined;
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn().catch(() => {});
  await env?.close();
  env = undefined;
});

const PASSWORD = 'pairing password 123';

async function signIn(browser: TestBrowser, base: string, user: string): Promise<void> {
  const page = await browser.request(`${base}/signin`);
  const res = await browser.request(`${base}/signin`, {
    form: { csrf: TestBrowser.field(page.body, 'csrf'), next: '/account', user, password: PASSWORD },
  });
  expect(res.status).toBe(303);
}

/** Opens a device socket with the given headers; resolves with it open, or rejects with the HTTP status. */
function openSocket(url: string, headers: Record<string, string>): Promise<{ ws: WebSocket; closed: Promise<{ code: number; reason: string }> }> {
  const ws = new WebSocket(url, { headers });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, closed }));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

describe('device pairing', () => {
  it('pairs with the real tg-bridge pair, proves possession on connect, replaces only with a proof, revokes within 1 s', async () => {
    env = await startTestRelay();
    const { relay } = env;
    const user = `erin-${randomBytes(4).toString('hex')}`;
    await addAccount(relay.store, user, PASSWORD);
    const home = await mkdtemp(join(tmpdir(), 'tgb-pair-'));
    cleanups.push(() => rm(home, { recursive: true, force: true }));

    const child = spawn(process.execPath, ['bin/tg-bridge.js', 'pair', '--relay', relay.url, '--home', home, '--name', 'Erin laptop', '--poll-ms', '100'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    cleanups.push(async () => child.kill());
    let output = '';
    child.stdout.on('data', (d) => (output += String(d)));
    child.stderr.on('data', (d) => (output += String(d)));
    const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? -1)));
    for (let i = 0; i < 400 && !/[B-Z]{4}-[B-Z]{4}/.test(output); i++) await new Promise((r) => setTimeout(r, 50));
    const code = /([B-Z]{4}-[B-Z]{4})/.exec(output)?.[1];
    expect(code, output).toBeDefined();
    expect(output).toContain(`${relay.publicUrl}/pair?code=${code}`);

    // The person confirms the code on the relay while signed in.
    const browser = new TestBrowser();
    const notSignedIn = await browser.request(`${relay.url}/pair?code=${code}`);
    expect(notSignedIn.status).toBe(303);
    await signIn(browser, relay.url, user);
    const pairPage = await browser.request(`${relay.url}/pair?code=${code}`);
    const wrong = await browser.request(`${relay.url}/pair`, { form: { csrf: TestBrowser.field(pairPage.body, 'csrf'), user_code: 'BBBB-BBBB' } });
    expect(wrong.status).toBe(400);
    const confirmed = await browser.request(`${relay.url}/pair`, {
      form: { csrf: TestBrowser.field(pairPage.body, 'csrf'), user_code: code!.toLowerCase() },
    });
    expect(confirmed.status).toBe(200);
    expect(confirmed.body).toContain('Erin laptop');
    expect(await exited, output).toBe(0);
    expect(output).toContain(`Paired with ${relay.publicUrl} as ${user}`);

    const path = credentialPathIn(home);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const credential = (await loadCredential(path))!;
    expect(credential.user).toBe(user);

    // The bridge token alone opens nothing; with a fresh proof it connects; a nonce works once.
    expect(await upgradeStatus(relay.bridgeUrl, { Authorization: `Bearer ${credential.bridgeToken}` })).toBe(401);
    const proof = await proofHeaders(credential);
    const first = await openSocket(relay.bridgeUrl, { ...proof, Authorization: `Bearer ${credential.bridgeToken}` });
    cleanups.push(async () => first.ws.terminate());
    expect(relay.connectedDevices()).toMatchObject([{ userId: user, deviceId: credential.deviceId }]);
    expect(await upgradeStatus(relay.bridgeUrl, { ...proof, Authorization: `Bearer ${credential.bridgeToken}` })).toBe(401);
    // A proof signed by another key does not replace the live connection.
    const forged = { ...(await proofHeaders({ ...credential, privateKey: (await import('node:crypto')).generateKeyPairSync('ed25519').privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64url') })) };
    expect(await upgradeStatus(relay.bridgeUrl, { ...forged, Authorization: `Bearer ${credential.bridgeToken}` })).toBe(401);
    expect(first.ws.readyState).toBe(WebSocket.OPEN);

    // A second connection with a valid proof replaces the first, which is told why.
    const second = await openSocket(relay.bridgeUrl, { ...(await proofHeaders(credential)), Authorization: `Bearer ${credential.bridgeToken}` });
    cleanups.push(async () => second.ws.terminate());
    expect(await first.closed).toEqual({ code: CloseCode.replaced, reason: 'replaced by a newer connection of this device' });

    // The device's own link (as tg-bridge connect runs it) proves possession on each connect; when it is
    // replaced, the person sees why.
    const link = new RelayLink({
      url: relay.url,
      token: credential.bridgeToken,
      connectHeaders: () => proofHeaders(credential),
      hello: { app: 'tg-bridge', version: 'test', tools: [] },
      onCall: async () => ({}),
      backoff: { initialMs: 60_000, maxMs: 60_000 },
    });
    const statuses: string[] = [];
    link.on('status', (s) => statuses.push(describeStatus(s)));
    link.start();
    await new Promise<void>((resolve) => link.on('status', (s) => s.state === 'connected' && resolve()));
    expect(await second.closed).toMatchObject({ code: CloseCode.replaced });
    const third = await openSocket(relay.bridgeUrl, { ...(await proofHeaders(credential)), Authorization: `Bearer ${credential.bridgeToken}` });
    cleanups.push(async () => third.ws.terminate());
    await new Promise<void>((resolve) => link.on('status', (s) => s.state === 'waiting' && resolve()));
    await link.stop();
    expect(statuses).toContain('relay: connected — AI tool calls now reach this device');
    expect(statuses.find((t) => t.includes('4001'))).toMatch(/^relay: closed by relay \(4001 replaced by a newer connection of this device\); retrying in/);

    // Revoked on the account page: disconnected within 1 s, and it cannot come back.
    const account = await browser.request(`${relay.url}/account`);
    expect(account.body).toContain('Erin laptop');
    const revoked = await browser.request(`${relay.url}/account/revoke`, {
      form: { csrf: TestBrowser.field(account.body, 'csrf'), what: 'device', id: credential.deviceId },
    });
    expect(revoked.status).toBe(303);
    const closed = await Promise.race([third.closed, new Promise((r) => setTimeout(() => r('still open after 1 s'), 1_000))]);
    expect(closed).toEqual({ code: CloseCode.revoked, reason: 'this device was revoked on the relay; pair it again' });
    expect(await upgradeStatus(relay.bridgeUrl, { ...(await proofHeaders(credential)), Authorization: `Bearer ${credential.bridgeToken}` })).toBe(401);
    expect(relay.connectedDevices()).toEqual([]);
  });
});
