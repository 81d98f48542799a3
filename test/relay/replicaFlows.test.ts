/**
 * A person's flows across two relay replicas (issue 11): both share one store and one real `redis-server`,
 * and one public URL (a loopback TCP balancer, as a deployment has one host name). Each step of a flow is sent
 * to the replica the test names, alternating, as a balancer without sticky sessions may do:
 * - OAuth: `/authorize` parks the request on A; the consent page, sign-in and decision go to B and A; the
 *   device (connected to A) approves the app through B; the SDK client then works through the balancer;
 * - pairing: the code is issued and polled on A and confirmed on B; the device takes its connect nonce from A
 *   and connects to B; revoking it on A's account page closes its socket on B.
 */
import { randomBytes } from 'node:crypto';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeStatus } from '../../bridge/cli/main.js';
import { pairDevice, proofHeaders } from '../../bridge/link/devicePairing.js';
import { RelayLink } from '../../bridge/link/relayLink.js';
import { type Relay, startRelay } from '../../relay/index.js';
import { type RedisServer, startRedis } from '../helpers/redisServer.js';
import { waitFor } from '../helpers/relayReplicas.js';
import { startTcpBalancer, type TcpBalancer } from '../helpers/tcpBalancer.js';
import { DIALOGS_RESULT, sharedStore } from './helpers.js';
import { addAccount, bridgeTokenFor, MemoryOAuthClient, scopedDevice, TestBrowser } from './oauthHelpers.js';

const PASSWORD = 'replica flows password';
let redis: RedisServer;
let balancer: TcpBalancer;
let a: Relay;
let b: Relay;
const cleanups: Array<() => Promise<unknown>> = [];

/** `path` (or a URL's path and query) on replica `relay`, addressed directly. */
function on(relay: Relay, path: string | URL): string {
  const url = new URL(path, relay.url);
  url.host = new URL(relay.url).host;
  return url.href;
}

async function signIn(browser: TestBrowser, relay: Relay, user: string, next = '/account'): Promise<void> {
  const page = await browser.request(on(relay, '/signin'));
  const res = await browser.request(on(relay, '/signin'), { form: { csrf: TestBrowser.field(page.body, 'csrf'), next, user, password: PASSWORD } });
  expect(res.status).toBe(303);
}

beforeAll(async () => {
  redis = await startRedis();
  balancer = await startTcpBalancer([], 'round_robin');
  const store = await sharedStore();
  const replica = (id: string) => startRelay({ store, redisUrl: redis.url, replicaId: id, publicUrl: balancer.url });
  [a, b] = await Promise.all([replica('flow-a'), replica('flow-b')]);
  balancer.backends.push(a.port, b.port);
}, 60_000);

afterAll(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn().catch(() => undefined);
  await a?.close();
  await b?.close();
  await balancer?.stop();
  await redis?.stop();
});

