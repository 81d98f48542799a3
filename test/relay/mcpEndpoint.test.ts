/**
 * The MCP side of the relay, end to end over real sockets: a real MCP SDK client on `/mcp`, a fake device on
 * `/bridge`.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterEach, describe, expect, it } from 'vitest';
import { TOOLS } from '../../bridge/protocol/index.js';
import type { RelayOptions } from '../../relay/index.js';
import {
  DIALOGS_RESULT,
  FakeDevice,
  mcpClient,
  sleep,
  startTestRelay,
  type TestRelay,
  textOf,
} from './helpers.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let env: TestRelay | undefined;
const cleanups: Array<() => Promise<unknown>> = [];

afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn().catch(() => {});
  await env?.close();
  env = undefined;
});

/** A relay, alice's MCP client and (unless `device: false`) alice's fake device. */
async function setup(options: Partial<RelayOptions> = {}, { device = true } = {}) {
  env = await startTestRelay(options);
  const { relay, users } = env;
  const ai: Client = await mcpClient(relay.mcpUrl, users.alice.mcpToken);
  cleanups.push(() => ai.close());
  let dev: FakeDevice | undefined;
  if (device) {
    dev = await FakeDevice.connect(relay.bridgeUrl, users.alice.bridgeToken);
    cleanups.push(() => dev!.close());
  }
  return { relay, users, ai, dev: dev as FakeDevice };
}

describe('tools/list', () => {
  it('lists every tool with object input schemas, output schemas and read/write annotations', async () => {
    const { ai } = await setup({}, { device: false });
    const { tools } = await ai.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(Object.keys(TOOLS).sort());
    expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(['get_messages', 'list_dialogs', 'send_message']));
    const send = tools.find((t) => t.name === 'send_message')!;
    expect(send.inputSchema.type).toBe('object');
    expect(send.inputSchema.required).toEqual(expect.arrayContaining(['peer', 'text', 'mode']));
    expect(Object.keys(send.inputSchema.properties ?? {})).toEqual(
      expect.arrayContaining(['peer', 'text', 'mode', 'reply_to']),
    );
    expect(send.inputSchema).not.toHaveProperty('$schema');
    expect(send.outputSchema?.type).toBe('object');
    expect(send.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: false, idempotentHint: false });
    expect(send.description).toMatch(/can take up to 120 s \(the approval timeout\).*at least every 10 s/);
    const list = tools.find((t) => t.name === 'list_dialogs')!;
    expect(list.annotations).toMatchObject({ readOnlyHint: true, destructiveHint: false });
    // Every tool has a title and every input property a description; the annotations are true.
    for (const tool of tools) {
      expect(tool.title, tool.name).toBeTruthy();
      for (const [prop, schema] of Object.entries(tool.inputSchema.properties ?? {})) {
        expect((schema as { description?: string }).description, `${tool.name}.${prop}`).toBeTruthy();
      }
    }
    const byName = Object.fromEntries(tools.map((t) => [t.name, t.annotations]));
    expect(byName.get_media).toMatchObject({ readOnlyHint: true, idempotentHint: false });
    expect(byName.delete_messages).toMatchObject({ readOnlyHint: false, destructiveHint: true });
    expect(byName.edit_message).toMatchObject({ destructiveHint: true });
    expect(list.description).toMatch(/untrusted/);
  });
});

