/**
 * The sandbox's RSA key for the auth key exchange (req_DH_params).
 *
 * A 2048-bit key is generated once per process and registered in gramjs's own key table
 * (`telegram/crypto/RSA` `_serverKeys`: fingerprint as a signed decimal string → `{n, e}`) at run time, so an
 * unmodified client in this process accepts it (SANDBOX.md). The fingerprint is the lower 64 bits of
 * SHA-1(TL bytes n ‖ TL bytes e).
 */
import { constants, createHash, createPublicKey, generateKeyPairSync, type KeyObject, privateDecrypt } from 'node:crypto';
import { _serverKeys } from 'telegram/crypto/RSA.js';
import { tlBytes, toTlLong } from './tlWire.js';

/** The server's RSA key: the private key, and the public fingerprint clients look up. */
export interface ServerRsaKey {
  /** Signed 64-bit fingerprint, as gramjs keys its table. */
  fingerprint: bigint;
  /** Public modulus, unsigned big-endian (what a client in another process registers, see sandbox/remote.ts). */
  n: Buffer;
  /** Public exponent, unsigned big-endian. */
  e: Buffer;
  /** The public key as SPKI PEM, for clients in other processes (`tg-bridge --server-key`). */
  publicKeyPem: string;
  /** Raw RSA (no padding) decryption of a 256-byte block, as RSA_PAD requires. */
  decrypt(block: Buffer): Buffer;
}

let processKey: ServerRsaKey | undefined;

function unsignedBigEndian(base64url: string): Buffer {
  const b = Buffer.from(base64url, 'base64url');
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  return b.subarray(i);
}

/**
 * The process's sandbox RSA key, generated on first use (about 0.2 s) and registered in gramjs's `_serverKeys`.
 * Every sandbox in the process shares it.
 */
export function serverRsaKey(): ServerRsaKey {
  if (processKey) return processKey;
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 65537 });
  const jwk = privateKey.export({ format: 'jwk' });
  const n = unsignedBigEndian(jwk.n!);
  const e = unsignedBigEndian(jwk.e!);
  const fingerprint = createHash('sha1').update(tlBytes(n)).update(tlBytes(e)).digest().readBigInt64LE(12);
  _serverKeys.set(fingerprint.toString(), {
    n: toTlLong(BigInt(`0x${n.toString('hex')}`)),
    e: Number(BigInt(`0x${e.toString('hex')}`)),
  });
  const key: KeyObject = privateKey;
  processKey = {
    fingerprint,
    n,
    e,
    publicKeyPem: createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString(),
    decrypt: (block) => privateDecrypt({ key, padding: constants.RSA_NO_PADDING }, block),
  };
  return processKey;
}
