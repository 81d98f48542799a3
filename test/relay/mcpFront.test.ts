/**
 * The quick way into /mcp (relay/mcpFront.ts): it serves only requests the express route would serve, and
 * hands everything else to that route. Its token rule is checked against the SDK's own bearer middleware on
 * the same verifier answers, so it can never accept a token the SDK would refuse.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { requireBearerAuth } from '@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import { describe, expect, it, vi } from 'vitest';
import { acceptedAsSdkWould, mcpFront } from '../../relay/mcpFront.js';
import type { McpEndpoint } from '../../relay/mcpEndpoint.js';
import { systemClock } from '../../relay/clock.js';
import { FailureThrottle } from '../../relay/throttle.js';

const resource = new URL('https://relay.example/mcp');
const nowS = Math.floor(Date.now() / 1000);
const good: AuthInfo = {
  token: 't',
  clientId: 'c',
  scopes: ['mcp'],
  expiresAt: nowS + 600,
  resource,
  extra: { userId: 'alice', oauthClientId: 'c' },
};

/** What the SDK's requireBearerAuth does with a verifier that answers `info`: 'next' or the HTTP status. */
async function sdkVerdict(info: AuthInfo | Error): Promise<'next' | number> {
  const middleware = requireBearerAuth({
    verifier: { verifyAccessToken: async () => (info instanceof Error ? Promise.reject(info) : info) },
    expectedResource: resource,
  });
  let verdict: 'next' | number = 0;
  const res = {
    set: () => res,
    status: (code: number) => {
      verdict = code;
      return res;
    },
    json: () => res,
  };
  await middleware({ headers: { authorization: 'Bearer t' } } as never, res as never, () => (verdict = 'next'));
  return verdict;
}

const variants: Array<[string, AuthInfo]> = [
  ['valid', good],
  ['resource with a trailing slash', { ...good, resource: new URL('https://relay.example/mcp/') }],
  ['resource with a fragment', { ...good, resource: new URL('https://relay.example/mcp#x') }],
  ['another resource', { ...good, resource: new URL('https://relay.example/other') }],
  ['another origin', { ...good, resource: new URL('https://evil.example/mcp') }],
  ['no resource', { ...good, resource: undefined }],
  ['no expiry', { ...good, expiresAt: undefined }],
  ['NaN expiry', { ...good, expiresAt: Number.NaN }],
  ['expired', { ...good, expiresAt: nowS - 5 }],
  ['expiry as a string', { ...good, expiresAt: String(nowS + 600) as unknown as number }],
];

describe('acceptedAsSdkWould', () => {
  it.each(variants)('%s: the same verdict as the SDK bearer middleware', async (_name, info) => {
    const sdk = await sdkVerdict(info);
    expect(acceptedAsSdkWould(info, resource, Date.now())).toBe(sdk === 'next');
  });
});

/** A request for /mcp with these headers, a response that records headers, and the front's outcome. */
function harness(options: { verify?: (token: string) => Promise<AuthInfo>; throttled?: boolean } = {}) {
  const handle = vi.fn(async (..._args: unknown[]) => undefined);
  const throttle = new FailureThrottle(systemClock, { maxFailures: 1, windowMs: 60_000 });
  if (options.throttled) throttle.fail(['ip:10.0.0.1']);
  const front = mcpFront({
    mcp: { handle } as unknown as McpEndpoint,
    verifyAccessToken: options.verify ?? (async () => good),
    resource,
    policy: { hosts: new Set(['relay.example']), origins: new Set(['https://app.example']) },
    tokenThrottle: throttle,
    addressOf: () => '10.0.0.1',
    fail: () => undefined,
  });
  const run = async (headers: Record<string, string>, method = 'POST') => {
    const headersSet: Record<string, string> = {};
    const req = { method, headers: { host: 'relay.example', ...headers } } as unknown as IncomingMessage;
    const res = { setHeader: (k: string, v: string) => (headersSet[k] = v) } as unknown as ServerResponse;
    const slow = vi.fn();
    front(req, res, slow);
    await new Promise((r) => setTimeout(r, 5));
    return { slow: slow.mock.calls.length, handled: handle.mock.calls.length, headersSet, caller: handle.mock.calls[0]?.[2] };
  };
  return { run, handle };
}

describe('mcpFront', () => {
  it('serves an authorised request itself, with the caller from the token and the CORS headers of an allowed origin', async () => {
    const { run } = harness();
    const out = await run({ authorization: 'Bearer tok', origin: 'https://app.example' });
    expect(out).toMatchObject({ slow: 0, handled: 1, caller: { userId: 'alice', oauthClientId: 'c' } });
    expect(out.headersSet['Access-Control-Allow-Origin']).toBe('https://app.example');
    expect((await harness().run({ authorization: 'bearer tok' })).handled).toBe(1);
  });

  it.each([
    ['no Authorization header', {}, 'POST'],
    ['another scheme', { authorization: 'Basic dTpw' }, 'POST'],
    ['an empty token', { authorization: 'Bearer ' }, 'POST'],
    ['two spaces', { authorization: 'Bearer  tok' }, 'POST'],
    ['a token with a space after it', { authorization: 'Bearer tok more' }, 'POST'],
    ['a preflight', { authorization: 'Bearer tok' }, 'OPTIONS'],
    ['a refused origin', { authorization: 'Bearer tok', origin: 'https://evil.example' }, 'POST'],
    ['another Host', { authorization: 'Bearer tok', host: 'evil.example' }, 'POST'],
  ])('leaves %s to the express route', async (_name, headers, method) => {
    const out = await harness().run(headers as Record<string, string>, method);
    expect(out).toMatchObject({ slow: 1, handled: 0 });
  });

  it('leaves a throttled address, a refused token, a token for another resource and one without a user to the express route', async () => {
    expect(await harness({ throttled: true }).run({ authorization: 'Bearer tok' })).toMatchObject({ slow: 1, handled: 0 });
    const refused = harness({ verify: async () => Promise.reject(new Error('invalid token')) });
    expect(await refused.run({ authorization: 'Bearer tok' })).toMatchObject({ slow: 1, handled: 0 });
    const elsewhere = harness({ verify: async () => ({ ...good, resource: new URL('https://other.example/mcp') }) });
    expect(await elsewhere.run({ authorization: 'Bearer tok' })).toMatchObject({ slow: 1, handled: 0 });
    const nobody = harness({ verify: async () => ({ ...good, extra: undefined }) });
    expect(await nobody.run({ authorization: 'Bearer tok' })).toMatchObject({ slow: 1, handled: 0 });
  });
});
