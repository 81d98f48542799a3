/**
 * Reaching an MTProto endpoint other than Telegram's production DCs (the local sandbox, a test DC).
 *
 * gramjs's `connect()` dials port 80 (or 443 with WSS) whatever port the session holds; the documented way
 * around it is a `Connection` subclass that pins the port (SANDBOX.md "Client side").
 */
// gramjs has circular imports: loading its index first is what makes the deep import below resolve.
import 'telegram';
import { createHash, createPublicKey } from 'node:crypto';
import { _serverKeys } from 'telegram/crypto/RSA.js';
import { returnBigInt } from 'telegram/Helpers.js';
import { ConnectionTCPFull } from 'telegram/network/connection/TCPFull.js';

/** An MTProto server address: DC id, IPv4 host, TCP port (≤ 32767: StringSession stores it as int16). */
export interface MtprotoEndpoint {
  dcId: number;
  host: string;
  port: number;
}

/**
 * Returns a `ConnectionTCPFull` subclass that always dials `port`, for `TelegramClientParams.connection`.
 * @throws RangeError when the port is outside 1–32767.
 */
export function pinnedPortConnection(port: number): typeof ConnectionTCPFull {
  if (!Number.isInteger(port) || port < 1 || port > 32767) {
    throw new RangeError(`MTProto port must be 1–32767 (StringSession stores it as int16), got ${port}`);
  }
  return class PinnedPortConnection extends ConnectionTCPFull {
    constructor(params: ConstructorParameters<typeof ConnectionTCPFull>[0]) {
      super({ ...params, port });
    }
  };
}

/**
 * Parses `host:port` or `dc@host:port` (default DC 2) as a person types it in config or on the CLI.
 * @throws Error naming the expected form when the string does not parse.
 */
export function parseEndpoint(text: string): MtprotoEndpoint {
  const m = /^(?:(\d{1,2})@)?([A-Za-z0-9.-]+):(\d{1,5})$/.exec(text.trim());
  if (!m) throw new Error(`not an MTProto endpoint: "${text}" (expected host:port or dc@host:port)`);
  const port = Number(m[3]);
  if (port < 1 || port > 32767) throw new Error(`MTProto port must be 1–32767, got ${port}`);
  return { dcId: m[1] ? Number(m[1]) : 2, host: m[2]!, port };
}

/**
 * Trusts the RSA public key of a non-production MTProto server (the sandbox's, or a test DC's) for the auth
 * key exchange, by adding it to gramjs's key table (`telegram/crypto/RSA` `_serverKeys`, keyed by the
 * fingerprint: lower 64 bits of SHA-1 over TL-serialised n and e, as a signed decimal — SANDBOX.md).
 * Production Telegram keys ship with gramjs and need nothing.
 * @param pem an RSA public key (SPKI or PKCS#1 PEM).
 * @returns the fingerprint as gramjs keys it.
 * @throws Error when the PEM is not an RSA public key.
 */
export function trustServerKey(pem: string): string {
  let jwk: { kty?: string; n?: string; e?: string };
  try {
    jwk = createPublicKey(pem).export({ format: 'jwk' });
  } catch {
    throw new Error('the server key is not a PEM public key');
  }
  if (jwk.kty !== 'RSA' || !jwk.n || !jwk.e) throw new Error('the server key is not an RSA public key');
  const n = unsignedBytes(jwk.n);
  const e = unsignedBytes(jwk.e);
  const fingerprint = createHash('sha1').update(tlBytes(n)).update(tlBytes(e)).digest().readBigInt64LE(12).toString();
  _serverKeys.set(fingerprint, {
    n: returnBigInt(BigInt(`0x${n.toString('hex')}`)),
    e: Number(BigInt(`0x${e.toString('hex')}`)),
  });
  return fingerprint;
}

function unsignedBytes(base64url: string): Buffer {
  const b = Buffer.from(base64url, 'base64url');
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  return b.subarray(i);
}

/** TL `bytes` serialisation: short or long length prefix, padded to a multiple of 4. */
function tlBytes(data: Buffer): Buffer {
  const header =
    data.length <= 253
      ? Buffer.from([data.length])
      : Buffer.from([254, data.length & 0xff, (data.length >> 8) & 0xff, (data.length >> 16) & 0xff]);
  const pad = (4 - ((header.length + data.length) % 4)) % 4;
  return Buffer.concat([header, data, Buffer.alloc(pad)]);
}
