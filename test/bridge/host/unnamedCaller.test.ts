/**
 * Custody rule 7 against a relay that omits the caller: a relay that is one of ours — it sent `welcome`, or the
 * device is paired with it — names every caller (`oauth_client`), so a call without one is refused on the
 * device with `[not_permitted]` and nothing is read. Only a plain mctl-style relay (no `welcome`, no pairing)
 * keeps running unnamed calls (bridgeHost.test.ts).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type BridgeHost, startBridgeHost } from '../../../bridge/host/bridgeHost.js';
import type { TelegramGateway } from '../../../bridge/telegram/gateway.js';
import { type Sandbox, startSandbox } from '../../../sandbox/index.js';
import { type MiniRelay, miniRelay, TOKEN } from '../../helpers/miniRelay.js';
import { sandboxGateway } from '../../helpers/sandboxGateway.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn().catch(() => {});
});

/** The sandbox gateway, recording every method the engine calls on it. */
function recordingGateway(sandbox: Sandbox): { gateway: TelegramGateway; used: string[] } {
  const used: string[] = [];
  const inner = sandboxGateway(sandbox);
  const gateway = new Proxy(inner, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        used.push(String(key));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { gateway, used };
}

async function setUp(paired: boolean): Promise<{ relay: MiniRelay; host: BridgeHost; used: string[] }> {
  const sandbox = await startSandbox();
  cleanups.push(() => sandbox.stop());
  const home = await mkdtemp(join(tmpdir(), 'tgb-unnamed-'));
  cleanups.push(() => rm(home, { recursive: true, force: true }));
  const relay = await miniRelay();
  cleanups.push(() => relay.close());
  const { gateway, used } = recordingGateway(sandbox);
  const host = await startBridgeHost({
    relayUrl: relay.url,
    bridgeToken: TOKEN,
    auditPath: join(home, 'audit.jsonl'),
    gateway,
    link: { backoff: { initialMs: 50, maxMs: 100 } },
    ...(paired ? { connectHeaders: async () => ({ 'x-test-proof': 'signed nonce' }) } : {}),
  });
  cleanups.push(() => host.stop());
  await relay.next('hello');
  return { relay, host, used };
}

describe('a relay that omits the calling AI client', () => {
  it('after our welcome: the unnamed call is refused on the device, nothing is read', async () => {
    const { relay, used } = await setUp(false);
    relay.send({
      type: 'welcome',
      protocol: 'tg-bridge/1',
      limits: { call_deadline_ms: 30_000, approval_timeout_ms: 120_000, max_calls_in_flight: 100 },
    });
    relay.send({ type: 'call', id: 'u1', tool: 'list_dialogs', args: { limit: 5 } });
    const refused = await relay.next('error');
    expect(refused).toMatchObject({ id: 'u1' });
    expect(String(refused.error)).toMatch(/^\[not_permitted\] The relay sent this call without naming the AI app/);
    expect(used.filter((m) => m !== 'resolvePeer')).toEqual([]);
  });

  it('on a paired link (proof-of-possession headers), even without welcome: refused, nothing is read', async () => {
    const { relay, used } = await setUp(true);
    relay.send({ type: 'call', id: 'u2', tool: 'get_messages', args: { peer: 'user:1', limit: 5 } });
    const refused = await relay.next('error');
    expect(refused).toMatchObject({ id: 'u2' });
    expect(String(refused.error)).toMatch(/^\[not_permitted\]/);
    expect(used).toEqual([]);
  });
});
