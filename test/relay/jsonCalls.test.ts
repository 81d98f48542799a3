/**
 * The relay's JSON path for `tools/call` (issue 12), over raw HTTP so the wire form is visible: a call without
 * a progress token is answered as one `application/json` body; one with a progress token still streams
 * `notifications/progress` over SSE; every request the SDK would refuse is refused the same way; a client
 * that goes away mid-call leaves the session usable.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_FRAME_BYTES } from '../../bridge/protocol/index.js';
import { DIALOGS_RESULT, FakeDevice, mcpClient, startTestRelay, type TestRelay } from './helpers.js';

let env: TestRelay | undefined;
const cleanups: Array<() => Promise<unknown>> = [];

afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn().catch(() => {});
  await env?.close();
  env = undefined;
});

/** A relay, alice's initialized MCP session (used over raw HTTP) and her fake device answering list_dialogs. */
async function setup() {
  env = await startTestRelay();
  const { relay, users } = env;
  const ai: Client = await mcpClient(relay.mcpUrl, users.alice.mcpToken);
  cleanups.push(() => ai.close());
  const dev = await FakeDevice.connect(relay.bridgeUrl, users.alice.bridgeToken);
  cleanups.push(() => dev.close());
  dev.onCall = (f, d) => d.send({ type: 'response', id: f.id, result: DIALOGS_RESULT });
  const sessionId = (ai.transport as StreamableHTTPClientTransport).sessionId!;
  const post = (body: unknown, headers: Record<string, string> = {}, signal?: AbortSignal) =>
    fetch(relay.mcpUrl, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${users.alice.mcpToken}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-session-id': sessionId,
        'mcp-protocol-version': LATEST_PROTOCOL_VERSION,
        ...headers,
      },
      body: typeof body === 'string' ? body : JSON.stringify(body),
      ...(signal ? { signal } : {}),
    });
  return { dev, post, sessionId };
}

const call = (id: number | string, meta?: Record<string, unknown>) => ({
  jsonrpc: '2.0',
  id,
  method: 'tools/call',
  params: { name: 'list_dialogs', arguments: {}, ...(meta ? { _meta: meta } : {}) },
});

