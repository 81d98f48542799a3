/**
 * auth.* methods: logging a device in by phone code (+ 2FA password) or QR code, and out again. Everything but
 * acceptLoginToken and resetAuthorizations is callable by a key that is not logged in (that is what they are
 * for). Errors are Telegram's (https://core.telegram.org/api/auth).
 */
import { Api } from 'telegram';
import { normalizePhone } from '../auth/phoneCodes.js';
import { RpcError } from '../mtproto/rpcError.js';
import { fromTlLong } from '../mtproto/tlWire.js';
import { apiAuthorization } from './account.js';
import { apiUser } from './apiObjects.js';
import { type MethodHandler, method, publicMethod, type RpcContext } from './context.js';

/**
 * The api_id/api_hash pair every login method carries: any non-zero id with a non-empty hash is accepted.
 * @throws 400 API_ID_INVALID otherwise.
 */
function checkApiCredentials(apiId: unknown, apiHash: unknown): void {
  if (typeof apiId !== 'number' || apiId <= 0 || typeof apiHash !== 'string' || apiHash.length === 0) {
    throw new RpcError(400, 'API_ID_INVALID', 'api_id and api_hash are required');
  }
}

/** auth.authorization for account `userId` (after a successful sign-in). */
function accountAuthorization(ctx: RpcContext, userId: number): Api.auth.Authorization {
  return new Api.auth.Authorization({ user: apiUser(ctx.storeOf(userId).account) });
}

/** auth.sentCode for an issued code: delivered "by SMS" (the sandbox's SMS inbox is the control API). */
function sentCode(phoneCodeHash: string, length: number): Api.auth.SentCode {
  return new Api.auth.SentCode({ type: new Api.auth.SentCodeTypeSms({ length }), phoneCodeHash });
}

/**
 * auth.sendCode: issues a 5-digit code (readable with control.lastLoginCode). Unknown numbers get a code too, as
 * on Telegram; signing in with it answers PHONE_NUMBER_UNOCCUPIED.
 * @throws 400 PHONE_NUMBER_INVALID, API_ID_INVALID.
 */
const sendCode = publicMethod(Api.auth.SendCode, (req, ctx) => {
  checkApiCredentials(req.apiId, req.apiHash);
  const issued = ctx.auth.sendCode(req.phoneNumber);
  return sentCode(issued.phoneCodeHash, issued.code.length);
});

/**
 * auth.resendCode: a new code under the same phone_code_hash.
 * @throws 400 PHONE_NUMBER_INVALID, PHONE_CODE_HASH_EMPTY, PHONE_CODE_EXPIRED.
 */
const resendCode = publicMethod(Api.auth.ResendCode, (req, ctx) => {
  const issued = ctx.auth.codes.reissue(normalizePhone(req.phoneNumber), req.phoneCodeHash);
  return sentCode(issued.phoneCodeHash, issued.code.length);
});

/** auth.cancelCode: withdraws the code. @throws 400 PHONE_CODE_EXPIRED when it is not the current one. */
const cancelCode = publicMethod(Api.auth.CancelCode, (req, ctx) => {
  if (!ctx.auth.codes.cancel(normalizePhone(req.phoneNumber), req.phoneCodeHash)) {
    throw new RpcError(400, 'PHONE_CODE_EXPIRED', 'no such code');
  }
  return true;
});

/**
 * auth.signIn: logs the caller's key in with the code.
 * @throws 400 PHONE_CODE_INVALID (wrong code), PHONE_CODE_EXPIRED (expired, used or replaced), PHONE_CODE_EMPTY,
 *   PHONE_CODE_HASH_EMPTY, PHONE_NUMBER_INVALID, PHONE_NUMBER_UNOCCUPIED (no account has the number);
 *   401 SESSION_PASSWORD_NEEDED (2FA: continue with account.getPassword + auth.checkPassword).
 */
const signIn = publicMethod(Api.auth.SignIn, (req, ctx) => {
  if (req.emailVerification) throw new RpcError(400, 'EMAIL_VERIFICATION_NOT_IMPLEMENTED_SANDBOX');
  const userId = ctx.auth.signIn(ctx.session.authKey, req.phoneNumber, req.phoneCodeHash, req.phoneCode ?? '');
  return accountAuthorization(ctx, userId);
});

/** auth.signUp: the sandbox has one seeded account and registers no new ones. */
const signUp = publicMethod(Api.auth.SignUp, () => {
  throw new RpcError(400, 'SIGN_UP_NOT_SUPPORTED_SANDBOX', 'the sandbox serves only its fixture account');
});

/**
 * auth.checkPassword: the 2FA step; verifies the SRP proof (M1) and logs the key in.
 * @throws 400 PASSWORD_HASH_INVALID (wrong password), SRP_ID_INVALID; 401 AUTH_KEY_UNREGISTERED (no code step).
 */
const checkPassword = publicMethod(Api.auth.CheckPassword, (req, ctx) => {
  const proof = req.password;
  if (!(proof instanceof Api.InputCheckPasswordSRP)) {
    throw new RpcError(400, 'PASSWORD_HASH_INVALID', 'an empty password was given');
  }
  const userId = ctx.auth.checkPassword(ctx.session.authKey, fromTlLong(proof.srpId), proof.A, proof.M1);
  return accountAuthorization(ctx, userId);
});

/** auth.logOut: the key stays known but is no longer logged in (next account call: AUTH_KEY_UNREGISTERED). */
const logOut = method(Api.auth.LogOut, (_req, ctx) => {
  ctx.auth.logOut(ctx.session.authKey);
  return new Api.auth.LoggedOut({});
});

/** auth.resetAuthorizations: terminates every other session of the account. */
const resetAuthorizations = method(Api.auth.ResetAuthorizations, (_req, ctx) => {
  ctx.auth.terminateAllExcept(ctx.session.authKey, ctx.userId);
  return true;
});

/**
 * auth.exportLoginToken: a QR login token (`expires` in unix seconds), or auth.loginTokenSuccess once a logged-in
 * device accepted the previous one.
 * @throws 400 API_ID_INVALID; 401 SESSION_PASSWORD_NEEDED when the account has 2FA.
 */
const exportLoginToken = publicMethod(Api.auth.ExportLoginToken, (req, ctx) => {
  checkApiCredentials(req.apiId, req.apiHash);
  const state = ctx.auth.exportLoginToken(ctx.session.authKey);
  if (state.kind === 'success') {
    return new Api.auth.LoginTokenSuccess({ authorization: accountAuthorization(ctx, state.userId) });
  }
  return new Api.auth.LoginToken({
    token: state.token.token,
    expires: Math.ceil(state.token.expiresAt / 1000),
  });
});

/**
 * auth.acceptLoginToken: a logged-in device accepts a QR token; the waiting device gets updateLoginToken.
 * @returns the new session, as account.getAuthorizations would list it.
 * @throws 400 AUTH_TOKEN_INVALID, AUTH_TOKEN_EXPIRED, AUTH_TOKEN_ALREADY_ACCEPTED.
 */
const acceptLoginToken = method(Api.auth.AcceptLoginToken, (req, ctx) => {
  const waiting = ctx.auth.acceptLoginToken(req.token, ctx.userId);
  if (!waiting) throw new RpcError(400, 'AUTH_TOKEN_INVALID', 'the waiting device is gone');
  return apiAuthorization(waiting, false);
});

/** Handlers of the auth namespace. */
export const authMethods: MethodHandler[] = [
  sendCode,
  resendCode,
  cancelCode,
  signIn,
  signUp,
  checkPassword,
  logOut,
  resetAuthorizations,
  exportLoginToken,
  acceptLoginToken,
];
