/**
 * RPC errors as MTProto carries them: `rpc_error#2144ca19 error_code:int error_message:string`.
 * gramjs turns them into its `RPCError` subclasses (400 BadRequestError, 420 FloodWaitError with `seconds`…).
 */
import { Api } from 'telegram';

/** An error answer to one RPC call. `errorMessage` is Telegram's identifier, e.g. `PEER_ID_INVALID`, `FLOOD_WAIT_5`. */
export class RpcError extends Error {
  constructor(
    readonly code: number,
    readonly errorMessage: string,
    detail?: string,
  ) {
    super(detail ? `${code} ${errorMessage}: ${detail}` : `${code} ${errorMessage}`);
    this.name = 'RpcError';
  }

  /** The serialised `rpc_error`. */
  toBytes(): Buffer {
    return new Api.RpcError({ errorCode: this.code, errorMessage: this.errorMessage }).getBytes();
  }

  /**
   * The error code Telegram uses for an error message: 420 for FLOOD_WAIT_X, 303 for *_MIGRATE_X, 401 for
   * auth errors, 500 for internal ones, 400 otherwise.
   */
  static codeFor(errorMessage: string): number {
    if (/^(FLOOD_WAIT|FLOOD_PREMIUM_WAIT|SLOWMODE_WAIT)_\d+$/.test(errorMessage)) return 420;
    if (/_MIGRATE_\d+$/.test(errorMessage)) return 303;
    if (
      /^(AUTH_KEY_UNREGISTERED|AUTH_KEY_INVALID|USER_DEACTIVATED|SESSION_REVOKED|SESSION_EXPIRED|SESSION_PASSWORD_NEEDED)$/.test(
        errorMessage,
      )
    ) {
      return 401;
    }
    if (
      /^(CHAT_WRITE_FORBIDDEN|USER_PRIVACY_RESTRICTED|MESSAGE_AUTHOR_REQUIRED|CHAT_ADMIN_REQUIRED)$/.test(
        errorMessage,
      )
    )
      return 403;
    if (/^(INTERNAL|RPC_CALL_FAIL|RPC_MCGET_FAIL)/.test(errorMessage)) return 500;
    return 400;
  }
}