describe('a person across two replicas', () => {
  it('connects an AI app with OAuth: authorize on A, sign in and decide on B and A, the device on A approves', async () => {
    const user = `fay-${randomBytes(4).toString('hex')}`;
    await addAccount(a.store, user, PASSWORD);
    const prompts: string[] = [];
    const device = await scopedDevice({
      bridgeUrl: a.bridgeUrl,
      bridgeToken: await bridgeTokenFor(a.store, user),
      prompt: async (request) => {
        prompts.push(request.clientName);
        return { approved: true, scope: { access: 'read', chats: 'all' } };
      },
      answer: () => DIALOGS_RESULT,
    });
    cleanups.push(() => device.stop());

    const oauth = new MemoryOAuthClient('Claude (replicas)');
    const first = new StreamableHTTPClientTransport(new URL('/mcp', balancer.url), { authProvider: oauth });
    await expect(new Client({ name: 'claude-test', version: '1.0.0' }).connect(first)).rejects.toBeInstanceOf(UnauthorizedError);
    const browser = new TestBrowser();
    const parked = await browser.request(on(a, oauth.authorizationUrl!));
    expect(parked.status).toBe(302);
    const signInPage = await browser.request(on(b, parked.location!));
    expect(signInPage.body).toContain('action="/signin"');
    const signedIn = await browser.request(on(b, '/signin'), {
      form: {
        csrf: TestBrowser.field(signInPage.body, 'csrf'),
        next: TestBrowser.field(signInPage.body, 'next').replace(/&amp;/g, '&'),
        user,
        password: PASSWORD,
        totp: '',
      },
    });
    expect(signedIn.status).toBe(303);
    const consentPage = await browser.request(on(a, signedIn.location!));
    expect(consentPage.body).toContain('Claude (replicas)');
    const decision = { csrf: TestBrowser.field(consentPage.body, 'csrf'), request: TestBrowser.field(consentPage.body, 'request'), decision: 'allow' };
    const done = await browser.request(on(b, '/oauth/consent'), { form: decision });
    expect(done.status).toBe(303);
    expect(prompts).toEqual(['Claude (replicas)']);
    const code = new URL(done.location!).searchParams.get('code');
    expect(code).toBeTruthy();
    // The parked request was used up: deciding again on the other replica finds nothing.
    expect((await browser.request(on(a, '/oauth/consent'), { form: decision })).status).toBe(400);

    await first.finishAuth(code!);
    const client = new Client({ name: 'claude-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL('/mcp', balancer.url), { authProvider: oauth }));
    cleanups.push(() => client.close());
    const listed = await client.callTool({ name: 'list_dialogs', arguments: {} });
    expect(listed.isError).toBeFalsy();
    expect(listed.structuredContent).toEqual(DIALOGS_RESULT);
  });

  it('pairs a device with the code confirmed on B, connects it to B with a nonce from A, and revokes it on A', async () => {
    const user = `dan-${randomBytes(4).toString('hex')}`;
    await addAccount(a.store, user, PASSWORD);
    const browser = new TestBrowser();
    await signIn(browser, a, user);
    let shown: string | undefined;
    const pairing = pairDevice({ relay: a.url, deviceName: 'Dan laptop', show: (code) => (shown = code), pollIntervalMs: 100 });
    await waitFor('the pairing code', () => shown !== undefined);
    const pairPage = await browser.request(on(b, `/pair?code=${shown}`));
    const confirmed = await browser.request(on(b, '/pair'), { form: { csrf: TestBrowser.field(pairPage.body, 'csrf'), user_code: shown! } });
    expect(confirmed.status).toBe(200);
    const credential = await pairing;
    expect(credential).toMatchObject({ user, relay: new URL(a.url).origin });

    const statuses: string[] = [];
    const link = new RelayLink({
      url: b.url,
      token: credential.bridgeToken,
      connectHeaders: () => proofHeaders(credential), // the nonce comes from A
      hello: { app: 'tg-bridge', version: 'test', tools: [] },
      onCall: async () => ({}),
      backoff: { initialMs: 60_000, maxMs: 60_000 },
    });
    cleanups.push(() => link.stop());
    link.on('status', (s) => statuses.push(describeStatus(s)));
    const connected = new Promise<void>((resolve) => link.on('status', (s) => s.state === 'connected' && resolve()));
    link.start();
    await connected;
    expect(b.connectedDevices()).toMatchObject([{ userId: user, deviceId: credential.deviceId }]);

    const account = await browser.request(on(a, '/account'));
    expect(account.body).toContain('Dan laptop');
    const revoked = await browser.request(on(a, '/account/revoke'), {
      form: { csrf: TestBrowser.field(account.body, 'csrf'), what: 'device', id: credential.deviceId },
    });
    expect(revoked.status).toBe(303);
    await waitFor('the socket on B to close', () => b.connectedDevices().every((d) => d.userId !== user));
    await waitFor('the device to hear why', () => statuses.some((s) => s.includes('4004')));
    expect(statuses.find((s) => s.includes('4004'))).toMatch(/4004 this device was revoked on the relay; pair it again/);
  });
});
