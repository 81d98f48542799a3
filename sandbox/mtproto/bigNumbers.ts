/**
 * Big-number and hashing helpers shared by the auth key exchange (Diffie–Hellman) and 2FA (SRP): both work on
 * 2048-bit numbers carried as big-endian byte strings.
 */
import { createHash } from 'node:crypto';

/** `base^exponent mod modulus` by square-and-multiply. */
export function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n;
  let b = base % modulus;
  let e = exponent;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % modulus;
    e >>= 1n;
    b = (b * b) % modulus;
  }
  return result;
}

/** Unsigned big-endian bytes → bigint (empty → 0). */
export function bigFromBytes(bytes: Buffer): bigint {
  return bytes.length ? BigInt(`0x${bytes.toString('hex')}`) : 0n;
}

/** bigint → unsigned big-endian bytes, left-padded to `length` bytes. */
export function bytesOf(value: bigint, length: number): Buffer {
  return Buffer.from(value.toString(16).padStart(length * 2, '0'), 'hex');
}

/** Digest of the concatenation of `parts`. */
export function hashOf(algorithm: 'sha1' | 'sha256', ...parts: Buffer[]): Buffer {
  const h = createHash(algorithm);
  for (const p of parts) h.update(p);
  return h.digest();
}
