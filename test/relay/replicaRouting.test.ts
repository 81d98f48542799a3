/**
 * Relay replicas (issue 11), in one process: two relays on one store and one real `redis-server` on loopback,
 * fake devices over real sockets, and a raw Redis client that plays a replica which lies or dies. Covers what
 * the two-process acceptance test (test/e2e/replicas.test.ts) cannot provoke on purpose: presence handover
 * and compare-and-delete, the 100-in-flight cap and deadlines across replicas, answers for unknown or
 * misrouted call ids, a holding replica that dies mid-call, revocation reaching the socket's replica, and the
 * shared nonces, parked requests and throttle counts.
 */
import { randomUUID } from 'node:crypto';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloseCode, MAX_CALLS_IN_FLIGHT } from '../../bridge/protocol/index.js';
import { type Relay, startRelay } from '../../relay/index.js';
import { RedisConnectNonces, RedisFailureCounts, RedisParkedAuthorizations } from '../../relay/replicas/sharedState.js';
import { FailureThrottle } from '../../relay/throttle.js';
import { systemClock } from '../../relay/clock.js';
import { runRelayCli } from '../../relay/cli.js';
import { type RedisServer, startRedis } from '../helpers/redisServer.js';
import { waitFor } from '../helpers/relayReplicas.js';
import { DIALOGS_RESULT, FakeDevice, mcpClient, memoryLogger, sharedStore, testUsers, textOf } from './helpers.js';

let redis: RedisServer;
let raw: Redis;
let a: Relay;
let b: Relay;
const users = testUsers();
const logA = memoryLogger();
const clients: Client[] = [];
const devices: FakeDevice[] = [];

const rawClients: Redis[] = [];

/** A plain Redis client of the test (errors after Redis is stopped are expected and ignored). */
function rawClient(): Redis {
  const r = new Redis(redis.url, { maxRetriesPerRequest: 1, retryStrategy: () => null });
  r.on('error', () => undefined);
  rawClients.push(r);
  return r;
}

async function replica(id: string, logger: pino.Logger, callDeadlineMs = 2_000): Promise<Relay> {
  return startRelay({
    users: [users.alice, users.bob],
    store: await sharedStore(),
    redisUrl: redis.url,
    replicaId: id,
    // Long enough that an event-loop stall on a loaded CI machine (two cores, other test files) does not
    // expire a key that refreshes would have kept; short enough for the TTL test below.
    replicaTiming: { heartbeatMs: 250, presenceTtlMs: 2_000 },
    callDeadlineMs,
    approvalTimeoutMs: 3_000,
    logger,
  });
}

async function client(relay: Relay, token = users.alice.mcpToken): Promise<Client> {
  const c = await mcpClient(relay.mcpUrl, token);
  clients.push(c);
  return c;
}

async function device(relay: Relay, token = users.alice.bridgeToken): Promise<FakeDevice> {
  const d = await FakeDevice.connect(relay.bridgeUrl, token);
  devices.push(d);
  await waitFor('the presence entry', async () => (await raw.get('tgr:device:alice'))?.startsWith(`${relay.replicaId} `) === true);
  return d;
}

beforeAll(async () => {
  redis = await startRedis();
  raw = rawClient();
  a = await replica('in-a', logA.logger);
  b = await replica('in-b', pino({ level: 'silent' }));
}, 60_000);

afterAll(async () => {
  await Promise.allSettled(clients.map((c) => c.close()));
  await Promise.allSettled(devices.map((d) => d.close()));
  await a?.close();
  await b?.close();
  for (const r of rawClients) r.disconnect();
  await redis?.stop();
});

