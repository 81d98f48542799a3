/**
 * The relay link against a minimal relay written here from PROTOCOL.md (no relay/ code): hello, ping/pong,
 * call/response/error, cancel, unknown frames, 401, reconnect with backoff, and dead-connection detection.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  type BackoffOptions,
  bridgeUrlOf,
  type LinkStatus,
  RelayLink,
  type RelayLinkOptions,
} from '../../../bridge/link/relayLink.js';
import { type MiniRelay, miniRelay, TOKEN } from '../../helpers/miniRelay.js';
import { ToolError } from '../../../bridge/protocol/index.js';

const links: RelayLink[] = [];
const relays: MiniRelay[] = [];
afterEach(async () => {
  for (const l of links.splice(0)) await l.stop();
  for (const r of relays.splice(0)) await r.close();
});

function link(url: string, over: Partial<RelayLinkOptions> = {}): RelayLink {
  const l = new RelayLink({
    url,
    token: TOKEN,
    hello: { app: 'tg-bridge', version: '0.0.0-test', tools: ['list_dialogs'] },
    onCall: async (call) => ({ echo: call.args }),
    backoff: { initialMs: 50, maxMs: 200 },
    ...over,
  });
  links.push(l);
  l.start();
  return l;
}

function waitStatus(l: RelayLink, state: LinkStatus['state']): Promise<LinkStatus> {
  if (l.status.state === state) return Promise.resolve(l.status);
  return new Promise((resolve) => {
    const on = (s: LinkStatus) => {
      if (s.state !== state) return;
      l.off('status', on);
      resolve(s);
    };
    l.on('status', on);
  });
}

/** What our relay sends after `hello` (PROTOCOL.md extension). */
const WELCOME = {
  type: 'welcome',
  protocol: 'tgbridge/1',
  limits: { call_deadline_ms: 30_000, approval_timeout_ms: 120_000, max_calls_in_flight: 100 },
};

/**
 * A link (PROTOCOL.md backoff: 2 s doubling to 60 s) connected to a new mini relay that has sent `welcome`;
 * `statuses` records every status from the start. `keep`: close the relay after the test.
 */
async function welcomedLink(keep: boolean, backoff: Partial<BackoffOptions> = {}) {
  const relay = await miniRelay();
  if (keep) relays.push(relay);
  const statuses: LinkStatus[] = [];
  const l = link(relay.url, { backoff: { initialMs: 2_000, maxMs: 60_000, ...backoff } });
  l.on('status', (s) => statuses.push(s));
  await relay.next('hello');
  relay.send(WELCOME);
  await new Promise<void>((resolve) => l.once('welcome', () => resolve()));
  return { relay, l, statuses, port: relay.port };
}

