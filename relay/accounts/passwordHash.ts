/**
 * Account passwords as argon2id hashes (RFC 9106; hash-wasm, pure WebAssembly, no native build). Parameters
 * follow OWASP's argon2id minimum (19 MiB, 2 passes, 1 lane); they are encoded in each PHC string, so stronger
 * settings later still verify old hashes.
 */
import { randomBytes } from 'node:crypto';
import { argon2id, argon2Verify } from 'hash-wasm';

/** argon2id cost: memory in KiB, passes, lanes (OWASP Password Storage Cheat Sheet). */
export const ARGON2_PARAMS = { memorySize: 19_456, iterations: 2, parallelism: 1, hashLength: 32 } as const;

/** Shortest password an account may have, in characters. */
export const MIN_PASSWORD_LENGTH = 10;

/** Hashes a password. @returns a PHC string (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`). */
export function hashPassword(password: string): Promise<string> {
  return argon2id({ password, salt: randomBytes(16), ...ARGON2_PARAMS, outputType: 'encoded' });
}

/**
 * A hash of a random password, verified against when an account does not exist, so that a sign-in for an
 * unknown name costs as long as one for a known name (no account enumeration by timing).
 */
let decoy: Promise<string> | undefined;

/**
 * Checks a password against a stored hash (or, when `hash` is null, against a decoy at the same cost).
 * @returns true only when `hash` is set and matches.
 */
export async function verifyPassword(password: string, hash: string | null): Promise<boolean> {
  if (hash === null) {
    decoy ??= hashPassword(randomBytes(16).toString('hex'));
    await argon2Verify({ password, hash: await decoy }).catch(() => false);
    return false;
  }
  try {
    return await argon2Verify({ password, hash });
  } catch {
    return false;
  }
}