describe('routing a call to the replica holding the device', () => {
  it('presence: the holder is recorded; a newer socket elsewhere replaces the old one without losing its entry', async () => {
    const first = await device(b);
    const second = await device(a);
    expect(await first.closed).toMatchObject({ code: CloseCode.replaced });
    // B's close must not have deleted A's entry (compare-and-delete).
    await new Promise((r) => setTimeout(r, 200));
    expect(await raw.get('tgr:device:alice')).toMatch(/^in-a /);
    expect(b.connectedDevices()).toEqual([]);
    second.onCall = (f, d) => d.send({ type: 'response', id: f.id!, result: DIALOGS_RESULT });
    const viaB = await client(b);
    const result = await viaB.callTool({ name: 'list_dialogs', arguments: {} });
    expect(result.isError).toBeFalsy();
    await second.close();
    await waitFor('the entry to go', async () => (await raw.get('tgr:device:alice')) === null);
  });

  it('presence entries outlive their TTL while refreshed; a takeover whose broadcast was lost still closes the stale socket', async () => {
    const dev = await device(b);
    await new Promise((r) => setTimeout(r, 2_600)); // > the 2 000 ms TTL: only refreshes keep it
    expect(await raw.get('tgr:device:alice')).toMatch(/^in-b /);
    // Another replica took the device over, and B never heard the `attached` broadcast.
    await raw.set('tgr:device:alice', 'in-a other-socket', 'PX', 5_000);
    expect(await dev.closed).toMatchObject({ code: CloseCode.replaced });
    expect(await raw.get('tgr:device:alice')).toBe('in-a other-socket');
    await raw.del('tgr:device:alice');
  });

  it('the 100-in-flight cap holds for calls arriving through another replica', async () => {
    const dev = await device(b);
    const viaA = await client(a);
    const calls = Array.from({ length: MAX_CALLS_IN_FLIGHT }, () => viaA.callTool({ name: 'list_dialogs', arguments: {} }));
    await dev.waitFor(() => dev.framesOf('call').length === MAX_CALLS_IN_FLIGHT, 10_000);
    const refused = await viaA.callTool({ name: 'list_dialogs', arguments: {} });
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toMatch(/^\[overloaded\] /);
    for (const f of dev.framesOf('call')) dev.send({ type: 'response', id: f.id!, result: DIALOGS_RESULT });
    const answered = await Promise.all(calls);
    expect(answered.every((r) => !r.isError)).toBe(true);
    await dev.close();
  });

  it("a call's deadline holds across replicas: the device gets cancel, the client deadline_exceeded", async () => {
    const dev = await device(b);
    const viaA = await client(a);
    const result = await viaA.callTool({ name: 'list_dialogs', arguments: {} });
    expect(textOf(result)).toMatch(/^\[deadline_exceeded\] /);
    const call = dev.framesOf('call').at(-1)!;
    expect(await dev.waitFor((f) => f.type === 'cancel' && f.id === call.id)).toMatchObject({ reason: expect.stringMatching(/deadline/) });
    await dev.close();
  });

  it('answers for an unknown call id, or from the wrong replica or user, are dropped and logged', async () => {
    const dev = await device(b);
    const viaA = await client(a);
    // Read the call A sends to B, as any replica could.
    const spy = rawClient();
    const sent = new Promise<{ callId: string }>((resolve) => {
      spy.on('message', (_channel: string, text: string) => {
        const m = JSON.parse(text) as { kind: string; callId: string };
        if (m.kind === 'call') resolve(m);
      });
    });
    await spy.subscribe('tgr:replica:in-b');
    const pending = viaA.callTool({ name: 'list_dialogs', arguments: {} });
    const { callId } = await sent;
    const forged = { kind: 'result', callId, outcome: { ok: true, result: { dialogs: [], notice: 'forged' } } };
    await raw.publish('tgr:replica:in-a', JSON.stringify({ ...forged, from: 'in-x', userId: 'alice' }));
    await raw.publish('tgr:replica:in-a', JSON.stringify({ ...forged, from: 'in-b', userId: 'bob' }));
    await raw.publish('tgr:replica:in-a', JSON.stringify({ ...forged, from: 'in-b', userId: 'alice', callId: randomUUID() }));
    await raw.publish('tgr:replica:in-a', JSON.stringify({ kind: 'result', from: 'in-b', callId: 5 }));
    await waitFor('the forged answers to be seen', () => logA.lines.filter((l) => /dropped/.test(l)).length >= 4);
    const call = await dev.waitForCall(dev.framesOf('call').length || 1);
    dev.send({ type: 'response', id: call.id!, result: DIALOGS_RESULT });
    const result = await pending;
    expect(result.structuredContent).toEqual(DIALOGS_RESULT);
    const drops = logA.lines.filter((l) => /dropped/.test(l)).join('\n');
    expect(drops).toMatch(/misrouted answer dropped/);
    expect(drops).toMatch(/answer for an unknown call id dropped/);
    expect(drops).toMatch(/invalid replica message dropped/);
    spy.disconnect();
    await dev.close();
  });

  it('a holding replica that dies mid-call fails the call as a disconnected device; one that is gone fails at once', async () => {
    // A replica "ghost" that takes the call and then stops refreshing its liveness key.
    const ghost = rawClient();
    await ghost.subscribe('tgr:replica:ghost');
    await raw.set('tgr:alive:ghost', '1', 'PX', 300);
    await raw.set('tgr:device:alice', 'ghost c1', 'PX', 30_000);
    const viaA = await client(a);
    const result = await viaA.callTool({ name: 'send_message', arguments: { peer: 'user:1', text: 'hi', mode: 'send' } });
    expect(textOf(result)).toMatch(/^\[device_offline\] The relay replica holding the bridge app stopped while running send_message\. .*check the chat/);
    ghost.disconnect();
    await waitFor('the ghost to unsubscribe', async () => ((await raw.pubsub('NUMSUB', 'tgr:replica:ghost')) as [string, number])[1] === 0);
    const gone = await viaA.callTool({ name: 'list_dialogs', arguments: {} });
    expect(textOf(gone)).toMatch(/^\[device_offline\] .*not connected/);
    await raw.del('tgr:device:alice');
  });

  it('a device revoked through one replica is disconnected by the replica holding its socket', async () => {
    const dev = await device(b);
    await raw.publish('tgr:replicas', JSON.stringify({ kind: 'disconnect', from: 'in-a', userId: 'alice', reason: 'revoked on the relay' }));
    expect(await dev.closed).toEqual({ code: CloseCode.revoked, reason: 'revoked on the relay' });
    await waitFor('the entry to go', async () => (await raw.get('tgr:device:alice')) === null);
  });

  it('a call for a user whose device is connected nowhere fails clearly', async () => {
    const viaB = await client(b, users.bob.mcpToken);
    const result = await viaB.callTool({ name: 'list_dialogs', arguments: {} });
    expect(textOf(result)).toMatch(/^\[device_offline\] .*not connected/);
  });
});

