/**
 * The account's authorizations (Telegram's word for logged-in sessions) and the ways an auth key becomes one:
 * phone code (auth.sendCode → auth.signIn), then the 2FA password when the account has one (SRP,
 * account.getPassword → auth.checkPassword), or QR login (auth.exportLoginToken accepted by a logged-in device).
 * Logging out and terminating sessions turn a key back into an unauthorised one: its next account call answers
 * 401 AUTH_KEY_UNREGISTERED, as Telegram does.
 */
import { Api } from 'telegram';
import type { AuthKeyRecord, AuthKeyStore } from '../mtproto/authKeys.js';
import { RpcError } from '../mtproto/rpcError.js';
import { type LoginToken, LoginTokens } from './loginTokens.js';
import { type IssuedCode, normalizePhone, PhoneCodes } from './phoneCodes.js';
import type { SrpChallenge, SrpPassword } from './srp.js';

/** Options of {@link Authorizations}. Durations in ms. */
export interface AuthorizationsOptions {
  keys: AuthKeyStore;
  /** The main account: its user id and phone (digits only). */
  account: { id: number; phone: string };
  /** The main account's 2FA password, when it has one. */
  password?: SrpPassword;
  /** Further accounts that can log in (fixture `accounts[]`), each with its phone and 2FA password. */
  others?: Array<{ id: number; phone: string; password?: SrpPassword }>;
  /** Sends a serialised `Updates` to the connections of one auth key (updateLoginToken). */
  push(authKeyId: bigint, body: Buffer): number;
  /** How long a login code stays valid. */
  loginCodeTtlMs: number;
  /** How long a QR login token can be accepted. */
  loginTokenTtlMs: number;
  /** Called with every login code issued. */
  onLoginCode?: (phone: string, code: string) => void;
}

/** Outcome of auth.exportLoginToken: a token to show, or the login it completed. */
export type LoginTokenState = { kind: 'token'; token: LoginToken } | { kind: 'success'; userId: number };

/** Login state of the sandbox's account across all auth keys. */
export class Authorizations {
  readonly codes: PhoneCodes;
  readonly tokens: LoginTokens;
  /** Keys that passed the code (or QR) step of a 2FA account and wait for the password: key id → user id. */
  private readonly passwordPending = new Map<bigint, number>();

  constructor(private readonly options: AuthorizationsOptions) {
    this.codes = new PhoneCodes(options.loginCodeTtlMs, options.onLoginCode);
    this.tokens = new LoginTokens(options.loginTokenTtlMs);
  }

  /** The main account's 2FA password, if any. */
  get password(): SrpPassword | undefined {
    return this.options.password;
  }

  /** The 2FA password of account `userId`, if it has one. */
  passwordOf(userId: number): SrpPassword | undefined {
    if (userId === this.options.account.id) return this.options.password;
    return this.options.others?.find((a) => a.id === userId)?.password;
  }

  /** The account with this phone (digits only), or undefined. */
  private accountByPhone(digits: string): number | undefined {
    if (digits === this.options.account.phone) return this.options.account.id;
    return this.options.others?.find((a) => a.phone === digits)?.id;
  }

  /**
   * auth.sendCode: issues a code for `phone`. Like Telegram, an unknown number gets a code too (for sign-up);
   * signing in with it then fails.
   * @throws RpcError 400 PHONE_NUMBER_INVALID.
   */
  sendCode(phone: string): IssuedCode {
    return this.codes.issue(normalizePhone(phone));
  }

  /**
   * auth.signIn: checks the code; logs `key` in, or leaves it waiting for the 2FA password.
   * @returns the account's user id.
   * @throws RpcError 400 PHONE_NUMBER_INVALID, PHONE_CODE_* (see {@link PhoneCodes.verify}),
   *   PHONE_NUMBER_UNOCCUPIED (right code, but no account has this number; sign-up is not supported);
   *   401 SESSION_PASSWORD_NEEDED (the account has 2FA: call account.getPassword, then auth.checkPassword).
   */
  signIn(key: AuthKeyRecord, phone: string, phoneCodeHash: string, code: string): number {
    const digits = normalizePhone(phone);
    this.codes.verify(digits, phoneCodeHash, code);
    const userId = this.accountByPhone(digits);
    if (userId === undefined) {
      throw new RpcError(400, 'PHONE_NUMBER_UNOCCUPIED', 'no account has this number (no sign-up here)');
    }
    return this.complete(key, userId);
  }

