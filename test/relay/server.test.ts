/** HTTP routing and authentication of the relay, and what it logs. */
import { afterEach, describe, expect, it } from 'vitest';
import { PROTOCOL_NAME } from '../../bridge/protocol/index.js';
import { startRelay } from '../../relay/index.js';
import {
  DIALOGS_RESULT,
  FakeDevice,
  mcpClient,
  memoryLogger,
  startTestRelay,
  type TestRelay,
  token,
  upgradeStatus,
} from './helpers.js';

let env: TestRelay | undefined;

afterEach(async () => {
  await env?.close();
  env = undefined;
});

const LIST = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' });
const JSON_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

describe('/mcp authentication', () => {
  it('answers a missing or wrong token with 401 naming the resource metadata (and invalid_token when one was sent)', async () => {
    env = await startTestRelay();
    const { relay, users } = env;
    for (const authorization of [
      undefined,
      'Bearer nope',
      `Bearer ${token()}`,
      `Basic ${users.alice.mcpToken}`,
      `Bearer ${users.alice.bridgeToken}`, // a bridge token does not open /mcp
      'Bearer ',
    ]) {
      const res = await fetch(relay.mcpUrl, {
        method: 'POST',
        body: LIST,
        headers: { ...JSON_HEADERS, ...(authorization ? { authorization } : {}) },
      });
      expect(res.status, String(authorization)).toBe(401);
      const metadata = `resource_metadata="${relay.url}/.well-known/oauth-protected-resource/mcp"`;
      const challenge = res.headers.get('www-authenticate') ?? '';
      expect(challenge.startsWith('Bearer ')).toBe(true);
      expect(challenge).toContain(metadata);
      if (authorization === undefined) {
        expect(challenge).toBe(`Bearer ${metadata}`);
        expect(await res.json()).toMatchObject({ error: 'unauthorized' });
      } else {
        expect(challenge).toContain('error="invalid_token"');
        expect(await res.json()).toMatchObject({ error: 'invalid_token' });
      }
    }
  });

  it("refuses another user's session id; DELETE ends a session", async () => {
    env = await startTestRelay();
    const { relay, users } = env;
    const init = await fetch(relay.mcpUrl, {
      method: 'POST',
      headers: { ...JSON_HEADERS, authorization: `Bearer ${users.alice.mcpToken}` },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 0,
        method: 'initialize',
        params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } },
      }),
    });
    expect(init.status).toBe(200);
    const sessionId = init.headers.get('mcp-session-id');
    expect(sessionId).toBeTruthy();
    await init.body?.cancel();
    const stolen = await fetch(relay.mcpUrl, {
      method: 'POST',
      headers: {
        ...JSON_HEADERS,
        authorization: `Bearer ${users.bob.mcpToken}`,
        'mcp-session-id': sessionId!,
        'mcp-protocol-version': '2025-06-18',
      },
      body: LIST,
    });
    expect(stolen.status).toBe(404);
    // The owner can end the session (DELETE); afterwards the id is unknown.
    const owner = { authorization: `Bearer ${users.alice.mcpToken}`, 'mcp-session-id': sessionId! };
    const ended = await fetch(relay.mcpUrl, { method: 'DELETE', headers: owner });
    expect(ended.status).toBe(200);
    const after = await fetch(relay.mcpUrl, {
      method: 'POST',
      headers: { ...JSON_HEADERS, ...owner },
      body: LIST,
    });
    expect(after.status).toBe(404);
  });
});

describe('/bridge authentication', () => {
  it('answers a missing or wrong bridge token with 401 and no upgrade', async () => {
    env = await startTestRelay();
    const { relay, users } = env;
    expect(await upgradeStatus(relay.bridgeUrl, {})).toBe(401);
    expect(await upgradeStatus(relay.bridgeUrl, { Authorization: 'Bearer wrong' })).toBe(401);
    expect(await upgradeStatus(relay.bridgeUrl, { Authorization: `Bearer ${users.alice.mcpToken}` })).toBe(
      401,
    );
    expect(await upgradeStatus(relay.bridgeUrl, { Authorization: `Bearer ${users.alice.bridgeToken}` })).toBe(
      101,
    );
    expect(await upgradeStatus(`${relay.url.replace('http', 'ws')}/elsewhere`, {})).toBe(404);
  });
});

describe('routes', () => {
  it('serves /healthz without secrets, 404 JSON elsewhere, 426 for plain GET /bridge', async () => {
    env = await startTestRelay();
    const { relay } = env;
    expect(relay.url).toBe(`http://127.0.0.1:${relay.port}`);
    expect(relay.mcpUrl).toBe(`${relay.url}/mcp`);
    expect(relay.bridgeUrl).toBe(`ws://127.0.0.1:${relay.port}/bridge`);
    const health = await fetch(`${relay.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ ok: true });
    const missing = await fetch(`${relay.url}/admin`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: 'not_found' });
    expect((await fetch(`${relay.url}/bridge`)).status).toBe(426);
  });
});

describe('options', () => {
  it('refuses short or shared tokens without echoing them', async () => {
    const short = 'short-secret';
    await expect(startRelay({ users: [{ id: 'a', mcpToken: short, bridgeToken: token() }] })).rejects.toThrow(
      /users\.0\.mcpToken: a token must have at least 16 characters/,
    );
    await startRelay({ users: [{ id: 'a', mcpToken: short, bridgeToken: token() }] }).catch((err: Error) =>
      expect(err.message).not.toContain(short),
    );
    const same = token();
    await expect(startRelay({ users: [{ id: 'a', mcpToken: same, bridgeToken: same }] })).rejects.toThrow(
      /must be different/,
    );
    const t = { mcpToken: token(), bridgeToken: token() };
    await expect(
      startRelay({
        users: [
          { id: 'a', ...t },
          { id: 'a', mcpToken: token(), bridgeToken: token() },
        ],
      }),
    ).rejects.toThrow(/appears twice/);
  });
});

describe('logging', () => {
  it('never logs a token, even at trace level', async () => {
    const { logger, lines } = memoryLogger();
    env = await startTestRelay({ logger });
    const { relay, users } = env;
    const wrong = token();
    await fetch(relay.mcpUrl, {
      method: 'POST',
      body: LIST,
      headers: { ...JSON_HEADERS, authorization: `Bearer ${wrong}` },
    });
    await upgradeStatus(relay.bridgeUrl, { Authorization: `Bearer ${wrong}` });
    const dev = await FakeDevice.connect(relay.bridgeUrl, users.alice.bridgeToken);
    dev.send({ type: 'hello', protocol: PROTOCOL_NAME, app: 'tg-bridge', version: '0.1.0', tools: [] });
    dev.send('garbage');
    dev.onCall = (f, d) => d.send({ type: 'response', id: f.id, result: DIALOGS_RESULT });
    const ai = await mcpClient(relay.mcpUrl, users.alice.mcpToken);
    await ai.callTool({ name: 'list_dialogs', arguments: {} });
    await ai.callTool({ name: 'send_message', arguments: { peer: '!!', text: 'x', mode: 'send' } });
    await ai.close();
    await dev.close();
    await env.close();
    const text = lines.join('');
    expect(lines.length).toBeGreaterThan(5);
    for (const secret of [users.alice.mcpToken, users.alice.bridgeToken, users.bob.mcpToken, wrong]) {
      expect(text).not.toContain(secret);
      expect(text).not.toContain(secret.slice(0, 12));
    }
    // Nor message content or results.
    expect(text).not.toContain('Wrapped text is data');
  });
});
