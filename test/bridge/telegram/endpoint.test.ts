/** Custom MTProto endpoints: parsing `host:port`, the pinned port, and trusting a server's RSA key. */
import { generateKeyPairSync } from 'node:crypto';
import { _serverKeys } from 'telegram/crypto/RSA.js';
import { describe, expect, it } from 'vitest';
import { parseEndpoint, pinnedPortConnection, trustServerKey } from '../../../bridge/telegram/endpoint.js';
import { serverRsaKey } from '../../../sandbox/mtproto/rsaKey.js';

describe('MTProto endpoints', () => {
  it('parses host:port and dc@host:port, refusing ports StringSession cannot hold', () => {
    expect(parseEndpoint('127.0.0.1:20444')).toEqual({ dcId: 2, host: '127.0.0.1', port: 20444 });
    expect(parseEndpoint('4@localhost:443')).toEqual({ dcId: 4, host: 'localhost', port: 443 });
    expect(() => parseEndpoint('127.0.0.1:40000')).toThrow(/1–32767/);
    expect(() => parseEndpoint('nonsense')).toThrow(/expected host:port/);
    expect(() => pinnedPortConnection(0)).toThrow(RangeError);
  });

  it('trusts a server RSA key under the fingerprint gramjs looks up (same as the sandbox computes)', () => {
    const key = serverRsaKey();
    const expected = key.fingerprint.toString();
    const entry = _serverKeys.get(expected);
    _serverKeys.delete(expected);
    try {
      expect(trustServerKey(key.publicKeyPem)).toBe(expected);
      const restored = _serverKeys.get(expected)!;
      expect(restored.n.toString()).toBe(entry!.n.toString());
      expect(restored.e).toBe(entry!.e);
    } finally {
      if (entry) _serverKeys.set(expected, entry);
    }
  });

  it('refuses what is not an RSA public key', () => {
    expect(() => trustServerKey('hello')).toThrow(/not a PEM public key/);
    const { publicKey } = generateKeyPairSync('ed25519');
    expect(() => trustServerKey(publicKey.export({ type: 'spki', format: 'pem' }).toString())).toThrow(/not an RSA/);
  });
});
