/**
 * The one loopback rule (bridge/protocol/loopback.ts) the relay, the device and the desktop app share: where plain
 * http is allowed. A string trick that makes another host look local must not pass.
 */
import { describe, expect, it } from 'vitest';
import { isLoopbackHostname } from '../../../bridge/protocol/index.js';
import { parseDeepLink } from '../../../main/deepLink.js';

const hostOf = (url: string) => new URL(url).hostname;

describe('isLoopbackHostname', () => {
  it.each(['http://localhost:8080', 'http://127.0.0.1', 'http://127.1.2.3:9', 'http://[::1]:7', 'http://127.1', 'http://0x7f.1'])(
    '%s is this computer',
    (url) => expect(isLoopbackHostname(hostOf(url))).toBe(true),
  );

  it.each([
    'http://localhost.:8080',
    'http://evil.localhost',
    'http://localhost.evil.example',
    'http://127.0.0.1.evil.example',
    'http://0.0.0.0',
    'http://128.0.0.1',
    'http://[::ffff:127.0.0.1]',
    'http://[::2]',
    'http://relay.example',
  ])('%s is not', (url) => expect(isLoopbackHostname(hostOf(url))).toBe(false));

  it('the desktop app applies the same rule to pairing links as the device does to relay addresses', () => {
    expect(parseDeepLink('tgbridge://pair?relay=http%3A%2F%2F127.0.0.2%3A8080')).toEqual({ kind: 'pair', relayUrl: 'http://127.0.0.2:8080' });
    expect(parseDeepLink('tgbridge://pair?relay=http%3A%2F%2Flocalhost.evil.example')).toBeNull();
  });
});
