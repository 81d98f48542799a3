/** `tgbridge://` pairing links (issue 9): only a well-formed pairing link is accepted; every trick is refused. */
import { describe, expect, it } from 'vitest';
import { deepLinkInArgv, parseDeepLink } from '../../main/deepLink.js';

describe('parseDeepLink', () => {
  it('reads a pairing link', () => {
    expect(parseDeepLink('tgbridge://pair?relay=https%3A%2F%2Frelay.example%2F')).toEqual({
      kind: 'pair',
      relayUrl: 'https://relay.example',
    });
    expect(parseDeepLink('tgbridge://pair?relay=http://127.0.0.1:8787')?.relayUrl).toBe('http://127.0.0.1:8787');
    // Other parameters carry nothing the app uses.
    expect(parseDeepLink('tgbridge://pair?relay=https://relay.example&code=abcd')).toEqual({ kind: 'pair', relayUrl: 'https://relay.example' });
  });

  it('refuses other schemes, hosts, plain-http remote relays, credentials in the URL and a missing relay', () => {
    for (const link of [
      'https://pair?relay=https://relay.example&code=abcd',
      'tgbridge://approve?call=1',
      'tgbridge://pair?relay=http://relay.example&code=abcd',
      'tgbridge://pair?relay=https://user:pw@relay.example&code=abcd',
      'tgbridge://pair?relay=javascript:alert(1)&code=abcd',
      'tgbridge://pair?relay=file:///etc/passwd&code=abcd',
      'tgbridge://pair?code=abcd',
      'tgbridge://pair?relay=',
      `tgbridge://pair?relay=https://relay.example/${'a'.repeat(3000)}`,
      'not a url',
    ]) {
      expect(parseDeepLink(link)).toBeNull();
    }
  });

  it('finds the link among process arguments (Windows and Linux pass it there)', () => {
    expect(deepLinkInArgv(['/usr/bin/tg-bridge', '--flag', 'tgbridge://pair?relay=https://r.example'])).toMatchObject({ relayUrl: 'https://r.example' });
    expect(deepLinkInArgv(['/usr/bin/tg-bridge'])).toBeNull();
  });
});
