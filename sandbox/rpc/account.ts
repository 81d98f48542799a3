/**
 * account.* methods about access to the account: the 2FA password settings (account.getPassword, also callable
 * by a key that passed the code step and waits for the password) and the list of sessions
 * (account.getAuthorizations / account.resetAuthorization).
 */
import { randomBytes } from 'node:crypto';
import { Api } from 'telegram';
import { SRP_G, SRP_PRIME } from '../auth/srp.js';
import type { AuthKeyRecord } from '../mtproto/authKeys.js';
import { RpcError } from '../mtproto/rpcError.js';
import { fromTlLong, toTlLong } from '../mtproto/tlWire.js';
import { SANDBOX_API_ID } from '../client.js';
import { type MethodHandler, method, publicMethod } from './context.js';

/** Telegram's prime as the 256 big-endian bytes `passwordKdfAlgo…ModPow.p` carries. */
const PRIME_BYTES = Buffer.from(SRP_PRIME.toString(16).padStart(512, '0'), 'hex');

/** Days of inactivity after which Telegram would end a session (what account.getAuthorizations reports). */
const AUTHORIZATION_TTL_DAYS = 180;

/** The algorithm a client must use for a new password: Telegram's, with the server's 8-byte half of salt1. */
function newPasswordAlgo(): Api.PasswordKdfAlgoSHA256SHA256PBKDF2HMACSHA512iter100000SHA256ModPow {
  return new Api.PasswordKdfAlgoSHA256SHA256PBKDF2HMACSHA512iter100000SHA256ModPow({
    salt1: randomBytes(8),
    salt2: randomBytes(16),
    g: SRP_G,
    p: PRIME_BYTES,
  });
}

/**
 * One session as account.getAuthorizations shows it. `current`: the caller's own (hash 0, as Telegram reports
 * it). Device and app come from the client's initConnection; a minted key that never connected shows as such.
 */
export function apiAuthorization(record: AuthKeyRecord, current: boolean): Api.Authorization {
  const seconds = (ms: number | undefined) => Math.floor((ms ?? record.createdAt) / 1000);
  const client = record.client;
  return new Api.Authorization({
    current,
    hash: toTlLong(current ? 0n : (record.authorizationHash ?? 0n)),
    deviceModel: client?.deviceModel || 'Unknown device',
    platform: client?.systemVersion.split(/\s/)[0] ?? '',
    systemVersion: client?.systemVersion ?? '',
    apiId: client?.apiId ?? 0,
    appName: client
      ? client.apiId === SANDBOX_API_ID
        ? 'Sandbox client'
        : `App ${client.apiId}`
      : 'Minted session (not connected yet)',
    appVersion: client?.appVersion ?? '',
    dateCreated: seconds(record.authorizedAt),
    dateActive: seconds(record.activeAt ?? record.authorizedAt),
    ip: record.ip ?? '',
    country: 'Sandbox',
    region: '',
  });
}

/**
 * account.getPassword: whether the account has a 2FA password, and if so the current algo (salts, g, p) with a
 * fresh SRP challenge (srp_B, srp_id) for auth.checkPassword.
 * @throws 401 AUTH_KEY_UNREGISTERED for a key that is neither logged in nor past the code step.
 */
const getPassword = publicMethod(Api.account.GetPassword, (_req, ctx) => {
  const { password, challenge } = ctx.auth.passwordState(ctx.session.authKey);
  const common = {
    newAlgo: newPasswordAlgo(),
    newSecureAlgo: new Api.SecurePasswordKdfAlgoPBKDF2HMACSHA512iter100000({ salt: randomBytes(8) }),
    secureRandom: randomBytes(32),
  };
  if (!password || !challenge) return new Api.account.Password({ hasPassword: false, ...common });
  return new Api.account.Password({
    hasPassword: true,
    hasRecovery: false,
    currentAlgo: new Api.PasswordKdfAlgoSHA256SHA256PBKDF2HMACSHA512iter100000SHA256ModPow({
      salt1: password.salt1,
      salt2: password.salt2,
      g: SRP_G,
      p: PRIME_BYTES,
    }),
    srp_B: challenge.srpB,
    srpId: toTlLong(challenge.srpId),
    ...(password.hint ? { hint: password.hint } : {}),
    ...common,
  });
});

/** account.getAuthorizations: every logged-in session of the account, the caller's flagged `current`. */
const getAuthorizations = method(Api.account.GetAuthorizations, (_req, ctx) => {
  const mine = ctx.session.authKey;
  return new Api.account.Authorizations({
    authorizationTtlDays: AUTHORIZATION_TTL_DAYS,
    authorizations: ctx.auth.sessions(ctx.userId).map((k) => apiAuthorization(k, k === mine)),
  });
});

/**
 * account.resetAuthorization: terminates another session by its hash; its next call answers
 * 401 AUTH_KEY_UNREGISTERED.
 * @throws 400 HASH_INVALID for 0 (the current session: use auth.logOut) or a hash no session has.
 */
const resetAuthorization = method(Api.account.ResetAuthorization, (req, ctx) => {
  const hash = fromTlLong(req.hash);
  if (hash === 0n || !ctx.auth.terminate(hash, ctx.userId)) {
    throw new RpcError(400, 'HASH_INVALID', `no other session has hash ${hash}`);
  }
  return true;
});

/** Handlers of the account namespace (access and sessions). */
export const accountMethods: MethodHandler[] = [getPassword, getAuthorizations, resetAuthorization];