  /**
   * account.getPassword: the 2FA settings, with a fresh SRP challenge when a password is set.
   * @throws RpcError 401 AUTH_KEY_UNREGISTERED when `key` is neither logged in nor waiting for the password.
   */
  passwordState(key: AuthKeyRecord): { password?: SrpPassword; challenge?: SrpChallenge } {
    const userId = this.passwordPending.get(key.id) ?? key.userId;
    if (userId === undefined) {
      throw new RpcError(401, 'AUTH_KEY_UNREGISTERED', 'log in with a phone code first');
    }
    const password = this.passwordOf(userId);
    return password ? { password, challenge: password.challenge() } : {};
  }

  /**
   * auth.checkPassword: verifies the SRP proof and logs `key` in.
   * @returns the account's user id.
   * @throws RpcError 401 AUTH_KEY_UNREGISTERED (no code step before), 400 PASSWORD_HASH_INVALID (wrong password),
   *   SRP_ID_INVALID (unknown or used srp_id: call account.getPassword again), SRP_PASSWORD_CHANGED (no password).
   */
  checkPassword(key: AuthKeyRecord, srpId: bigint, A: Buffer, M1: Buffer): number {
    const userId = this.passwordPending.get(key.id) ?? key.userId;
    if (userId === undefined) {
      throw new RpcError(401, 'AUTH_KEY_UNREGISTERED', 'log in with a phone code first');
    }
    const password = this.passwordOf(userId);
    if (!password) throw new RpcError(400, 'SRP_PASSWORD_CHANGED', 'the account has no 2FA password');
    const verdict = password.check(srpId, A, M1);
    if (verdict === 'unknown-srp-id') {
      throw new RpcError(400, 'SRP_ID_INVALID', 'call account.getPassword again');
    }
    if (verdict === 'wrong') throw new RpcError(400, 'PASSWORD_HASH_INVALID', 'wrong 2FA password');
    this.passwordPending.delete(key.id);
    this.options.keys.authorize(key.id, userId);
    return userId;
  }

  /**
   * auth.exportLoginToken: a new QR token for `key`, or — once a logged-in device accepted one — the login.
   * @throws RpcError 401 SESSION_PASSWORD_NEEDED when the accepted account has 2FA.
   */
  exportLoginToken(key: AuthKeyRecord): LoginTokenState {
    const acceptedBy = this.tokens.takeAccepted(key.id);
    if (acceptedBy !== undefined) return { kind: 'success', userId: this.complete(key, acceptedBy) };
    return { kind: 'token', token: this.tokens.issue(key.id) };
  }

  /**
   * auth.acceptLoginToken (or the control API acting as the phone): accepts a QR token for the account and
   * pushes updateLoginToken to the waiting device.
   * @returns the waiting device's auth key record, when it is still known.
   * @throws RpcError 400 AUTH_TOKEN_INVALID, AUTH_TOKEN_EXPIRED, AUTH_TOKEN_ALREADY_ACCEPTED.
   */
  acceptLoginToken(token: Buffer, userId: number = this.options.account.id): AuthKeyRecord | undefined {
    const accepted = this.tokens.accept(token, userId);
    const update = new Api.UpdateShort({
      update: new Api.UpdateLoginToken(),
      date: Math.floor(Date.now() / 1000),
    });
    this.options.push(accepted.keyId, update.getBytes());
    return this.options.keys.get(accepted.keyId);
  }

  /** auth.logOut: `key` is no longer logged in. */
  logOut(key: AuthKeyRecord): void {
    this.passwordPending.delete(key.id);
    this.options.keys.unauthorize(key.id);
  }

  /** Keys logged in as account `userId` (default the main account), oldest login first. */
  sessions(userId: number = this.options.account.id): AuthKeyRecord[] {
    return this.options.keys.loggedIn(userId);
  }

  /**
   * Terminates the session with this authorization hash (account.resetAuthorization, control.revokeSession).
   * @returns false when no session of the account has it.
   */
  terminate(hash: bigint, userId?: number): boolean {
    const target = this.sessions(userId).find((k) => k.authorizationHash === hash);
    if (!target) return false;
    this.logOut(target);
    return true;
  }

  /**
   * Terminates every session of the account except `keep` (auth.resetAuthorizations).
   * @returns how many were terminated.
   */
  terminateAllExcept(keep?: AuthKeyRecord, userId?: number): number {
    let n = 0;
    for (const k of this.sessions(userId)) {
      if (k === keep) continue;
      this.logOut(k);
      n++;
    }
    return n;
  }

  /** The code or QR step succeeded for `userId`: log in, or wait for the 2FA password. */
  private complete(key: AuthKeyRecord, userId: number): number {
    if (this.passwordOf(userId)) {
      this.passwordPending.set(key.id, userId);
      throw new RpcError(401, 'SESSION_PASSWORD_NEEDED', 'the account has a 2FA password');
    }
    this.options.keys.authorize(key.id, userId);
    return userId;
  }
}