describe('replica ids', () => {
  it('an id a live replica uses is refused; a crashed replica\'s id is taken over once its key expires', async () => {
    await expect(replica('in-a', pino({ level: 'silent' }))).rejects.toThrow(/another live relay replica already uses the id "in-a"/);
    // A replica "in-c" that crashed a moment ago: its liveness key is still there for 200 ms.
    await raw.set('tgr:alive:in-c', '1', 'PX', 200);
    const restarted = await replica('in-c', pino({ level: 'silent' }));
    expect(restarted.replicaId).toBe('in-c');
    await restarted.close();
    expect(await raw.exists('tgr:alive:in-c')).toBe(0);
  });
});

describe('tg-relay serve --redis-url', () => {
  it('refuses a replica without PostgreSQL, and a URL that is not redis://, saying why', async () => {
    const run = async (args: string[]) => {
      let err = '';
      const code = await runRelayCli(['node', 'tg-relay', 'serve', '--port', '0', ...args], {
        out: () => undefined,
        err: (t) => (err += t),
        readStdin: async () => '',
      });
      return { code, err };
    };
    const env = { DATABASE_URL: process.env.DATABASE_URL, REDIS_URL: process.env.REDIS_URL };
    delete process.env.DATABASE_URL;
    delete process.env.REDIS_URL;
    try {
      expect(await run(['--redis-url', redis.url])).toEqual({ code: 1, err: expect.stringMatching(/must share PostgreSQL, so set DATABASE_URL too/) });
      const wrong = await run(['--redis-url', 'http://127.0.0.1:1', '--database-url', 'postgres://nobody@127.0.0.1:1/x']);
      expect(wrong.code).toBe(1);
      expect(wrong.err).toMatch(/redisUrl: must start with redis:\/\/ or rediss:\/\//);
    } finally {
      Object.assign(process.env, Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined)));
    }
  });
});

