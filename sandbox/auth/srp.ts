/**
 * 2FA with SRP, server side (https://core.telegram.org/api/srp): the account's password is never stored,
 * only the verifier v = g^x mod p, where x is the KDF of
 * `passwordKdfAlgoSHA256SHA256PBKDF2HMACSHA512iter100000SHA256ModPow`:
 *
 *   SH(data, salt) = SHA256(salt ‖ data ‖ salt)
 *   PH1 = SH(SH(password, salt1), salt2)
 *   x   = SH(PBKDF2-HMAC-SHA512(PH1, salt1, 100000 iterations, 64 bytes), salt2)
 *
 * account.getPassword hands out B = k·v + g^b mod p (k = SHA256(p ‖ g)) under a fresh srp_id; auth.checkPassword
 * gets A and M1 and the server recomputes M1 from S = (A · v^u)^b mod p, u = SHA256(A ‖ B). Numbers are hashed as
 * 256-byte big-endian. The prime must be Telegram's own 2048-bit prime and g ∈ {3, 4, 5, 7}, or gramjs refuses
 * to compute the check (SANDBOX.md).
 */
import { pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { TELEGRAM_DH_PRIME } from '../mtproto/authKeyExchange.js';
import { bigFromBytes, bytesOf, hashOf, modPow } from '../mtproto/bigNumbers.js';

const pbkdf2Async = promisify(pbkdf2);

/** Telegram's 2048-bit SRP prime (the same safe prime as its DH exchange). */
export const SRP_PRIME = TELEGRAM_DH_PRIME;
/** The generator Telegram uses with that prime. */
export const SRP_G = 3;
/** PBKDF2 iterations of the algorithm (its name says 100000). */
export const SRP_PBKDF2_ITERATIONS = 100_000;
/** Bytes of every number as SRP hashes it. */
const SIZE = 256;



/** `value` as 256-byte big-endian (how SRP hashes numbers). */
function pad(value: bigint): Buffer {
  return bytesOf(value, SIZE);
}


function mod(a: bigint, m: bigint): bigint {
  const r = a % m;
  return r < 0n ? r + m : r;
}

/**
 * The check Telegram's clients make on g^a and g^b (and the server on A): 0 < value < p, and both value and
 * p − value at least 2048 − 64 bits long.
 */
function isGoodModExp(value: bigint, p: bigint): boolean {
  const minBits = 2048 - 64;
  const diff = p - value;
  return value > 0n && diff > 0n && value.toString(2).length >= minBits && diff.toString(2).length >= minBits;
}

/** The KDF of the algorithm: x as 32 bytes (see the module comment). */
export async function srpPasswordHash(password: string, salt1: Buffer, salt2: Buffer): Promise<Buffer> {
  const sh = (data: Buffer, salt: Buffer) => hashOf('sha256', salt, data, salt);
  const ph1 = sh(sh(Buffer.from(password, 'utf8'), salt1), salt2);
  const slow = await pbkdf2Async(ph1, salt1, SRP_PBKDF2_ITERATIONS, 64, 'sha512');
  return sh(slow, salt2);
}

/** What account.getPassword hands out for one login attempt. */
export interface SrpChallenge {
  /** Signed 64-bit id the client echoes in inputCheckPasswordSRP. */
  srpId: bigint;
  /** B, 256 bytes big-endian. */
  srpB: Buffer;
}

/** The account's 2FA password as the server keeps it: salts and verifier, never the password. */
export class SrpPassword {
  private readonly challenges = new Map<bigint, { b: bigint; B: bigint }>();

  private constructor(
    /** salt1 of the current algo (40 bytes: Telegram's 8-byte new_algo salt1 plus the client's 32). */
    readonly salt1: Buffer,
    /** salt2 of the current algo (16 bytes). */
    readonly salt2: Buffer,
    /** The verifier g^x mod p. */
    private readonly verifier: bigint,
    /** The hint shown at the password prompt ('' for none). */
    readonly hint: string,
  ) {}

  /**
   * Derives the verifier of `password` with fresh salts (one PBKDF2 run: about 50–150 ms).
   * @throws Error for an empty password.
   */
  static async create(password: string, hint = ''): Promise<SrpPassword> {
    if (password.length === 0) throw new Error('a 2FA password cannot be empty');
    const salt1 = randomBytes(40);
    const salt2 = randomBytes(16);
    const x = bigFromBytes(await srpPasswordHash(password, salt1, salt2));
    return new SrpPassword(salt1, salt2, modPow(BigInt(SRP_G), x, SRP_PRIME), hint);
  }

  /** A fresh (srp_id, B) for account.getPassword; remembered until checked (at most 256 open at once). */
  challenge(): SrpChallenge {
    const p = SRP_PRIME;
    const g = BigInt(SRP_G);
    const k = bigFromBytes(hashOf('sha256', pad(p), pad(g)));
    for (;;) {
      const b = bigFromBytes(randomBytes(SIZE)) % p;
      const gB = modPow(g, b, p);
      // The client derives g^b back from B and refuses a weak one; B itself must be a proper residue.
      if (!isGoodModExp(gB, p)) continue;
      const B = mod(k * this.verifier + gB, p);
      if (B === 0n) continue;
      const srpId = randomBytes(8).readBigInt64LE(0);
      this.challenges.set(srpId, { b, B });
      if (this.challenges.size > 256) this.challenges.delete(this.challenges.keys().next().value!);
      return { srpId, srpB: pad(B) };
    }
  }

  /**
   * Checks inputCheckPasswordSRP. The challenge is used up either way (a wrong guess needs a new getPassword).
   * @returns 'ok', 'unknown-srp-id' (no such open challenge), or 'wrong' (A out of range or M1 mismatch: a wrong
   *   password).
   */
  check(srpId: bigint, A: Buffer, M1: Buffer): 'ok' | 'unknown-srp-id' | 'wrong' {
    const challenge = this.challenges.get(srpId);
    if (!challenge) return 'unknown-srp-id';
    this.challenges.delete(srpId);
    const p = SRP_PRIME;
    const a = bigFromBytes(A);
    if (A.length > SIZE || !isGoodModExp(a, p)) return 'wrong';
    const aBytes = pad(a);
    const bBytes = pad(challenge.B);
    const u = bigFromBytes(hashOf('sha256', aBytes, bBytes));
    if (u === 0n) return 'wrong';
    const S = modPow((a * modPow(this.verifier, u, p)) % p, challenge.b, p);
    const K = hashOf('sha256', pad(S));
    const hp = hashOf('sha256', pad(p));
    const hg = hashOf('sha256', pad(BigInt(SRP_G)));
    const pg = Buffer.from(hp.map((byte, i) => byte ^ hg[i]!));
    const expected = hashOf('sha256', pg, hashOf('sha256', this.salt1), hashOf('sha256', this.salt2), aBytes, bBytes, K);
    return M1.length === expected.length && timingSafeEqual(M1, expected) ? 'ok' : 'wrong';
  }
}
