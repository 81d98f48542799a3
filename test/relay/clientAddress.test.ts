/**
 * Client addresses behind a reverse proxy (the TLS proxy in front of relay replicas, deploy/): a trusted
 * proxy's `X-Forwarded-For` names the client for throttles; anyone else's is ignored, so a guesser cannot
 * dodge the throttle by inventing addresses, nor lock another address out.
 */
import type { IncomingMessage } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveClientAddress, TrustedProxies } from '../../relay/clientAddress.js';
import { startTestRelay, type TestRelay, token } from './helpers.js';

function request(remoteAddress: string, forwardedFor?: string): IncomingMessage {
  return { socket: { remoteAddress }, headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor } } as unknown as IncomingMessage;
}

describe('resolving the client address', () => {
  const trusted = new TrustedProxies(['10.0.0.5', '172.28.0.0/24', '::1']);

  it('believes only trusted proxies, and only the right-most hop they did not add themselves', () => {
    expect(resolveClientAddress(request('10.0.0.5', '198.51.100.1, 203.0.113.9'), trusted)).toBe('203.0.113.9');
    expect(resolveClientAddress(request('::ffff:172.28.0.3', '203.0.113.9, 172.28.0.7'), trusted)).toBe('203.0.113.9');
    expect(resolveClientAddress(request('::1', 'not-an-address'), trusted)).toBe('::1');
    expect(resolveClientAddress(request('198.51.100.1', '203.0.113.9'), trusted)).toBe('198.51.100.1');
    expect(resolveClientAddress(request('10.0.0.6', '203.0.113.9'), trusted)).toBe('10.0.0.6');
  });

  it('refuses an entry that is not an address or a subnet', () => {
    expect(() => new TrustedProxies(['proxy.local'])).toThrow(/"proxy.local" is not an IP address or subnet/);
    expect(() => new TrustedProxies(['10.0.0.0/33'])).toThrow(/10\.0\.0\.0\/33/);
  });
});

describe('failed token checks behind a proxy', () => {
  let relay: TestRelay | undefined;
  afterEach(async () => relay?.close());

  const badToken = (r: TestRelay, forwardedFor: string) =>
    fetch(r.relay.mcpUrl, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token()}`, 'X-Forwarded-For': forwardedFor, 'Content-Type': 'application/json' },
      body: '{}',
    }).then(async (res) => {
      await res.body?.cancel();
      return res.status;
    });

  it('a trusted proxy: one client is throttled, another behind the same proxy is not', async () => {
    relay = await startTestRelay({ trustedProxies: ['127.0.0.1'] });
    for (let i = 0; i < 20; i++) expect(await badToken(relay, '203.0.113.7')).toBe(401);
    expect(await badToken(relay, '203.0.113.7')).toBe(429);
    expect(await badToken(relay, '203.0.113.8')).toBe(401);
  });

  it('no trusted proxy: made-up X-Forwarded-For values do not dodge the throttle', async () => {
    relay = await startTestRelay();
    for (let i = 0; i < 20; i++) expect(await badToken(relay, `203.0.113.${i}`)).toBe(401);
    expect(await badToken(relay, '203.0.113.99')).toBe(429);
  });
});
