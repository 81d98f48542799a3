/**
 * The headless UI server's defences (issue 9 "Headless host"): the one-time URL token becomes an HttpOnly,
 * SameSite=Strict cookie exactly once; without the cookie nothing is served; a foreign Host (DNS rebinding) or
 * Origin (CSRF, cross-site WebSocket) is refused; parameters are validated; paths cannot leave the UI folder.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { DeviceService, memorySettings } from '../../../bridge/ui/deviceService.js';
import { MAX_API_BODY_BYTES, startUiServer, type UiServer } from '../../../bridge/ui/uiServer.js';

let dir: string;
let server: UiServer;
let service: DeviceService;
let cookie: string;

interface Res {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function send(path: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Res> {
  const url = new URL(server.origin);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, path, method: opts.method ?? 'GET', headers: opts.headers ?? {} },
      (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    if (opts.body) req.write(opts.body);
    req.end();
  });
}

const api = (method: string, body: unknown, headers: Record<string, string> = {}) =>
  send(`/api/${method}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Origin: server.origin, Cookie: cookie, ...headers },
    body: JSON.stringify(body),
  });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tg-ui-static-'));
  await writeFile(join(dir, 'index.html'), '<!doctype html><title>tg-bridge</title>');
  await writeFile(join(dir, 'app.js'), 'console.log(1)');
  service = new DeviceService({ settings: memorySettings() });
  server = await startUiServer({ service, staticDir: dir });
});

afterAll(async () => {
  await server.close();
  service.close();
  await rm(dir, { recursive: true, force: true });
});

describe('the UI server', () => {
  it('listens on 127.0.0.1 and prints a URL carrying a long random token', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{43}$/);
  });

  it('refuses everything without the session cookie', async () => {
    for (const path of ['/', '/app.js', '/index.html']) expect((await send(path)).status).toBe(401);
    expect((await api('status.get', {}, { Cookie: '' })).status).toBe(401);
    expect((await send('/?token=wrong')).status).toBe(403);
  });

  it('exchanges the token once for an HttpOnly, SameSite=Strict cookie', async () => {
    const token = new URL(server.url).searchParams.get('token')!;
    const first = await send(`/?token=${token}`);
    expect(first.status).toBe(303);
    const setCookie = String(first.headers['set-cookie']);
    expect(setCookie).toMatch(/^tgb_ui=[A-Za-z0-9_-]{43}; HttpOnly; SameSite=Strict; Path=\/$/);
    cookie = setCookie.split(';')[0]!;
    const again = await send(`/?token=${token}`);
    expect(again.status).toBe(403);
    expect(again.headers['set-cookie']).toBeUndefined();
    const page = await send('/', { headers: { Cookie: cookie } });
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toMatch(/default-src 'none'; script-src 'self'/);
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.headers['x-frame-options']).toBe('DENY');
  });

  it('refuses a foreign Host header (DNS rebinding) even with the cookie', async () => {
    const res = await send('/', { headers: { Cookie: cookie, Host: 'evil.example:80' } });
    expect(res.status).toBe(421);
    expect((await api('status.get', {}, { Host: 'evil.example' })).status).toBe(421);
  });

  it('refuses API calls from another origin or without one (CSRF)', async () => {
    expect((await api('status.get', {}, { Origin: 'http://evil.example' })).status).toBe(403);
    const noOrigin = await send('/api/status.get', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Cookie: cookie },
      body: '{}',
    });
    expect(noOrigin.status).toBe(403);
    // A form post (no JSON content type) is refused too.
    expect((await api('status.get', {}, { 'Content-Type': 'text/plain' })).status).toBe(415);
    expect((await send('/api/status.get', { headers: { Cookie: cookie } })).status).toBe(405);
  });

  it('answers a valid call and validates parameters at the boundary', async () => {
    const ok = await api('status.get', {});
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body).result).toMatchObject({ state: 'needs_login', pendingCount: 0 });
    const bad = await api('approvals.deny', { callId: '', reason: 'x'.repeat(501) });
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body).error).toMatch(/callId: .*; reason: /);
    expect((await api('constructor', {})).status).toBe(404);
    expect((await api('__proto__', {})).status).toBe(404);
    const noHost = await api('approvals.approve', { callId: 'c1' });
    expect(noHost.status).toBe(503);
    expect(JSON.parse(noHost.body).error).toMatch(/log in first/);
    const huge = await send('/api/status.get', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Origin: server.origin, Cookie: cookie },
      body: JSON.stringify({ pad: 'x'.repeat(MAX_API_BODY_BYTES) }),
    });
    expect(huge.status).toBe(413);
    expect((await api('status.get', undefined)).status).toBe(200);
  });

  it('never serves a file outside the UI folder', async () => {
    for (const path of ['/../../../../etc/passwd', '/%2e%2e/%2e%2e/%2e%2e/etc/passwd', '/..%2f..%2fetc%2fpasswd']) {
      const res = await send(path, { headers: { Cookie: cookie } });
      expect(res.body).not.toMatch(/root:/);
    }
    expect((await send('/app.js', { headers: { Cookie: cookie } })).headers['content-type']).toMatch(/javascript/);
  });

  it('opens the event stream only for its own origin with the cookie, and pushes the status first', async () => {
    const wsUrl = `${server.origin.replace('http', 'ws')}/events`;
    const refused = (headers: Record<string, string>) =>
      new Promise<number>((resolve) => {
        const ws = new WebSocket(wsUrl, { headers });
        ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.on('open', () => resolve(101));
        ws.on('error', () => resolve(-1));
      });
    expect(await refused({ Cookie: cookie })).toBe(403);
    expect(await refused({ Cookie: cookie, Origin: 'http://evil.example' })).toBe(403);
    expect(await refused({ Origin: server.origin })).toBe(403);
    const ws = new WebSocket(wsUrl, { headers: { Cookie: cookie, Origin: server.origin } });
    const first = await new Promise<unknown>((resolve, reject) => {
      ws.once('message', (d) => resolve(JSON.parse(String(d))));
      ws.once('error', reject);
    });
    expect(first).toMatchObject({ type: 'status', status: { state: 'needs_login' } });
    ws.close();
  });
});
