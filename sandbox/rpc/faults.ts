/**
 * Fault injection for tests: make the next N calls of a method fail with a given RPC error
 * (e.g. `FLOOD_WAIT_5`, which gramjs raises as `FloodWaitError` with `seconds = 5` when
 * `floodSleepThreshold` is below 5).
 */
import { RpcError } from '../mtproto/rpcError.js';

/** Normalises `messages.sendMessage` / `messages.SendMessage` / `SendMessage` spellings for matching. */
function methodKey(method: string): string {
  return method.trim().toLowerCase();
}

/** Pending injected failures and delays, by method. */
export class FaultPlan {
  private readonly pending = new Map<string, { error: string; code: number; left: number }[]>();
  private readonly delays = new Map<string, { ms: number; left: number }[]>();

  /**
   * Queues `times` delays (default 1) of `ms` milliseconds before `method` is answered (the call is then
   * handled normally, or fails if a failure is also queued). A delayed call holds up the calls after it on the
   * same connection, as a slow server would.
   * @throws Error when `ms` is negative or not finite, or `times` is not a positive integer.
   */
  delayNext(method: string, ms: number, times = 1): void {
    if (!Number.isInteger(times) || times < 1) throw new Error(`times must be a positive integer, got ${times}`);
    if (!Number.isFinite(ms) || ms < 0) throw new Error(`delay must be a non-negative number of ms, got ${ms}`);
    const key = methodKey(method);
    const list = this.delays.get(key) ?? [];
    list.push({ ms, left: times });
    this.delays.set(key, list);
  }

  /**
   * Consumes one queued delay for the call with gramjs class name `className`.
   * @returns the delay in ms, or 0.
   */
  takeDelay(className: string): number {
    const key = methodKey(className);
    const short = key.includes('.') ? key.slice(key.lastIndexOf('.') + 1) : key;
    for (const candidate of [key, short]) {
      const list = this.delays.get(candidate);
      const next = list?.[0];
      if (!list || !next) continue;
      next.left--;
      if (next.left === 0) list.shift();
      if (list.length === 0) this.delays.delete(candidate);
      return next.ms;
    }
    return 0;
  }

  /**
   * Queues `times` failures (default 1) of `method` with `error`. The error code follows Telegram's
   * (420 for FLOOD_WAIT_X, 303 for *_MIGRATE_X, 401 auth, 403 forbidden, 500 internal, else 400).
   * @throws Error when `times` is not a positive integer or `error` is not an UPPER_SNAKE identifier.
   */
  failNext(method: string, error: string, times = 1): void {
    if (!Number.isInteger(times) || times < 1)
      throw new Error(`times must be a positive integer, got ${times}`);
    if (!/^[A-Z][A-Z0-9_]*$/.test(error)) throw new Error(`not a Telegram error identifier: "${error}"`);
    const key = methodKey(method);
    const list = this.pending.get(key) ?? [];
    list.push({ error, code: RpcError.codeFor(error), left: times });
    this.pending.set(key, list);
  }

  /** Drops every queued failure and delay. */
  clear(): void {
    this.pending.clear();
    this.delays.clear();
  }

  /**
   * Consumes one queued failure for the call with gramjs class name `className` (e.g. `messages.SendMessage`).
   * @returns the error to answer with, or undefined.
   */
  take(className: string): RpcError | undefined {
    const key = methodKey(className);
    const short = key.includes('.') ? key.slice(key.lastIndexOf('.') + 1) : key;
    for (const candidate of [key, short]) {
      const list = this.pending.get(candidate);
      const next = list?.[0];
      if (!list || !next) continue;
      next.left--;
      if (next.left === 0) list.shift();
      if (list.length === 0) this.pending.delete(candidate);
      return new RpcError(next.code, next.error, 'injected by control.failNext');
    }
    return undefined;
  }
}
