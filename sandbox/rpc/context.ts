/**
 * What an RPC method handler gets: the store, the caller's account and session, the updates feed, and the
 * address the sandbox listens on (for help.getConfig).
 */
import type { Authorizations } from '../auth/authorizations.js';
import type { ServerSession } from '../mtproto/session.js';
import type { SandboxStore } from '../state/store.js';
import type { UpdatesFeed } from './updatesFeed.js';

/** The sandbox's own address, as help.getConfig reports it. */
export interface SandboxAddress {
  host: string;
  port: number;
  dcId: number;
}

/**
 * Context of one call. `userId` is undefined when the caller's auth key is not logged in. `store` and `feed` are
 * the caller's account's view (the main account's when not logged in).
 */
export interface RpcContext {
  store: SandboxStore;
  /** The view of account `userId` (the main account's for an id that is not an account). */
  storeOf(userId: number): SandboxStore;
  userId: number | undefined;
  session: ServerSession;
  feed: UpdatesFeed;
  address: SandboxAddress;
  /** Login state: phone codes, 2FA, QR tokens, the account's sessions. */
  auth: Authorizations;
}

/** Context of a call that requires a logged-in account. */
export interface AuthorizedContext extends RpcContext {
  userId: number;
}

/** A serialisable answer: one TL object, a vector of them, or a Bool. */
export type RpcAnswer = { getBytes(): Buffer } | Array<{ getBytes(): Buffer }> | boolean;

/** One implemented method, routed by TL constructor id. */
export interface MethodHandler {
  constructorId: number;
  /** False for the few methods an unauthorised key may call (help.*). */
  authRequired: boolean;
  handle(request: unknown, ctx: RpcContext): RpcAnswer | Promise<RpcAnswer>;
}

/** A gramjs request class (`Api.messages.GetDialogs`, …). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- matches TypeScript's own InstanceType constraint.
type RequestClass = (abstract new (...args: any) => object) & { CONSTRUCTOR_ID: number };

/** Declares a handler for a method that needs a logged-in account, typed by the gramjs request class. */
export function method<C extends RequestClass>(
  cls: C,
  handle: (request: InstanceType<C>, ctx: AuthorizedContext) => RpcAnswer | Promise<RpcAnswer>,
): MethodHandler {
  return {
    constructorId: cls.CONSTRUCTOR_ID,
    authRequired: true,
    handle: (request, ctx) => handle(request as InstanceType<C>, ctx as AuthorizedContext),
  };
}

/** Declares a handler for a method any auth key may call (help.getConfig before login, …). */
export function publicMethod<C extends RequestClass>(
  cls: C,
  handle: (request: InstanceType<C>, ctx: RpcContext) => RpcAnswer | Promise<RpcAnswer>,
): MethodHandler {
  return {
    constructorId: cls.CONSTRUCTOR_ID,
    authRequired: false,
    handle: (request, ctx) => handle(request as InstanceType<C>, ctx),
  };
}
