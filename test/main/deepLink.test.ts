/** `tgbridge://` pairing links (issue 9): only a well-formed pairing link is accepted; every trick is refused. */
import { describe, expect, it } from 'vitest';
import { deepLinkInArgv, parseDeepLink } from '../../main/deepLink.js';

describe('parseDeepLink', () => {
  it('reads a pairing link', () => {
    expect(parseDeepLink('tgbridge://pair?relay=https%3A%2F%2Frelay.example%2F&code=AB12-CD34')).toEqual({
      kind: 'pair',
      relayUrl: 'https://relay.example',
      code: 'AB12-CD34',
    });
    expect(parseDeepLink('tgbridge://pair?relay=http://127.0.0.1:8787&code=abcd')?.relayUrl).toBe('http://127.0.0.1:8787');
  });

  it('refuses other schemes, hosts, plain-http remote relays, credentials in the URL and odd codes', () => {
    for (const link of [
      'https://pair?relay=https://relay.example&code=abcd',
      'tgbridge://approve?call=1',
      'tgbridge://pair?relay=http://relay.example&code=abcd',
      'tgbridge://pair?relay=https://user:pw@relay.example&code=abcd',
      'tgbridge://pair?relay=javascript:alert(1)&code=abcd',
      'tgbridge://pair?relay=file:///etc/passwd&code=abcd',
      'tgbridge://pair?relay=https://relay.example&code=ab',
      'tgbridge://pair?relay=https://relay.example&code=<script>',
      'tgbridge://pair?relay=https://relay.example',
      `tgbridge://pair?relay=https://relay.example&code=${'a'.repeat(3000)}`,
      'not a url',
    ]) {
      expect(parseDeepLink(link)).toBeNull();
    }
  });

  it('finds the link among process arguments (Windows and Linux pass it there)', () => {
    expect(deepLinkInArgv(['/usr/bin/tg-bridge', '--flag', 'tgbridge://pair?relay=https://r.example&code=abcd'])).toMatchObject({ code: 'abcd' });
    expect(deepLinkInArgv(['/usr/bin/tg-bridge'])).toBeNull();
  });
});
