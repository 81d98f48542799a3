/**
 * Optional second factor: TOTP (RFC 6238; 6 digits, 30 s, SHA-1 — what authenticator apps expect), via the
 * otpauth library. A code is accepted in the current step and one step either side (clock drift).
 */
import { Secret, TOTP } from 'otpauth';

/** A fresh TOTP seed (160 bits), base32, and the `otpauth://` URI an authenticator app scans. */
export function newTotpSecret(account: string, issuer = 'tg-relay'): { secret: string; uri: string } {
  const secret = new Secret({ size: 20 });
  const totp = new TOTP({ issuer, label: account, secret });
  return { secret: secret.base32, uri: totp.toString() };
}

/**
 * Checks a 6-digit code against a seed at time `now` (ms since the epoch).
 * @returns true when the code matches the step of `now` or one step either side.
 */
export function checkTotp(secret: string, code: string, now: number): boolean {
  if (!/^\d{6}$/.test(code)) return false;
  const totp = new TOTP({ secret: Secret.fromBase32(secret) });
  return totp.validate({ token: code, timestamp: now, window: 1 }) !== null;
}

/** The code for `secret` at `now` (for tests and the CLI's set-up check). */
export function totpCode(secret: string, now: number): string {
  return new TOTP({ secret: Secret.fromBase32(secret) }).generate({ timestamp: now });
}