describe('tools/call over the JSON path', () => {
  it('without a progress token: one application/json body with the result and the session id', async () => {
    const { post, sessionId } = await setup();
    const res = await post(call(7));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('mcp-session-id')).toBe(sessionId);
    const body = (await res.json()) as { id: number; result: { structuredContent: unknown } };
    expect(body.id).toBe(7);
    expect(body.result.structuredContent).toEqual(DIALOGS_RESULT);
  });

  it('with a progress token: SSE, carrying the progress notification before the result', async () => {
    const { post, dev } = await setup();
    dev.onCall = (f, d) => {
      d.send({ type: 'progress', id: f.id, message: 'waiting for the person' });
      setTimeout(() => d.send({ type: 'response', id: f.id, result: DIALOGS_RESULT }), 50);
    };
    const res = await post(call('p1', { progressToken: 'tok' }));
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const text = await res.text();
    const progressAt = text.indexOf('"notifications/progress"');
    expect(progressAt).toBeGreaterThan(-1);
    expect(text).toContain('waiting for the person');
    expect(text.indexOf('"result"')).toBeGreaterThan(progressAt);
  });

  it('an unknown tool or bad params get exactly the answer the SDK path gives', async () => {
    const { post } = await setup();
    // A JSON body, or an SSE stream's one message (a request that is not a valid tools/call goes to the SDK).
    const sseData = (text: string) =>
      JSON.parse(text.startsWith('{') ? text : /^data: (.*)$/m.exec(text)![1]!) as Record<string, unknown>;
    for (const params of [{ name: 'no_such_tool', arguments: {} }, { arguments: {} }, { name: 'list_dialogs', arguments: { limit: 'many' } }]) {
      const viaJson = sseData(await (await post({ jsonrpc: '2.0', id: 3, method: 'tools/call', params })).text());
      const viaSdk = sseData(
        await (await post({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { ...params, _meta: { progressToken: 1 } } })).text(),
      );
      expect(viaJson).toEqual(viaSdk);
      expect(viaJson.error ?? (viaJson.result as { isError?: boolean }).isError).toBeTruthy();
    }
  });

  it('refuses what the SDK refuses: wrong Accept 406, wrong protocol version 400, bad JSON 400, oversized 413', async () => {
    const { post } = await setup();
    expect((await post(call(1), { accept: 'application/json' })).status).toBe(406);
    expect((await post(call(2), { 'mcp-protocol-version': '1999-01-01' })).status).toBe(400);
    const parse = await post('{"jsonrpc": "2.0", "id": 1,');
    expect(parse.status).toBe(400);
    expect(((await parse.json()) as { error: { code: number } }).error.code).toBe(-32700);
    const big = await post({ ...call(5), pad: 'x'.repeat(MAX_FRAME_BYTES + 10) });
    expect(big.status).toBe(413);
  });

  it("the client's notifications/cancelled stops a call on the JSON path: the device gets cancel, nothing is answered", async () => {
    const { post, dev } = await setup();
    dev.onCall = () => undefined; // the device holds the call
    let answered = false;
    const hangUp = new AbortController();
    const pending = post(call(31), {}, hangUp.signal).then(
      () => (answered = true),
      () => undefined,
    );
    const held = await dev.waitForCall();
    const ack = await post({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 31, reason: 'user pressed stop' } });
    expect(ack.status).toBe(202);
    expect(await dev.waitFor((f) => f.type === 'cancel' && f.id === held.id)).toMatchObject({
      reason: 'the MCP client cancelled the call',
    });
    await new Promise((r) => setTimeout(r, 100));
    expect(answered).toBe(false);
    hangUp.abort();
    await pending;
  });

  it('ending the session (DELETE) stops its calls on the JSON path', async () => {
    const { post, dev, sessionId } = await setup();
    dev.onCall = () => undefined;
    const hangUp = new AbortController();
    const pending = post(call(41), {}, hangUp.signal).catch(() => undefined);
    const held = await dev.waitForCall();
    const ended = await fetch(env!.relay.mcpUrl, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${env!.users.alice.mcpToken}`, 'mcp-session-id': sessionId, 'mcp-protocol-version': LATEST_PROTOCOL_VERSION },
    });
    expect(ended.status).toBe(200);
    expect(await dev.waitFor((f) => f.type === 'cancel' && f.id === held.id)).toMatchObject({ type: 'cancel' });
    // The call's own POST is not left hanging: it hears that the session is gone.
    const answer = (await pending) as Response;
    expect(answer.status).toBe(404);
    expect(((await answer.json()) as { error: { code: number } }).error.code).toBe(-32001);
    hangUp.abort();
  });

  it('a tools/call that asks for a task goes to the SDK, which answers it (this server offers no tasks)', async () => {
    const { post } = await setup();
    const res = await post({ ...call(51), params: { ...call(51).params, task: { ttl: 1000 } } });
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    expect(await res.text()).toContain('"id":51');
  });

  it('a batch still goes through the SDK and is answered', async () => {
    const { post } = await setup();
    const res = await post([call(11), call(12)]);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain('"id":11');
    expect(text).toContain('"id":12');
  });

  it('a client that hangs up mid-call: the device gets cancel, the late answer goes nowhere, the session works on', async () => {
    const { post, dev } = await setup();
    let held: { id: string } | undefined;
    dev.onCall = (f) => {
      held = f as { id: string };
    };
    const hangUp = new AbortController();
    const gone = post(call(21), {}, hangUp.signal).catch((e: unknown) => e);
    await dev.waitForCall();
    hangUp.abort();
    await gone;
    expect(await dev.waitFor((f) => f.type === 'cancel' && f.id === held!.id)).toMatchObject({
      reason: expect.stringMatching(/MCP client went away/),
    });
    dev.send({ type: 'response', id: held!.id, result: DIALOGS_RESULT });
    dev.onCall = (f, d) => d.send({ type: 'response', id: f.id, result: DIALOGS_RESULT });
    const res = await post(call(22));
    expect(((await res.json()) as { id: number }).id).toBe(22);
    // The id of the abandoned request may be used again, on either path, and is answered.
    expect(((await (await post(call(21))).json()) as { id: number }).id).toBe(21);
    const viaSdk = await post({ ...call(21), params: { ...call(21).params, _meta: { progressToken: 't' } } });
    expect(await viaSdk.text()).toContain('"id":21');
  });
});