describe('tools/call', () => {
  it('forwards the original arguments as a call frame and returns the result as text + structuredContent', async () => {
    const { ai, dev } = await setup();
    dev.onCall = (f, d) => d.send({ type: 'response', id: f.id, result: DIALOGS_RESULT });
    const result = await ai.callTool({ name: 'list_dialogs', arguments: { query: 'ann' } });
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toEqual(DIALOGS_RESULT);
    expect(JSON.parse(textOf(result))).toEqual(DIALOGS_RESULT);
    const [call] = dev.framesOf('call');
    expect(call).toMatchObject({ type: 'call', tool: 'list_dialogs' });
    expect(call!.id).toMatch(UUID);
    // The original object, not the zod output: no `limit` default added.
    expect(call!.args).toEqual({ query: 'ann' });
  });

  it('rejects bad arguments naming the field, and forwards nothing', async () => {
    const { ai, dev } = await setup();
    const result = await ai.callTool({
      name: 'send_message',
      arguments: { peer: 'not a peer!', text: 'hi', mode: 'send' },
    });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/^\[invalid_arguments\] /);
    expect(textOf(result)).toMatch(/\bpeer\b/);
    const missing = await ai.callTool({ name: 'send_message', arguments: { peer: '@someone' } });
    expect(textOf(missing)).toMatch(/text/);
    expect(textOf(missing)).toMatch(/mode/);
    await sleep(100);
    expect(dev.framesOf('call')).toEqual([]);
  });

  it('answers an unknown tool with unknown_tool and forwards nothing', async () => {
    const { ai, dev } = await setup();
    const result = await ai.callTool({ name: 'delete_account', arguments: {} });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/^\[unknown_tool\] .*list_dialogs/);
    expect(dev.framesOf('call')).toEqual([]);
  });

  it('tells the AI to start the bridge app when no device is connected', async () => {
    const { ai } = await setup({}, { device: false });
    const result = await ai.callTool({ name: 'list_dialogs', arguments: {} });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/^\[device_offline\] .*start the tg-bridge app/);
  });

  it("does not reach another user's device", async () => {
    const { relay, users, dev } = await setup();
    const bob = await mcpClient(relay.mcpUrl, users.bob.mcpToken);
    cleanups.push(() => bob.close());
    const result = await bob.callTool({ name: 'list_dialogs', arguments: {} });
    expect(textOf(result)).toMatch(/^\[device_offline\]/);
    expect(dev.framesOf('call')).toEqual([]);
  });

  it("returns a device error frame's text as an isError result", async () => {
    const { ai, dev } = await setup();
    dev.onCall = (f, d) =>
      d.send({ type: 'error', id: f.id, error: '[peer_not_found] No chat @ghost_user; check the username.' });
    const result = await ai.callTool({ name: 'get_messages', arguments: { peer: '@ghost_user' } });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toBe('[peer_not_found] No chat @ghost_user; check the username.');
  });

  it('flags a device result that does not match the published output schema, keeping the raw JSON', async () => {
    const { ai, dev } = await setup();
    dev.onCall = (f, d) => d.send({ type: 'response', id: f.id, result: { dialogs: 'nope' } });
    const result = await ai.callTool({ name: 'list_dialogs', arguments: {} });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/^\[internal_error\] .*dialogs/);
    expect(textOf(result)).toContain('"nope"');
  });

  it('on a passed deadline sends cancel to the device and answers deadline_exceeded', async () => {
    const { ai, dev } = await setup({ callDeadlineMs: 300 });
    const started = Date.now();
    const result = await ai.callTool({
      name: 'send_message',
      arguments: { peer: '@someone', text: 'hello', mode: 'send' },
    });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/^\[deadline_exceeded\] .*check the chat/i);
    const call = await dev.waitForCall();
    const cancel = await dev.waitFor((f) => f.type === 'cancel');
    expect(cancel).toMatchObject({ id: call.id, reason: expect.stringMatching(/deadline/) });
    // A late answer is ignored, and the socket stays usable.
    dev.send({ type: 'response', id: call.id, result: {} });
    dev.onCall = (f, d) => d.send({ type: 'response', id: f.id, result: DIALOGS_RESULT });
    const next = await ai.callTool({ name: 'list_dialogs', arguments: {} });
    expect(next.structuredContent).toEqual(DIALOGS_RESULT);
  });

  it('a progress frame extends the deadline and reaches the MCP client as a progress notification', async () => {
    const { ai, dev } = await setup({ callDeadlineMs: 300, approvalTimeoutMs: 2_000 });
    const sent = { sent: true, status: 'sent', mode: 'send', peer: 'user:42', text: 'hello', message_id: 7 };
    dev.onCall = (f, d) => {
      d.send({ type: 'progress', id: f.id, message: 'waiting for the person to approve send_message' });
      setTimeout(() => d.send({ type: 'response', id: f.id, result: sent }), 700);
    };
    const progress: Array<{ progress: number; message?: string }> = [];
    const started = Date.now();
    const result = await ai.callTool(
      { name: 'send_message', arguments: { peer: '@someone', text: 'hello', mode: 'send' } },
      undefined,
      { onprogress: (p) => progress.push(p) },
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(650);
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toEqual(sent);
    expect(progress).toEqual([{ progress: 1, message: 'waiting for the person to approve send_message' }]);
    expect(dev.framesOf('cancel')).toEqual([]);
  });

  it('repeats progress while the write waits, so a client that asked for progress keeps hearing', async () => {
    const { ai, dev } = await setup({ approvalTimeoutMs: 5_000, progressHeartbeatMs: 50 });
    const sent = { sent: true, status: 'sent', mode: 'send', peer: 'user:42', text: 'hello', message_id: 7 };
    const progress: Array<{ progress: number; message?: string }> = [];
    dev.onCall = (f, d) => {
      d.send({ type: 'progress', id: f.id, message: 'waiting for the person to approve send_message' });
      // Answer once the client has heard the wait announced three more times.
      const check = setInterval(() => {
        if (progress.length >= 4) {
          clearInterval(check);
          d.send({ type: 'response', id: f.id, result: sent });
        }
      }, 10);
    };
    const result = await ai.callTool(
      { name: 'send_message', arguments: { peer: '@someone', text: 'hello', mode: 'send' } },
      undefined,
      { onprogress: (p) => progress.push(p), resetTimeoutOnProgress: true },
    );
    expect(result.isError).toBeFalsy();
    expect(progress.slice(0, 4).map((p) => p.progress)).toEqual([1, 2, 3, 4]);
    expect(new Set(progress.map((p) => p.message))).toEqual(new Set(['waiting for the person to approve send_message']));
  });

  it('the extended deadline still ends: deadline + approval timeout after the start', async () => {
    const { ai, dev } = await setup({ callDeadlineMs: 200, approvalTimeoutMs: 300 });
    dev.onCall = (f, d) => d.send({ type: 'progress', id: f.id, message: 'waiting' });
    const started = Date.now();
    const result = await ai.callTool({ name: 'list_dialogs', arguments: {} });
    const took = Date.now() - started;
    expect(textOf(result)).toMatch(/^\[deadline_exceeded\]/);
    expect(took).toBeGreaterThanOrEqual(450);
    expect(took).toBeLessThan(2_000);
    expect(dev.framesOf('cancel')).toHaveLength(1);
  });

  it('sends cancel to the device when the MCP client cancels the request', async () => {
    const { ai, dev } = await setup();
    const abort = new AbortController();
    const pending = ai.callTool(
      { name: 'send_message', arguments: { peer: '@someone', text: 'hello', mode: 'send' } },
      undefined,
      { signal: abort.signal },
    );
    const call = await dev.waitForCall();
    abort.abort('person changed their mind');
    await expect(pending).rejects.toThrow();
    const cancel = await dev.waitFor((f) => f.type === 'cancel');
    expect(cancel).toMatchObject({ id: call.id, reason: expect.stringMatching(/MCP client cancelled/) });
  });

  it('fails calls in flight at once when the device disconnects', async () => {
    const { ai, dev } = await setup({ callDeadlineMs: 10_000 });
    dev.onCall = (_f, d) => d.ws.terminate();
    const started = Date.now();
    const result = await ai.callTool({
      name: 'send_message',
      arguments: { peer: '@someone', text: 'hello', mode: 'send' },
    });
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(
      /^\[device_offline\] The bridge app disconnected while running send_message/,
    );
    expect(textOf(result)).toMatch(/check the chat/);
  });

  it('answers overloaded without forwarding when 100 calls are already in flight', async () => {
    const { ai, dev } = await setup();
    const first = Array.from({ length: 100 }, () => ai.callTool({ name: 'list_dialogs', arguments: {} }));
    await dev.waitForCall(100, 10_000);
    const extra = await ai.callTool({ name: 'list_dialogs', arguments: {} });
    expect(extra.isError).toBe(true);
    expect(textOf(extra)).toMatch(/^\[overloaded\]/);
    for (const f of dev.framesOf('call')) dev.send({ type: 'response', id: f.id, result: DIALOGS_RESULT });
    const results = await Promise.all(first);
    expect(results.every((r) => !r.isError)).toBe(true);
    expect(dev.framesOf('call')).toHaveLength(100);
  });
});

describe('relay.close()', () => {
  it('fails calls in flight, closes device sockets with 1001, and can be called twice', async () => {
    const { relay, ai, dev } = await setup();
    const pending = ai.callTool({ name: 'list_dialogs', arguments: {} });
    await dev.waitForCall();
    const closing = relay.close();
    const result = await pending;
    expect(textOf(result)).toMatch(/^\[device_offline\] The relay shut down/);
    expect((await dev.closed).code).toBe(1001);
    await closing;
    await relay.close();
  });
});