describe('relay link', () => {
  it('turns relay URLs into /bridge WebSocket URLs', () => {
    expect(bridgeUrlOf('https://relay.example.com')).toBe('wss://relay.example.com/bridge');
    expect(bridgeUrlOf('http://127.0.0.1:8080/')).toBe('ws://127.0.0.1:8080/bridge');
    expect(bridgeUrlOf('wss://r.example/custom/bridge')).toBe('wss://r.example/custom/bridge');
    expect(() => bridgeUrlOf('ftp://x')).toThrow(/http\(s\) or ws\(s\)/);
  });

  it('dials with the Bearer token, sends hello first, and answers pings', async () => {
    const relay = await miniRelay();
    relays.push(relay);
    link(relay.url);
    const hello = await relay.next('hello');
    expect(relay.frames[0]).toBe(hello);
    expect({ ...hello, _taken: undefined }).toMatchObject({
      protocol: 'tgbridge/1',
      app: 'tg-bridge',
      tools: ['list_dialogs'],
    });
    expect(relay.headers[0]!.authorization).toBe(`Bearer ${TOKEN}`);
    relay.send({ type: 'ping', id: 'ping' });
    expect(await relay.next('pong')).toMatchObject({ type: 'pong', id: 'ping' });
  });

  it('runs calls and answers with response or error frames; ignores unknown and malformed frames', async () => {
    const relay = await miniRelay();
    relays.push(relay);
    link(relay.url, {
      onCall: async (call) => {
        if (call.tool === 'fail') throw new ToolError('invalid_arguments', 'peer: not a peer');
        if (call.tool === 'crash') throw new Error('secret internals');
        return { ok: true, got: call.args };
      },
    });
    await relay.next('hello');
    relay.sockets[0]!.send('this is not json');
    relay.send({ type: 'from_the_future', id: 'x' });
    relay.send({ type: 'call', id: 'c1', tool: 'list_dialogs', args: { limit: 2 } });
    expect(await relay.next('response')).toMatchObject({
      type: 'response',
      id: 'c1',
      result: { ok: true, got: { limit: 2 } },
    });
    relay.send({ type: 'call', id: 'c2', tool: 'fail', args: {} });
    expect(await relay.next('error')).toMatchObject({
      type: 'error',
      id: 'c2',
      error: '[invalid_arguments] peer: not a peer',
    });
    relay.send({ type: 'call', id: 'c3', tool: 'crash', args: {} });
    const crash = await relay.next('error');
    expect(crash.error).toMatch(/^\[internal_error\]/);
    expect(String(crash.error)).not.toContain('secret internals');
  });

  it('a cancel frame aborts the running call', async () => {
    const relay = await miniRelay();
    relays.push(relay);
    let aborted: string | undefined;
    link(relay.url, {
      onCall: (_call, scope) =>
        new Promise((_resolve, reject) => {
          scope.progress('waiting for the person');
          scope.signal.addEventListener('abort', () => {
            aborted = String(scope.signal.reason);
            reject(new ToolError('deadline_exceeded', 'withdrawn'));
          });
        }),
    });
    await relay.next('hello');
    relay.send({ type: 'call', id: 'c9', tool: 'send_message', args: {} });
    expect(await relay.next('progress')).toMatchObject({ id: 'c9', message: 'waiting for the person' });
    relay.send({ type: 'cancel', id: 'c9', reason: 'client cancelled' });
    await relay.next('error');
    expect(aborted).toBe('client cancelled');
  });

  it('a refused token is reported clearly and retried with backoff', async () => {
    const relay = await miniRelay();
    relays.push(relay);
    const l = link(relay.url, { token: 'wrong' });
    const s = await waitStatus(l, 'waiting');
    expect(s).toMatchObject({
      state: 'waiting',
      reason: expect.stringMatching(/refused the bridge token \(401\)/),
    });
  });

  it('reconnects by itself when the relay comes back, with jittered doubling backoff', async () => {
    const relay = await miniRelay();
    const port = relay.port;
    const statuses: LinkStatus[] = [];
    const l = link(relay.url, { backoff: { initialMs: 40, maxMs: 160 } });
    l.on('status', (s) => statuses.push(s));
    await relay.next('hello');
    await relay.close();
    await new Promise((r) => setTimeout(r, 600));
    const waits = statuses.filter((s) => s.state === 'waiting') as Array<{
      retryInMs: number;
      attempt: number;
    }>;
    expect(waits.length).toBeGreaterThanOrEqual(3);
    for (const w of waits) {
      const exp = Math.min(160, 40 * 2 ** (w.attempt - 1));
      expect(w.retryInMs).toBeGreaterThanOrEqual(exp / 2);
      expect(w.retryInMs).toBeLessThanOrEqual(exp);
    }
    const back = await miniRelay({ port });
    relays.push(back);
    await back.next('hello');
    expect(l.status.state).toBe('connected');
  });

  it('after a welcomed connection drops, redials within 100–300 ms, every 200–600 ms while the relay refuses connections in the quick window, then the doubling', async () => {
    const { relay, statuses } = await welcomedLink(false, { quickWindowMs: 1_000 });
    const droppedAt = Date.now();
    await relay.close();
    const waits = () => statuses.filter((s) => s.state === 'waiting') as Array<{ retryInMs: number; attempt: number; reason: string }>;
    // Nobody listens: the quick redial, quick ones while the window lasts, then the protocol's 2 s doubling.
    while (!waits().some((w) => w.retryInMs >= 1_000)) await new Promise((r) => setTimeout(r, 20));
    const [first, ...rest] = waits();
    expect(first!.attempt).toBe(0);
    expect(first!.retryInMs).toBeGreaterThanOrEqual(100);
    expect(first!.retryInMs).toBeLessThanOrEqual(300);
    const slow = rest.at(-1)!;
    const quick = rest.slice(0, -1);
    expect(quick.length).toBeGreaterThanOrEqual(1);
    for (const w of quick) {
      expect(w.retryInMs).toBeGreaterThanOrEqual(200);
      expect(w.retryInMs).toBeLessThanOrEqual(600);
      expect(w.reason).toMatch(/connection refused/);
    }
    expect(Date.now() - droppedAt).toBeGreaterThanOrEqual(1_000);
    const exp = Math.min(60_000, 2_000 * 2 ** (slow.attempt - 1));
    expect(slow.retryInMs).toBeGreaterThanOrEqual(exp / 2);
    expect(slow.retryInMs).toBeLessThanOrEqual(exp);
  });

  it.each([
    [503, 'a proxy in front of a relay restarting behind it: unreachable, quick redials', 200, 600],
    [429, 'a relay that answers while down is not redialled quickly, even in the quick window', 1_000, 2_000],
  ])('HTTP %i: %s', async (status, _what, min, max) => {
    const { relay, statuses, port } = await welcomedLink(false);
    await relay.close();
    const answering = await miniRelay({ port, refuseWith: status });
    relays.push(answering);
    const answered = new RegExp(`HTTP ${status}`);
    const waits = () => statuses.filter((s) => s.state === 'waiting') as Array<{ retryInMs: number; reason: string }>;
    while (!waits().some((w) => answered.test(w.reason))) await new Promise((r) => setTimeout(r, 20));
    const wait = waits().find((w) => answered.test(w.reason))!;
    expect(wait.retryInMs).toBeGreaterThanOrEqual(min);
    expect(wait.retryInMs).toBeLessThanOrEqual(max);
  });

  it('the quick first redial is jittered across devices', async () => {
    const relay = await miniRelay();
    relays.push(relay);
    const delays: number[] = [];
    for (let i = 0; i < 8; i++) {
      const l = link(relay.url, { backoff: { initialMs: 2_000, maxMs: 60_000 } });
      l.on('status', (s) => {
        if (s.state === 'waiting' && s.attempt === 0) delays.push(s.retryInMs);
      });
    }
    while (relay.frames.filter((f) => f.type === 'hello').length < 8) await new Promise((r) => setTimeout(r, 20));
    relay.send(WELCOME);
    await new Promise((r) => setTimeout(r, 100));
    for (const ws of relay.sockets) ws.close(1001, 'restarting');
    while (delays.length < 8) await new Promise((r) => setTimeout(r, 20));
    expect(delays.every((d) => d >= 100 && d <= 300)).toBe(true);
    expect(new Set(delays).size).toBeGreaterThan(1);
  });

  it('welcome resets the backoff: a relay that restarts every time gets a quick redial every time', async () => {
    const relay = await miniRelay();
    relays.push(relay);
    const quick: number[] = [];
    const l = link(relay.url, { backoff: { initialMs: 5_000, maxMs: 60_000 } });
    l.on('status', (s) => {
      if (s.state === 'waiting') quick.push(s.attempt);
    });
    for (let round = 1; round <= 3; round++) {
      while (relay.frames.filter((f) => f.type === 'hello').length < round) await new Promise((r) => setTimeout(r, 10));
      relay.send(WELCOME);
      await new Promise<void>((resolve) => l.once('welcome', () => resolve()));
      relay.sockets.at(-1)!.close(1001, 'restarting');
    }
    while (relay.frames.filter((f) => f.type === 'hello').length < 4) await new Promise((r) => setTimeout(r, 10));
    expect(quick).toEqual([0, 0, 0]); // never the 5 s backoff
  });

  it('a connection replaced by another device of the same user is not redialled quickly', async () => {
    const { relay, l } = await welcomedLink(true);
    relay.sockets[0]!.close(4001, 'replaced by a newer connection');
    const wait = (await waitStatus(l, 'waiting')) as { retryInMs: number; attempt: number };
    expect(wait.attempt).toBe(1);
    expect(wait.retryInMs).toBeGreaterThanOrEqual(1_000);
  });

  it('detects a dead connection (nothing heard) and redials', async () => {
    const relay = await miniRelay({ answerPings: false });
    relays.push(relay);
    link(relay.url, { pingIntervalMs: 50, idleTimeoutMs: 200 });
    await relay.next('hello');
    const t0 = Date.now();
    // The relay stays silent: the link must give up on this socket and dial again.
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        if (relay.sockets.length >= 2) {
          clearInterval(timer);
          resolve();
        }
      }, 20);
    });
    expect(Date.now() - t0).toBeLessThan(2_000);
  });
});
