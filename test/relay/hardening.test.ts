/**
 * The relay on the internet: DNS-rebinding protection (Host and Origin allow-lists), CORS for allowed browser
 * origins, throttled sign-ins and token checks (429 + Retry-After, per address and per account), CSRF and
 * security headers on pages, request size limits, and a revoked client's tokens stopping at once.
 */
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { totpCode } from '../../relay/accounts/totp.js';
import { ManualClock } from '../../relay/clock.js';
import { startTestRelay, type TestRelay, token } from './helpers.js';
import { addAccount, TestBrowser } from './oauthHelpers.js';

let env: TestRelay | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

const LIST = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' });
const JSON_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

/** A raw HTTP request (fetch cannot set Host). */
function raw(url: string, method: string, headers: Record<string, string>, body = ''): Promise<{ status: number; headers: Record<string, string | string[] | undefined> }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path: u.pathname, method, headers }, (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0, headers: res.headers });
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('/mcp against DNS rebinding and foreign browsers', () => {
  it('refuses a foreign Host or Origin, answers CORS preflights only for allowed origins', async () => {
    env = await startTestRelay({ allowedOrigins: ['https://claude.ai'] });
    const { relay, users } = env;
    const auth = { authorization: `Bearer ${users.alice.mcpToken}` };
    const foreignHost = await raw(relay.mcpUrl, 'POST', { ...JSON_HEADERS, ...auth, host: 'attacker.example:80' }, LIST);
    expect(foreignHost.status).toBe(421);
    const foreignOrigin = await fetch(relay.mcpUrl, { method: 'POST', body: LIST, headers: { ...JSON_HEADERS, ...auth, origin: 'https://attacker.example' } });
    expect(foreignOrigin.status).toBe(403);
    expect(foreignOrigin.headers.get('access-control-allow-origin')).toBeNull();

    const preflight = await fetch(relay.mcpUrl, {
      method: 'OPTIONS',
      headers: { origin: 'https://claude.ai', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, mcp-session-id' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://claude.ai');
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/Authorization.*Mcp-Session-Id/);
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');
    const badPreflight = await fetch(relay.mcpUrl, { method: 'OPTIONS', headers: { origin: 'https://attacker.example' } });
    expect(badPreflight.status).toBe(403);

    // An allowed origin gets CORS headers on the real request, including on a 401 (so the browser can read it).
    const allowed = await fetch(relay.mcpUrl, { method: 'POST', body: LIST, headers: { ...JSON_HEADERS, origin: 'https://claude.ai' } });
    expect(allowed.status).toBe(401);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://claude.ai');
    expect(allowed.headers.get('access-control-expose-headers')).toContain('WWW-Authenticate');
  });

  it('throttles failed token checks per address with 429 and Retry-After; a good token is refused meanwhile too', async () => {
    const clock = new ManualClock(Date.now());
    env = await startTestRelay({ clock });
    const { relay, users } = env;
    const statuses: number[] = [];
    for (let i = 0; i < 21; i++) {
      const res = await fetch(relay.mcpUrl, { method: 'POST', body: LIST, headers: { ...JSON_HEADERS, authorization: `Bearer ${token()}` } });
      statuses.push(res.status);
      await res.body?.cancel();
    }
    expect(statuses.slice(0, 20).every((s) => s === 401)).toBe(true);
    expect(statuses[20]).toBe(429);
    const blocked = await fetch(relay.mcpUrl, { method: 'POST', body: LIST, headers: { ...JSON_HEADERS, authorization: `Bearer ${users.alice.mcpToken}` } });
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    clock.advance(61_000);
    const later = await fetch(relay.mcpUrl, { method: 'POST', body: LIST, headers: { ...JSON_HEADERS, authorization: `Bearer ${users.alice.mcpToken}` } });
    expect(later.status).not.toBe(429);
    await later.body?.cancel();
  });

  it('caps open connections per address: one more is closed at once, the others keep working', async () => {
    env = await startTestRelay({ connectionLimits: { perAddress: 2 } });
    const { relay } = env;
    const open = () =>
      new Promise<Socket>((resolve, reject) => {
        const s = connect(relay.port, '127.0.0.1', () => resolve(s));
        s.on('error', reject);
      });
    const a = await open();
    const b = await open();
    const c = await open();
    const answer = (s: Socket) =>
      new Promise<string>((resolve) => {
        let text = '';
        s.on('data', (d) => (text += String(d)));
        s.on('error', () => {});
        s.on('close', () => resolve(text));
        s.write(`GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:${relay.port}\r\nConnection: close\r\n\r\n`);
      });
    expect(await answer(c)).toBe('');
    expect(await answer(a)).toMatch(/^HTTP\/1\.1 200/);
    b.destroy();
  });

  /** Opens a raw socket to the relay; `closed` resolves with everything the relay wrote before it closed. */
  function rawSocket(port: number): Promise<{ socket: Socket; closed: Promise<string> }> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => {
        let text = '';
        socket.on('data', (d) => (text += String(d)));
        socket.on('error', () => {});
        resolve({ socket, closed: new Promise((done) => socket.on('close', () => done(text))) });
      });
      socket.once('error', reject);
    });
  }

  /** Writes one piece every `everyMs` until the socket closes; returns a stop function. */
  function dribble(socket: Socket, piece: string, everyMs: number): () => void {
    const timer = setInterval(() => {
      if (!socket.destroyed && socket.writable) socket.write(piece);
    }, everyMs);
    socket.once('close', () => clearInterval(timer));
    return () => clearInterval(timer);
  }

  it('cuts off a client that sends its headers slowly (slowloris) after the header timeout, with 408', async () => {
    env = await startTestRelay({ connectionLimits: { headersTimeoutMs: 300, requestTimeoutMs: 5_000 } });
    const { relay } = env;
    const { socket, closed } = await rawSocket(relay.port);
    socket.write(`GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:${relay.port}\r\n`);
    // A header line every 50 ms keeps the socket busy but never finishes the header block.
    const stop = dribble(socket, 'X-Slow: a\r\n', 50);
    const answer = await closed;
    stop();
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(answer).not.toMatch(/HTTP\/1\.1 200/);

    // The relay still serves a prompt client.
    const ok = await fetch(`${relay.url}/healthz`);
    expect(ok.status).toBe(200);
  }, 15_000);

  it('cuts off a client that sends its body slowly after the request timeout, with 408', async () => {
    env = await startTestRelay({ connectionLimits: { headersTimeoutMs: 200, requestTimeoutMs: 400 } });
    const { relay } = env;
    const { socket, closed } = await rawSocket(relay.port);
    socket.write(
      `POST /token HTTP/1.1\r\nHost: 127.0.0.1:${relay.port}\r\n` +
        'Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 10000\r\n\r\ngrant_type=',
    );
    // One byte every 50 ms: the headers arrived in time, the 10 000-byte body never will.
    const stop = dribble(socket, 'x', 50);
    const answer = await closed;
    stop();
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(answer).not.toMatch(/"access_token"/);
  }, 15_000);

  it('refuses connection limits that are not positive durations or counts', async () => {
    await expect(startTestRelay({ connectionLimits: { headersTimeoutMs: 0 } })).rejects.toThrow(/headersTimeoutMs/);
    await expect(startTestRelay({ connectionLimits: { slowlorisMs: 5 } as never })).rejects.toThrow(/slowlorisMs|Unrecognized/i);
  });

  it('caps request bodies', async () => {
    env = await startTestRelay();
    const { relay } = env;
    const big = await fetch(`${relay.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `grant_type=refresh_token&refresh_token=${'x'.repeat(200_000)}`,
    });
    expect(big.status).toBe(413);
    const signin = await fetch(`${relay.url}/signin`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `user=a&password=${'x'.repeat(20_000)}`,
    });
    expect(signin.status).toBe(413);
  });
});

describe('pages', () => {
  it('sign-in: security headers, CSRF, TOTP, and a throttle per account and per address (429 + Retry-After)', async () => {
    const clock = new ManualClock(Date.now());
    env = await startTestRelay({ clock });
    const { relay } = env;
    const user = `fay-${randomBytes(4).toString('hex')}`;
    const seed = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
    await addAccount(relay.store, user, 'fay password 1234', seed);
    const browser = new TestBrowser();
    const page = await browser.request(`${relay.url}/signin`);
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'none'.*form-action 'self'.*frame-ancestors 'none'/);
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(page.headers.get('cache-control')).toBe('no-store');
    // Every sign-in page carries a fresh double-submit token; each form uses the latest one.
    let csrf = TestBrowser.field(page.body, 'csrf');
    const form = (extra: Record<string, string>) => ({ csrf, next: '/account', user, password: 'fay password 1234', ...extra });
    const post = async (extra: Record<string, string>) => {
      const res = await browser.request(`${relay.url}/signin`, { form: form(extra) });
      if (res.body.includes('name="csrf"')) csrf = TestBrowser.field(res.body, 'csrf');
      return res;
    };

    // Without the CSRF cookie (another site posting the form), or from a foreign Origin: refused.
    const stranger = new TestBrowser();
    expect((await stranger.request(`${relay.url}/signin`, { form: form({ totp: totpCode(seed, clock.now()) }) })).status).toBe(403);
    expect(
      (await browser.request(`${relay.url}/signin`, { form: form({ totp: totpCode(seed, clock.now()) }), headers: { origin: 'https://attacker.example' } })).status,
    ).toBe(403);
    // The right password without the TOTP code is not enough.
    expect((await post({ totp: '' })).status).toBe(401);
    for (let i = 0; i < 4; i++) expect((await post({ password: `wrong ${i}` })).status).toBe(401);
    // Five failures for this account: even the right password and code wait now.
    const throttled = await post({ totp: totpCode(seed, clock.now()) });
    expect(throttled.status).toBe(429);
    expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThan(60);
    clock.advance(15 * 60_000 + 1);
    const ok = await post({ totp: totpCode(seed, clock.now()) });
    expect(ok.status).toBe(303);
    expect(ok.headers.get('set-cookie')).toMatch(/tgr_session=tgr_ws_[^;]+; Path=\/; HttpOnly; SameSite=Lax/);

    // Signed in: the account page's forms need the session's CSRF token.
    const account = await browser.request(`${relay.url}/account`);
    expect(account.status).toBe(200);
    const forged = await browser.request(`${relay.url}/account/tokens`, { form: { csrf: 'guess', label: 'x' } });
    expect(forged.status).toBe(403);
    const created = await browser.request(`${relay.url}/account/tokens`, { form: { csrf: TestBrowser.field(account.body, 'csrf'), label: 'my cli' } });
    expect(created.status).toBe(201);
    const pat = /(tgr_pat_[A-Za-z0-9_-]{43})/.exec(created.body)![1]!;
    const withPat = await fetch(relay.mcpUrl, { method: 'POST', body: LIST, headers: { ...JSON_HEADERS, authorization: `Bearer ${pat}` } });
    expect(withPat.status).not.toBe(401);
    await withPat.body?.cancel();

    // Revoking the personal access token on the account page stops it at once.
    const listed = await browser.request(`${relay.url}/account`);
    const id = /name="what" value="token"><input type="hidden" name="id" value="([0-9a-f]{64})"/.exec(listed.body)![1]!;
    await browser.request(`${relay.url}/account/revoke`, { form: { csrf: TestBrowser.field(listed.body, 'csrf'), what: 'token', id } });
    const afterRevoke = await fetch(relay.mcpUrl, { method: 'POST', body: LIST, headers: { ...JSON_HEADERS, authorization: `Bearer ${pat}` } });
    expect(afterRevoke.status).toBe(401);
  });

  it('throttles sign-ins per address across accounts', async () => {
    const clock = new ManualClock(Date.now());
    env = await startTestRelay({ clock });
    const { relay } = env;
    const browser = new TestBrowser();
    let page = await browser.request(`${relay.url}/signin`);
    const statuses: number[] = [];
    // Five failures per account, twenty per address: guessing across many accounts still stops.
    for (let i = 0; i < 21; i++) {
      page = await browser.request(`${relay.url}/signin`, {
        form: { csrf: TestBrowser.field(page.body, 'csrf'), next: '/', user: `nobody${i}`, password: `p${i}` },
      });
      statuses.push(page.status);
    }
    expect(statuses.slice(0, 20).every((s) => s === 401)).toBe(true);
    expect(statuses[20]).toBe(429);
    expect(Number(page.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});
