/** The `/bridge` side of the relay over real sockets: handshake, frames, keep-alive, replacement. */
import { afterEach, describe, expect, it } from 'vitest';
import { CloseCode, PROTOCOL_NAME } from '../../bridge/protocol/index.js';
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

let env: TestRelay | undefined;
const devices: FakeDevice[] = [];

afterEach(async () => {
  for (const d of devices.splice(0)) await d.close().catch(() => {});
  await env?.close();
  env = undefined;
});

async function setup(options: Partial<RelayOptions> = {}) {
  env = await startTestRelay(options);
  return env;
}

async function connect(opts: { silent?: boolean } = {}): Promise<FakeDevice> {
  const d = await FakeDevice.connect(env!.relay.bridgeUrl, env!.users.alice.bridgeToken, opts);
  devices.push(d);
  return d;
}

describe('device socket', () => {
  it('answers hello with welcome and the relay limits, and lists the device', async () => {
    const { relay } = await setup({ callDeadlineMs: 12_000, approvalTimeoutMs: 90_000 });
    const dev = await connect();
    dev.send({
      type: 'hello',
      protocol: PROTOCOL_NAME,
      app: 'tg-bridge',
      version: '0.1.0',
      tools: ['list_dialogs'],
    });
    const welcome = await dev.waitFor((f) => f.type === 'welcome');
    expect(welcome).toEqual({
      type: 'welcome',
      protocol: PROTOCOL_NAME,
      limits: { call_deadline_ms: 12_000, approval_timeout_ms: 90_000, max_calls_in_flight: 100 },
    });
    const [info] = relay.connectedDevices();
    expect(info).toMatchObject({ userId: 'alice', app: 'tg-bridge', version: '0.1.0' });
    expect(Math.abs(info!.connectedAt - Date.now())).toBeLessThan(5_000);
  });

  it('ignores unknown frame types and survives invalid frames', async () => {
    const { relay } = await setup();
    const dev = await connect();
    dev.send({ type: 'telemetry', id: 'x', data: 1 });
    dev.send('this is not json');
    dev.send('[1,2,3]');
    dev.send({ type: 'response' });
    dev.send({ type: 'error', id: 'no-such-call', error: 42 } as never);
    dev.send({ type: 'response', id: 'no-such-call', result: {} });
    dev.ws.send(Buffer.from(JSON.stringify({ type: 'ping', id: 'ping' })), { binary: true });
    dev.send({ type: 'ping', id: 'ping' });
    await dev.waitFor(() => dev.framesOf('pong').length === 2);
    expect(dev.ws.readyState).toBe(dev.ws.OPEN);
    expect(relay.connectedDevices()).toHaveLength(1);
    // Still forwards calls after all that.
    dev.onCall = (f, d) => d.send({ type: 'response', id: f.id, result: DIALOGS_RESULT });
    const ai = await mcpClient(relay.mcpUrl, env!.users.alice.mcpToken);
    const r = await ai.callTool({ name: 'list_dialogs', arguments: {} });
    expect(r.structuredContent).toEqual(DIALOGS_RESULT);
    await ai.close();
  });

  it('answers ping with pong (id "ping")', async () => {
    await setup();
    const dev = await connect();
    dev.send({ type: 'ping', id: 'ping' });
    expect(await dev.waitFor((f) => f.type === 'pong')).toEqual({ type: 'pong', id: 'ping' });
  });

  it('pings every pingIntervalMs; a device that answers stays, a silent one is closed with 4002', async () => {
    await setup({ pingIntervalMs: 80, idleTimeoutMs: 300 });
    const lively = await connect();
    await sleep(700);
    expect(lively.framesOf('ping').length).toBeGreaterThanOrEqual(5);
    expect(lively.framesOf('ping')[0]).toEqual({ type: 'ping', id: 'ping' });
    expect(lively.ws.readyState).toBe(lively.ws.OPEN);

    const silent = await FakeDevice.connect(env!.relay.bridgeUrl, env!.users.bob.bridgeToken, {
      silent: true,
    });
    devices.push(silent);
    const started = Date.now();
    const closed = await silent.closed;
    expect(closed.code).toBe(CloseCode.idle);
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(env!.relay.connectedDevices().map((d) => d.userId)).toEqual(['alice']);
  });

  it('a second connection replaces the first (4001) and fails its calls in flight at once', async () => {
    const { relay, users } = await setup({ callDeadlineMs: 10_000 });
    const first = await connect();
    const ai = await mcpClient(relay.mcpUrl, users.alice.mcpToken);
    const pending = ai.callTool({ name: 'list_dialogs', arguments: {} });
    await first.waitForCall();
    const started = Date.now();
    const second = await connect();
    const closed = await first.closed;
    expect(closed.code).toBe(CloseCode.replaced);
    expect(closed.reason).toMatch(/replaced by a newer connection/);
    const result = await pending;
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(textOf(result)).toMatch(
      /^\[device_offline\] The bridge app reconnected while running list_dialogs/,
    );
    // A late answer on the old socket cannot matter; the new socket serves calls.
    second.onCall = (f, d) => d.send({ type: 'response', id: f.id, result: DIALOGS_RESULT });
    const next = await ai.callTool({ name: 'list_dialogs', arguments: {} });
    expect(next.structuredContent).toEqual(DIALOGS_RESULT);
    expect(relay.connectedDevices()).toHaveLength(1);
    await ai.close();
  });
});
