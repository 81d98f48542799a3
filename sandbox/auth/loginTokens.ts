/**
 * QR login tokens (https://core.telegram.org/api/qr-login): auth.exportLoginToken gives the waiting device a
 * token (shown as `tg://login?token=<base64url>`), an already logged-in device accepts it with
 * auth.acceptLoginToken, the waiting device hears updateLoginToken and calls auth.exportLoginToken again to be
 * logged in. Tokens expire (Telegram: 30 s); each export gives a new one.
 */
import { randomBytes } from 'node:crypto';
import { RpcError } from '../mtproto/rpcError.js';

/** A token handed to a waiting auth key. Times in ms since epoch. */
export interface LoginToken {
  token: Buffer;
  /** auth_key_id of the device waiting to be logged in. */
  keyId: bigint;
  expiresAt: number;
  /** The account that accepted it, once accepted. */
  acceptedBy?: number;
}

/** Open login tokens. */
export class LoginTokens {
  private readonly byToken = new Map<string, LoginToken>();

  /** @param ttlMs how long a token can be accepted (ms). */
  constructor(private readonly ttlMs: number) {}

  /** A new token for the auth key `keyId` (earlier ones stay valid until they expire). */
  issue(keyId: bigint, now = Date.now()): LoginToken {
    this.prune(now);
    const token: LoginToken = { token: randomBytes(32), keyId, expiresAt: now + this.ttlMs };
    this.byToken.set(token.token.toString('hex'), token);
    return token;
  }

  /**
   * Accepts a token for account `userId`.
   * @returns the accepted token (its `keyId` is the device to notify).
   * @throws RpcError 400 AUTH_TOKEN_INVALID (unknown), AUTH_TOKEN_EXPIRED, AUTH_TOKEN_ALREADY_ACCEPTED.
   */
  accept(token: Buffer, userId: number, now = Date.now()): LoginToken {
    const found = this.byToken.get(token.toString('hex'));
    if (!found) throw new RpcError(400, 'AUTH_TOKEN_INVALID', 'unknown login token');
    if (found.acceptedBy !== undefined) throw new RpcError(400, 'AUTH_TOKEN_ALREADY_ACCEPTED');
    if (now >= found.expiresAt) throw new RpcError(400, 'AUTH_TOKEN_EXPIRED', 'the QR code expired');
    found.acceptedBy = userId;
    return found;
  }

  /** Takes the accepted token of `keyId`, if one is waiting: the account that accepted it. */
  takeAccepted(keyId: bigint): number | undefined {
    for (const [k, t] of this.byToken) {
      if (t.keyId === keyId && t.acceptedBy !== undefined) {
        this.byToken.delete(k);
        return t.acceptedBy;
      }
    }
    return undefined;
  }

  /** Drops tokens that expired unaccepted more than a minute ago (they only serve AUTH_TOKEN_EXPIRED). */
  private prune(now: number): void {
    for (const [k, t] of this.byToken) {
      if (t.acceptedBy === undefined && now - t.expiresAt > 60_000) this.byToken.delete(k);
    }
  }
}
