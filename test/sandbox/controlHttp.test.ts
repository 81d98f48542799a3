/**
 * The HTTP control API in front of a sandbox: bearer token required, every route answering what the in-process
 * control API answers, bodies checked with clear 400s, and its effects visible to a gramjs client.
 */
import type { TelegramClient } from 'telegram';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ControlHttp, startControlHttp } from '../../sandbox/controlHttp.js';
import { createSandboxClient, type Sandbox, startSandbox } from '../../sandbox/index.js';
import { remoteSandboxClient } from '../../sandbox/remote.js';

let sandbox: Sandbox;
let http: ControlHttp;
const clients: TelegramClient[] = [];

beforeEach(async () => {
  sandbox = await startSandbox();
  http = await startControlHttp(sandbox);
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.destroy()));
  await http.close();
  await sandbox.stop();
});

/** Calls the API with the token; `body` makes it a POST. The JSON answer is checked field by field by each test. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function call(path: string, body?: unknown, token = http.token): Promise<{ status: number; json: any }> {
  const res = await fetch(`${http.url}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  return { status: res.status, json: await res.json() };
}

describe('HTTP control API', () => {
  it('listens on 127.0.0.1 and refuses requests without the bearer token', async () => {
    expect(http.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(http.token.length).toBeGreaterThanOrEqual(32);
    expect((await call('/account', undefined, '')).status).toBe(401);
    const wrong = await call('/account', undefined, 'not-the-token');
    expect(wrong.status).toBe(401);
    expect(wrong.json.error).toMatch(/bearer token/);
  });

  it('GET /account, /users, /chats, /history answer what the control API does', async () => {
    expect((await call('/account')).json).toEqual(sandbox.control.account());
    expect((await call('/users')).json).toEqual(sandbox.control.users());
    expect((await call('/chats')).json).toEqual(sandbox.control.chats());
    const peer = `user:${sandbox.control.users()[0]!.id}`;
    expect((await call(`/history?peer=${encodeURIComponent(peer)}`)).json).toEqual(sandbox.control.history(peer));
    const bad = await call('/history?peer=nobody');
    expect(bad.status).toBe(400);
    expect(bad.json.error).toMatch(/user:<id>/);
    expect((await call('/history')).json.error).toMatch(/missing query parameter "peer"/);
  });

  it('POST /inject delivers a message a gramjs client reads; bad bodies get a 400 naming the field', async () => {
    const client = createSandboxClient(sandbox);
    clients.push(client);
    await client.connect();
    const priya = sandbox.control.users().find((u) => u.username === 'priya_raman')!;
    const ok = await call('/inject', { fromUserId: priya.id, text: 'Slides are up' });
    expect(ok.status).toBe(200);
    const [latest] = await client.getMessages('@priya_raman', { limit: 1 });
    expect(latest?.id).toBe(ok.json.id);
    expect(latest?.message).toBe('Slides are up');

    const missing = await call('/inject', { fromUserId: priya.id });
    expect(missing.status).toBe(400);
    expect(missing.json.error).toMatch(/text/);
    const extra = await call('/inject', { fromUserId: priya.id, text: 'x', admin: true });
    expect(extra.json.error).toMatch(/admin/);
    const unknownUser = await call('/inject', { fromUserId: 42, text: 'x' });
    expect(unknownUser.status).toBe(400);
    expect(unknownUser.json.error).toMatch(/not a fixture user/);
    const notJson = await call('/inject', '{oops');
    expect(notJson).toEqual({ status: 400, json: { error: 'the request body is not JSON' } });
  });

  it('GET /sent lists what a client sent; POST /fail-next injects an RPC error', async () => {
    const client = createSandboxClient(sandbox);
    clients.push(client);
    await client.connect();
    expect((await call('/fail-next', { method: 'messages.sendMessage', error: 'FLOOD_WAIT_7' })).status).toBe(200);
    await expect(client.sendMessage('@samcarter', { message: 'hello' })).rejects.toThrow(/wait of 7 seconds/);
    const sent = await client.sendMessage('@samcarter', { message: 'hello' });
    expect((await call('/sent')).json).toEqual(sandbox.control.sentMessages());
    expect((await call('/sent')).json[0].id).toBe(sent.id);
    expect((await call('/fail-next', { method: 'x', error: 'lower case' })).json.error).toMatch(/error identifier/);
  });

  it('GET /rpc-counts counts the API calls a client made, by method; DELETE /rpc-counts starts afresh', async () => {
    const client = createSandboxClient(sandbox);
    clients.push(client);
    await client.connect();
    expect((await fetch(`${http.url}/rpc-counts`, { method: 'DELETE', headers: { authorization: `Bearer ${http.token}` } })).status).toBe(200);
    expect((await call('/rpc-counts')).json).toEqual({});
    await client.getMessages('@samcarter', { limit: 2 });
    await client.getMessages('@samcarter', { limit: 2 });
    const counts = (await call('/rpc-counts')).json;
    expect(counts).toEqual(sandbox.control.rpcCounts());
    expect(counts['messages.GetHistory']).toBe(2);
  });

  it('GET /login-code shows the code auth.sendCode issued; 404 before any', async () => {
    const phone = sandbox.control.account().phone;
    expect((await call(`/login-code?phone=${phone}`)).status).toBe(404);
    const client = await remoteSandboxClient(http.url, http.token);
    clients.push(client);
    await client.start({
      phoneNumber: `+${phone}`,
      phoneCode: async () => (await call(`/login-code?phone=%2B${phone}`)).json.code,
      onError: async () => true,
    });
    expect((await client.getMe()).username).toBe('dana_whitfield');
  });

  it('GET /sessions and POST /sessions/revoke terminate sessions; /sessions/mint gives a logged-in session', async () => {
    const minted = await call('/sessions/mint', {});
    const client = await remoteSandboxClient(http.url, http.token, minted.json.session);
    clients.push(client);
    await client.connect();
    await client.getMe();
    const sessions = (await call('/sessions')).json;
    expect(sessions).toHaveLength(1);
    expect(sessions[0].deviceModel).toBe('sandbox client');
    expect((await call('/sessions/revoke', { hash: '12345' })).status).toBe(400);
    expect((await call('/sessions/revoke', { hash: sessions[0].hash })).json).toEqual({ revoked: 1 });
    await expect(client.getMe()).rejects.toThrow(/AUTH_KEY_UNREGISTERED/);
    await call('/sessions/mint', {});
    expect((await call('/sessions/revoke', { all: true })).json).toEqual({ revoked: 1 });
    expect((await call('/sessions/revoke', {})).status).toBe(400);
  });

  it('POST /login-token/accept logs in a device waiting on a QR code', async () => {
    const client = await remoteSandboxClient(http.url, http.token);
    clients.push(client);
    await client.connect();
    const user = await client.signInUserWithQrCode(
      { apiId: 1, apiHash: 'x' },
      {
        qrCode: async ({ token }) => {
          const r = await call('/login-token/accept', { token: token.toString('base64url') });
          expect(r.status).toBe(200);
        },
        onError: async () => true,
      },
    );
    expect((user as { self?: boolean }).self).toBe(true);
    const again = await call('/login-token/accept', { token: 'AAAA' });
    expect(again).toEqual({ status: 400, json: { error: 'acceptLoginToken: AUTH_TOKEN_INVALID' } });
  });

  it('unknown routes are 404, wrong methods 405', async () => {
    expect((await call('/nope')).status).toBe(404);
    expect((await call('/account', {})).status).toBe(405);
    expect((await call('/inject')).status).toBe(405);
  });
});
