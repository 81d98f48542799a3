/**
 * The engine's local control socket and the local MCP front door: owner-only socket, calls with progress and
 * cancel, one engine at a time, and an MCP client listing and calling tools through it.
 */
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type ControlServer,
  connectControl,
  controlSocketPath,
  type LocalCallHandler,
  startControlServer,
} from '../../../bridge/control/controlSocket.js';
import { createLocalToolServer } from '../../../bridge/mcp/localMcp.js';
import { ToolError } from '../../../bridge/protocol/index.js';

let home: string;
let server: ControlServer | null = null;
beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'tgb-ctl-'));
});
afterEach(async () => {
  await server?.close();
  server = null;
  await rm(home, { recursive: true, force: true });
});

const identity = { app: 'test-client', version: '1.0' };

describe.skipIf(process.platform === 'win32')('control socket', () => {
  it('is owner-only and runs calls with the asking client named', async () => {
    const seen: string[] = [];
    server = await startControlServer(controlSocketPath(home), async (call) => {
      seen.push(call.client);
      return { tool: call.tool, args: call.args };
    });
    expect((await stat(server.path)).mode & 0o777).toBe(0o600);
    const client = await connectControl(server.path, identity);
    expect(await client.call('list_dialogs', { limit: 2 })).toEqual({
      ok: true,
      result: { tool: 'list_dialogs', args: { limit: 2 } },
    });
    expect(seen).toEqual(['test-client 1.0']);
    client.close();
  });

  it('passes tool errors as "[code] message", progress, and cancellation', async () => {
    let aborted = '';
    const handler: LocalCallHandler = (call, scope) => {
      if (call.tool === 'bad') return Promise.reject(new ToolError('invalid_arguments', 'peer: not a peer'));
      if (call.tool === 'boom') return Promise.reject(new Error('internal detail'));
      scope.progress('waiting for the person');
      return new Promise((_r, reject) =>
        scope.signal.addEventListener('abort', () => {
          aborted = String(scope.signal.reason);
          reject(new ToolError('deadline_exceeded', 'withdrawn'));
        }),
      );
    };
    server = await startControlServer(controlSocketPath(home), handler);
    const client = await connectControl(server.path, identity);
    expect(await client.call('bad', {})).toEqual({
      ok: false,
      error: '[invalid_arguments] peer: not a peer',
    });
    const boom = await client.call('boom', {});
    expect(boom).toMatchObject({ ok: false, error: expect.stringMatching(/^\[internal_error\]/) });
    expect(JSON.stringify(boom)).not.toContain('internal detail');
    const ctl = new AbortController();
    const progress: string[] = [];
    const pending = client.call(
      'send_message',
      {},
      { signal: ctl.signal, onProgress: (m) => progress.push(m) },
    );
    await new Promise((r) => setTimeout(r, 50));
    ctl.abort();
    expect(await pending).toEqual({ ok: false, error: '[deadline_exceeded] withdrawn' });
    expect(progress).toEqual(['waiting for the person']);
    expect(aborted).toBe('cancelled by the MCP client');
    client.close();
  });

  it('refuses a second engine, replaces a stale socket file, and explains when no engine runs', async () => {
    const path = controlSocketPath(home);
    await expect(connectControl(path, identity)).rejects.toThrow(/no tg-bridge engine is running/);
    await writeFile(path, 'stale'); // left behind by a crash
    server = await startControlServer(path, async () => 1);
    await expect(startControlServer(path, async () => 2)).rejects.toThrow(/already running/);
    const client = await connectControl(path, identity);
    expect(await client.call('x', {})).toEqual({ ok: true, result: 1 });
    client.close();
  });

  it('in-flight calls fail clearly when the engine stops', async () => {
    server = await startControlServer(controlSocketPath(home), () => new Promise(() => {}));
    const client = await connectControl(server.path, identity);
    const pending = client.call('list_dialogs', {});
    await new Promise((r) => setTimeout(r, 50));
    await server.close();
    server = null;
    expect(await pending).toMatchObject({
      ok: false,
      error: expect.stringMatching(/^\[device_offline\] .*stopped/),
    });
  });
});

describe.skipIf(process.platform === 'win32')('local MCP front door', () => {
  it('lists the shared tools, validates arguments, and runs calls in the engine', async () => {
    const calls: string[] = [];
    server = await startControlServer(controlSocketPath(home), async (call) => {
      calls.push(call.tool);
      return { dialogs: [], notice: 'wrapped text is data' };
    });
    const control = await connectControl(server.path, identity);
    const mcpServer = createLocalToolServer(control);
    const [a, b] = InMemoryTransport.createLinkedPair();
    await mcpServer.connect(a);
    const client = new Client({ name: 'local-ai', version: '1' });
    await client.connect(b);
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(
      expect.arrayContaining(['list_dialogs', 'get_messages', 'send_message']),
    );
    const ok = await client.callTool({ name: 'list_dialogs', arguments: {} });
    expect(ok.structuredContent).toEqual({ dialogs: [], notice: 'wrapped text is data' });
    const bad = await client.callTool({ name: 'send_message', arguments: { peer: 'user:1', text: 'x' } });
    expect(bad.isError).toBe(true);
    expect(JSON.stringify(bad.content)).toMatch(/mode/);
    expect(calls).toEqual(['list_dialogs']);
    await client.close();
    control.close();
  });
});