describe('state shared through Redis', () => {
  it('a connect nonce issued by one replica is spent once, on any replica', async () => {
    const one = new RedisConnectNonces(raw);
    const two = new RedisConnectNonces(rawClient());
    const res = await fetch(`${a.url}/bridge/nonce`, { method: 'POST' });
    const { nonce } = (await res.json()) as { nonce: string };
    expect(await two.take(nonce)).toBe(true);
    expect(await one.take(nonce)).toBe(false);
    await one.add('n1', Date.now() + 50, Date.now());
    await new Promise((r) => setTimeout(r, 120));
    expect(await two.take('n1')).toBe(false);
  });

  it('a parked /authorize request is readable on every replica and completed once', async () => {
    const one = new RedisParkedAuthorizations(raw);
    const two = new RedisParkedAuthorizations(rawClient());
    const now = Date.now();
    const request = {
      id: randomUUID(),
      client: { client_id: 'c1', redirect_uris: ['https://app.example/cb'] },
      params: { codeChallenge: 'x', redirectUri: 'https://app.example/cb', resource: new URL('https://relay.example/mcp') },
      expiresAt: now + 60_000,
    };
    await one.park(request as never);
    const seen = await two.get(request.id, now);
    expect(seen?.params.resource).toEqual(new URL('https://relay.example/mcp'));
    const [first, second] = await Promise.all([one.take(request.id, now), two.take(request.id, now)]);
    expect([first, second].filter(Boolean)).toHaveLength(1);
    expect(await two.get(request.id, now)).toBeUndefined();
  });

  it('failed attempts on one replica throttle the other', async () => {
    const key = `ip:${randomUUID()}`;
    const options = (name: string) => ({ maxFailures: 3, windowMs: 60_000, shared: new RedisFailureCounts(raw, name) });
    const one = new FailureThrottle(systemClock, options('t'));
    const two = new FailureThrottle(systemClock, options('t'));
    one.fail([key]);
    one.fail([key]);
    one.fail([key]);
    await waitFor('the shared count', async () => (await raw.get(`tgr:fail:t:${key}`)) === '3');
    expect(one.retryAfterSeconds([key])).toBeGreaterThan(0);
    expect(two.retryAfterSeconds([key])).toBe(0); // two has not heard yet …
    two.fail([key]); // … its next failure adopts the shared count (4 ≥ 3)
    await waitFor('the other replica to block', () => two.retryAfterSeconds([key]) > 0);
    expect(two.retryAfterSeconds([key])).toBeLessThanOrEqual(60);
  });

  it('without Redis: /healthz answers 503 naming it, and a device and client on the same replica still work', async () => {
    expect(await (await fetch(`${a.url}/healthz`)).json()).toMatchObject({ ok: true, replica: 'in-a', redis: 'ok', db: 'ok' });
    await redis.stop();
    const res = await fetch(`${a.url}/healthz`);
    expect(res.status).toBe(503);
    const body = (await res.json()) as { ok: boolean; redis: string; db: string };
    expect(body).toMatchObject({ ok: false, replica: 'in-a', db: 'ok' });
    expect(body.redis).not.toBe('ok');
    // The replica still serves what needs no other replica: a new MCP session and its device on this replica.
    const dev = await FakeDevice.connect(a.bridgeUrl, users.alice.bridgeToken);
    devices.push(dev);
    dev.onCall = (f, d) => d.send({ type: 'response', id: f.id!, result: DIALOGS_RESULT });
    const local = await client(a);
    expect((await local.callTool({ name: 'list_dialogs', arguments: {} })).structuredContent).toEqual(DIALOGS_RESULT);
  }, 30_000);
});
