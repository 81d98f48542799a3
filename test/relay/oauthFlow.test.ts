/**
 * Acceptance: an AI app connects by URL with OAuth 2.1 (MCP authorization spec), driven by the MCP SDK
 * client's own OAuth support: discovery → dynamic registration → authorize with PKCE → sign-in and consent
 * on the relay → approval on the device → token → tools/call → refresh → revocation.
 */
import { randomBytes } from 'node:crypto';
import { refreshAuthorization, UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../relay/clock.js';
import { DIALOGS_RESULT, startTestRelay, type TestRelay, textOf } from './helpers.js';
import { addAccount, bridgeTokenFor, MemoryOAuthClient, REDIRECT_URL, scopedDevice, TestBrowser } from './oauthHelpers.js';

let env: TestRelay | undefined;
const cleanups: Array<() => Promise<unknown>> = [];

afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn().catch(() => {});
  await env?.close();
  env = undefined;
});

const PASSWORD = 'correct horse battery staple';

/** A relay with a fresh account whose device (real link + client scopes) is connected. */
async function setup(scope: { access: 'read' | 'read_write'; chats: 'all' | string[] } = { access: 'read', chats: 'all' }) {
  const clock = new ManualClock(Date.now());
  env = await startTestRelay({ clock });
  const { relay } = env;
  const user = `carol-${randomBytes(4).toString('hex')}`;
  await addAccount(relay.store, user, PASSWORD);
  const bridgeToken = await bridgeTokenFor(relay.store, user);
  const prompts: Array<{ clientId: string; clientName: string; relay: string }> = [];
  const device = await scopedDevice({
    bridgeUrl: relay.bridgeUrl,
    bridgeToken,
    prompt: async (request) => {
      prompts.push(request);
      return { approved: true, scope };
    },
    answer: (call) => (call.tool === 'list_dialogs' ? DIALOGS_RESULT : { sent: true, mode: 'send', peer: 'user:42', text: 'x' }),
  });
  cleanups.push(() => device.stop());
  return { relay, clock, user, device, prompts };
}

/** Runs the SDK client until it wants the browser, then the browser until the redirect; returns the code. */
async function connectWithOAuth(relayMcpUrl: string, user: string, oauth = new MemoryOAuthClient()) {
  const first = new StreamableHTTPClientTransport(new URL(relayMcpUrl), { authProvider: oauth });
  const client = new Client({ name: 'claude-test', version: '1.0.0' });
  await expect(client.connect(first)).rejects.toBeInstanceOf(UnauthorizedError);
  expect(oauth.authorizationUrl).toBeDefined();
  const browser = new TestBrowser();
  const done = await browser.authorize(oauth.authorizationUrl!, { user, password: PASSWORD });
  return { oauth, first, browser, done };
}

