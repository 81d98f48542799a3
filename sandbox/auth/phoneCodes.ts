/**
 * Login codes sent "by SMS": auth.sendCode issues a 5-digit code under a phone_code_hash, auth.signIn checks it.
 * As on Telegram, a new sendCode for the same phone replaces the previous code, a code works once, and it
 * expires (default after 5 minutes). Nothing is delivered anywhere: the code is read through the control API
 * (`control.lastLoginCode(phone)`) and printed by the standalone server.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { RpcError } from '../mtproto/rpcError.js';

/** Digits of a login code (Telegram's SMS codes are 5 digits). */
export const LOGIN_CODE_LENGTH = 5;

/** A code waiting to be typed in. Times in ms since epoch. */
export interface IssuedCode {
  phone: string;
  phoneCodeHash: string;
  code: string;
  issuedAt: number;
  expiresAt: number;
  used: boolean;
}

/**
 * A phone number as Telegram normalises it: digits only (spaces, dashes, brackets and a leading `+` dropped).
 * @throws RpcError 400 PHONE_NUMBER_INVALID when 5–15 digits do not remain.
 */
export function normalizePhone(phone: string): string {
  const digits = phone.replace(/[\s()+\-.]/g, '');
  if (!/^\d{5,15}$/.test(digits)) throw new RpcError(400, 'PHONE_NUMBER_INVALID', `"${phone}"`);
  return digits;
}

/** Issued login codes, by phone (digits only). */
export class PhoneCodes {
  private readonly byPhone = new Map<string, IssuedCode>();

  /**
   * @param ttlMs how long a code stays valid (ms).
   * @param onIssued called with every new code (the standalone server prints it).
   */
  constructor(
    private readonly ttlMs: number,
    private readonly onIssued?: (phone: string, code: string) => void,
  ) {}

  /** Issues a new code for `phone` (digits only), replacing any earlier one. */
  issue(phone: string, now = Date.now()): IssuedCode {
    const issued: IssuedCode = {
      phone,
      phoneCodeHash: randomBytes(9).toString('hex'),
      code: String(randomInt(0, 10 ** LOGIN_CODE_LENGTH)).padStart(LOGIN_CODE_LENGTH, '0'),
      issuedAt: now,
      expiresAt: now + this.ttlMs,
      used: false,
    };
    this.byPhone.set(phone, issued);
    this.onIssued?.(phone, issued.code);
    return issued;
  }

  /**
   * Resends: a new code under the same phone_code_hash (auth.resendCode).
   * @throws RpcError 400 PHONE_CODE_EXPIRED when the hash is not the phone's current one or it was used.
   */
  reissue(phone: string, phoneCodeHash: string, now = Date.now()): IssuedCode {
    const current = this.current(phone, phoneCodeHash);
    const issued = this.issue(phone, now);
    issued.phoneCodeHash = current.phoneCodeHash;
    return issued;
  }

  /**
   * Withdraws the phone's code (auth.cancelCode).
   * @returns false when `phoneCodeHash` is not the phone's current code.
   */
  cancel(phone: string, phoneCodeHash: string): boolean {
    const issued = this.byPhone.get(phone);
    if (!issued || issued.phoneCodeHash !== phoneCodeHash) return false;
    this.byPhone.delete(phone);
    return true;
  }

  /**
   * Checks a typed code and uses it up when it is right.
   * @throws RpcError 400 PHONE_CODE_HASH_EMPTY, PHONE_CODE_EMPTY, PHONE_CODE_EXPIRED (expired, used, replaced
   *   or never issued), PHONE_CODE_INVALID (wrong digits; the code stays valid for another try).
   */
  verify(phone: string, phoneCodeHash: string, code: string, now = Date.now()): void {
    const issued = this.current(phone, phoneCodeHash, now);
    if (code.trim().length === 0) throw new RpcError(400, 'PHONE_CODE_EMPTY', 'no code given');
    if (code.trim() !== issued.code) throw new RpcError(400, 'PHONE_CODE_INVALID', 'wrong code');
    issued.used = true;
  }

  /** The newest code issued for `phone` (digits only), whatever its state, or undefined. */
  last(phone: string): IssuedCode | undefined {
    return this.byPhone.get(phone);
  }

  private current(phone: string, phoneCodeHash: string, now = Date.now()): IssuedCode {
    if (phoneCodeHash.length === 0) throw new RpcError(400, 'PHONE_CODE_HASH_EMPTY', 'no phone_code_hash');
    const issued = this.byPhone.get(phone);
    if (!issued || issued.phoneCodeHash !== phoneCodeHash) {
      throw new RpcError(400, 'PHONE_CODE_EXPIRED', 'this code was replaced or never sent; send a new one');
    }
    if (issued.used) throw new RpcError(400, 'PHONE_CODE_EXPIRED', 'this code was already used');
    if (now >= issued.expiresAt) throw new RpcError(400, 'PHONE_CODE_EXPIRED', 'the code expired');
    return issued;
  }
}
