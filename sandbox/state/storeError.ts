/** The error store operations throw; the RPC layer answers it as an rpc_error. */

/** Thrown for a request that names something the account cannot see or do; `rpcMessage` is Telegram's error. */
export class StoreError extends Error {
  constructor(
    readonly code: number,
    readonly rpcMessage: string,
    detail: string,
  ) {
    super(`${rpcMessage}: ${detail}`);
    this.name = 'StoreError';
  }
}
