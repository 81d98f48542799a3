/**
 * Routes API calls to method handlers. Unknown or unimplemented methods answer
 * `400 METHOD_NOT_IMPLEMENTED_SANDBOX` (never silence, never a hang); calls that need an account on a key
 * that is not logged in answer `401 AUTH_KEY_UNREGISTERED`; injected faults win over everything.
 */
import type { Authorizations } from '../auth/authorizations.js';
import { RpcError } from '../mtproto/rpcError.js';
import type { RpcCall, RpcDispatcher } from '../mtproto/session.js';
import { tlBool, tlVector } from '../mtproto/tlWire.js';
import type { AccountWorlds } from '../accounts.js';
import { StoreError } from '../state/store.js';
import type { MethodHandler, RpcAnswer, RpcContext, SandboxAddress } from './context.js';
import type { FaultPlan } from './faults.js';
import type { RpcCounter } from './rpcCounter.js';

/** Serialises a handler's answer. */
export function serializeAnswer(answer: RpcAnswer): Buffer {
  if (typeof answer === 'boolean') return tlBool(answer);
  if (Array.isArray(answer)) return tlVector(answer.map((x) => x.getBytes()));
  return answer.getBytes();
}

/** The sandbox's RPC dispatcher. */
export class MethodRouter implements RpcDispatcher {
  private readonly handlers = new Map<number, MethodHandler>();

  constructor(
    handlers: MethodHandler[],
    private readonly deps: {
      /** Every account's store and feed; a call uses its caller's. */
      worlds: AccountWorlds;
      faults: FaultPlan;
      address: SandboxAddress;
      auth: Authorizations;
      /** Counts every dispatched call by method (the control API's `rpcCounts`). */
      counter?: RpcCounter;
    },
  ) {
    for (const h of handlers) this.handlers.set(h.constructorId, h);
  }

  async dispatch(call: RpcCall): Promise<Buffer> {
    this.deps.counter?.record(call.request.className);
    const delay = this.deps.faults.takeDelay(call.request.className);
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    const fault = this.deps.faults.take(call.request.className);
    if (fault) throw fault;
    const handler = this.handlers.get(call.request.CONSTRUCTOR_ID);
    if (!handler)
      throw new RpcError(
        400,
        'METHOD_NOT_IMPLEMENTED_SANDBOX',
        `${call.request.className} is not implemented`,
      );
    const userId = call.authKey.userId;
    if (handler.authRequired && userId === undefined) {
      throw new RpcError(401, 'AUTH_KEY_UNREGISTERED', `${call.request.className} needs a logged-in account`);
    }
    const world = this.deps.worlds.for(userId);
    const ctx: RpcContext = {
      store: world.store,
      storeOf: (id) => this.deps.worlds.for(id).store,
      userId,
      session: call.session,
      feed: world.feed,
      address: this.deps.address,
      auth: this.deps.auth,
    };
    try {
      return serializeAnswer(await handler.handle(call.request, ctx));
    } catch (err) {
      if (err instanceof StoreError) throw new RpcError(err.code, err.rpcMessage, err.message);
      throw err;
    }
  }
}