async function connectedClient(mcpUrl: string, oauth: MemoryOAuthClient): Promise<Client> {
  const client = new Client({ name: 'claude-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(mcpUrl), { authProvider: oauth }));
  cleanups.push(() => client.close());
  return client;
}

describe('OAuth 2.1 for MCP clients, end to end with the SDK client', () => {
  it('discovery → registration → PKCE authorize → consent → device approval → token → tools/call → refresh → revoke', async () => {
    const { relay, user, device, prompts } = await setup();

    // Discovery documents (RFC 9728 both forms, RFC 8414).
    for (const path of ['/.well-known/oauth-protected-resource/mcp', '/.well-known/oauth-protected-resource']) {
      const prm = (await (await fetch(`${relay.url}${path}`)).json()) as Record<string, unknown>;
      expect(prm.resource, path).toBe(relay.mcpUrl);
      expect(prm.authorization_servers).toEqual([`${relay.publicUrl}/`]);
    }
    const asm = (await (await fetch(`${relay.url}/.well-known/oauth-authorization-server`)).json()) as Record<string, unknown>;
    expect(asm).toMatchObject({
      code_challenge_methods_supported: ['S256'],
      registration_endpoint: `${relay.publicUrl}/register`,
      revocation_endpoint: `${relay.publicUrl}/revoke`,
    });

    const { oauth, first, done } = await connectWithOAuth(relay.mcpUrl, user);
    // Registered as a public client; the authorization request used PKCE S256 and named the /mcp resource.
    expect(oauth.info?.client_id).toBeTruthy();
    expect((oauth.info as { token_endpoint_auth_method?: string }).token_endpoint_auth_method).toBe('none');
    expect(oauth.authorizationUrl!.searchParams.get('code_challenge_method')).toBe('S256');
    expect(oauth.authorizationUrl!.searchParams.get('resource')).toBe(relay.mcpUrl);

    // The device was asked, naming the client and the relay; the browser went back with a code.
    expect(prompts).toEqual([{ clientId: oauth.info!.client_id, clientName: 'Claude (test)', relay: relay.publicUrl }]);
    expect(done.status).toBe(303);
    const back = new URL(done.location!);
    expect(`${back.origin}${back.pathname}`).toBe(REDIRECT_URL);
    const code = back.searchParams.get('code')!;
    expect(code).toBeTruthy();
    await first.finishAuth(code);
    expect(oauth.saved?.refresh_token).toBeTruthy();
    expect(oauth.saved?.expires_in).toBe(3600);
    // The code is single use.
    await expect(first.finishAuth(code)).rejects.toThrow(/invalid_grant|invalid, used or expired/i);

    // tools/call reaches the device, which knows which OAuth client asked.
    const ai = await connectedClient(relay.mcpUrl, oauth);
    const listed = await ai.callTool({ name: 'list_dialogs', arguments: {} });
    expect(listed.isError).toBeFalsy();
    expect(device.calls.at(-1)).toMatchObject({ tool: 'list_dialogs', oauth_client: oauth.info!.client_id });
    // The device enforces the read-only scope the person chose: the write never reaches the tool.
    const write = await ai.callTool({ name: 'send_message', arguments: { peer: 'user:42', text: 'hi', mode: 'send' } });
    expect(write.isError).toBe(true);
    expect(textOf(write)).toMatch(/^\[not_permitted\] The person allowed "Claude \(test\)" to read only/);
    expect(device.calls.map((c) => c.tool)).toEqual(['list_dialogs']);

    // Refresh rotates the refresh token; the new access token works.
    const rotated = await refreshAuthorization(relay.publicUrl, {
      clientInformation: oauth.info!,
      refreshToken: oauth.saved!.refresh_token!,
      resource: new URL(relay.mcpUrl),
    });
    expect(rotated.refresh_token).not.toBe(oauth.saved!.refresh_token);
    oauth.saveTokens(rotated);
    const ai2 = await connectedClient(relay.mcpUrl, oauth);
    expect((await ai2.callTool({ name: 'list_dialogs', arguments: {} })).isError).toBeFalsy();

    // RFC 7009 revocation of the refresh token ends its family: the access token stops at once.
    const revoked = await fetch(`${relay.publicUrl}/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: oauth.info!.client_id, token: rotated.refresh_token! }).toString(),
    });
    expect(revoked.status).toBe(200);
    const after = await fetch(relay.mcpUrl, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${rotated.access_token}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(after.status).toBe(401);
    expect(after.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token".*resource_metadata="/);
  });

  it('a reused refresh token revokes its whole family; a deleted client gets invalid_client', async () => {
    const { relay, user } = await setup();
    const { oauth, first, done } = await connectWithOAuth(relay.mcpUrl, user);
    await first.finishAuth(new URL(done.location!).searchParams.get('code')!);
    const original = oauth.saved!;
    const rotated = await refreshAuthorization(relay.publicUrl, {
      clientInformation: oauth.info!,
      refreshToken: original.refresh_token!,
      resource: new URL(relay.mcpUrl),
    });
    // Someone replays the old refresh token: refused, and the rotated one dies with it.
    await expect(
      refreshAuthorization(relay.publicUrl, { clientInformation: oauth.info!, refreshToken: original.refresh_token! }),
    ).rejects.toThrow(/already used/);
    await expect(
      refreshAuthorization(relay.publicUrl, { clientInformation: oauth.info!, refreshToken: rotated.refresh_token! }),
    ).rejects.toThrow(/already used|no longer valid/);

    await relay.store.deleteClient(oauth.info!.client_id, Date.now());
    const res = await fetch(`${relay.publicUrl}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        client_id: oauth.info!.client_id,
        refresh_token: rotated.refresh_token!,
      }).toString(),
    });
    // The SDK's token endpoint answers a client it cannot find with 400 invalid_client.
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'invalid_client' });
  });

  it('refuses /authorize without PKCE S256 or for another resource; an expired access token is invalid_token', async () => {
    const { relay, clock, user } = await setup();
    const oauth = new MemoryOAuthClient();
    const reg = await fetch(`${relay.publicUrl}/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(oauth.clientMetadata),
    });
    expect(reg.status).toBe(201);
    const client = (await reg.json()) as { client_id: string; client_secret?: string };
    expect(client.client_secret).toBeUndefined();
    const authorize = (params: Record<string, string>) =>
      fetch(`${relay.publicUrl}/authorize?${new URLSearchParams({ client_id: client.client_id, redirect_uri: REDIRECT_URL, response_type: 'code', state: 's1', ...params })}`, {
        redirect: 'manual',
      });
    const noPkce = new URL((await authorize({})).headers.get('location')!);
    expect(noPkce.searchParams.get('error')).toBe('invalid_request');
    const plain = new URL((await authorize({ code_challenge: 'x'.repeat(43), code_challenge_method: 'plain' })).headers.get('location')!);
    expect(plain.searchParams.get('error')).toBe('invalid_request');
    const elsewhere = new URL(
      (await authorize({ code_challenge: 'x'.repeat(43), code_challenge_method: 'S256', resource: 'https://evil.example/mcp' })).headers.get('location')!,
    );
    expect(elsewhere.searchParams.get('error')).toBe('invalid_target');
    expect(elsewhere.searchParams.get('state')).toBe('s1');

    const flow = await connectWithOAuth(relay.mcpUrl, user);
    await flow.first.finishAuth(new URL(flow.done.location!).searchParams.get('code')!);
    clock.advance(61 * 60_000);
    const res = await fetch(relay.mcpUrl, {
      method: 'POST',
      headers: { authorization: `Bearer ${flow.oauth.saved!.access_token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  it('a person who denies on the device sends the AI app back with access_denied and no code', async () => {
    const clock = new ManualClock(Date.now());
    env = await startTestRelay({ clock });
    const { relay } = env;
    const user = `dave-${randomBytes(4).toString('hex')}`;
    await addAccount(relay.store, user, PASSWORD);
    const bridgeToken = await bridgeTokenFor(relay.store, user);
    const device = await scopedDevice({
      bridgeUrl: relay.bridgeUrl,
      bridgeToken,
      prompt: async () => ({ approved: false, reason: 'I do not know this app' }),
      answer: () => DIALOGS_RESULT,
    });
    cleanups.push(() => device.stop());
    const { done } = await connectWithOAuth(relay.mcpUrl, user);
    const back = new URL(done.location!);
    expect(back.searchParams.get('error')).toBe('access_denied');
    expect(back.searchParams.get('error_description')).toContain('I do not know this app');
    expect(back.searchParams.has('code')).toBe(false);
    expect(device.scopes.list()).toEqual([]);
  });
});
