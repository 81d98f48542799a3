/**
 * The control API tests and the demo drive the sandbox with: who is in the world, messages arriving from other
 * users (pushed live to the account's sessions), what the account sent, and injected faults.
 */
import type { AccountWorlds } from './accounts.js';
import type { Authorizations } from './auth/authorizations.js';
import { normalizePhone } from './auth/phoneCodes.js';
import { createMessageControl, type MessageControl } from './controlMessages.js';
import type { FaultPlan } from './rpc/faults.js';
import { RpcCounter } from './rpc/rpcCounter.js';
import type { UserRecord } from './state/store.js';

/** The seeded account. */
export interface SandboxAccount {
  id: number;
  phone: string;
  firstName: string;
  lastName?: string;
  username?: string;
}

/** A user of the fixture (not the account). */
export interface SandboxUser {
  id: number;
  firstName: string;
  lastName?: string;
  username?: string;
  phone?: string;
}

/** A basic group of the fixture. */
export interface SandboxChat {
  id: number;
  title: string;
  memberIds: number[];
}

export type {
  InjectedMedia,
  MediaSummary,
  MessageControl,
  ReactionSummary,
  ReadState,
  SandboxChannel,
  SandboxDeletion,
  SandboxMedia,
  SentMessage,
  StoredMessage,
} from './controlMessages.js';

/**
 * A logged-in session of the account (what account.getAuthorizations lists). `hash`: the authorization's id as
 * a decimal string (signed 64-bit); times in unix seconds; device and app from the client's initConnection
 * ('' until the client connected).
 */
export interface SandboxSession {
  hash: string;
  deviceModel: string;
  systemVersion: string;
  appVersion: string;
  apiId: number;
  ip: string;
  createdAt: number;
  activeAt: number;
}

/**
 * Another account's side of the control API ({@link SandboxControl.forAccount}): the same message methods, acting
 * in that account's view (its dialogs, ids, read state, sent log), plus who it is and its sessions.
 */
export interface AccountControl extends MessageControl {
  /** The account. */
  account(): SandboxAccount;
  /** Its logged-in sessions, oldest login first. */
  sessions(): SandboxSession[];
}

/**
 * Controls a running sandbox. The message side (channels, injecting messages, history, reactions, pins, media,
 * read receipts) is {@link MessageControl}.
 */
export interface SandboxControl extends MessageControl {
  /** The seeded account. */
  account(): SandboxAccount;
  /** Users of the fixture other than the account (ids, names, usernames), in fixture order. */
  users(): SandboxUser[];
  /** Basic groups of the fixture. */
  chats(): SandboxChat[];
  /**
   * Makes the next `times` (default 1) calls of `method` fail with RPC error `error`, e.g.
   * `failNext('messages.sendMessage', 'FLOOD_WAIT_5')`. `method` is the TL or gramjs name, any case.
   * @throws Error for a malformed error identifier or times < 1.
   */
  failNext(method: string, error: string, times?: number): void;
  /**
   * Makes the next `times` (default 1) calls of `method` wait `ms` milliseconds before they are answered, e.g.
   * `delayNext('messages.getHistory', 2000)`. The delayed call holds up later calls on its connection.
   * @throws Error for a negative delay or times < 1.
   */
  delayNext(method: string, ms: number, times?: number): void;
  /**
   * Closes every client connection, as a network drop would; the listener stays up and clients reconnect with
   * their auth keys. @returns how many connections were closed.
   */
  dropConnections(): number;
  /**
   * The most MTProto connections one auth key has had open at the same time since start (Telegram answers two
   * clients on one auth key with AUTH_KEY_DUPLICATED; the bridge must never open a second one).
   */
  peakConnectionsPerAuthKey(): number;
  /** Starts a new window for {@link peakConnectionsPerAuthKey} (gramjs opens an extra connection for uploads). */
  resetConnectionPeak(): void;
  /**
   * API calls the sandbox answered since the last {@link resetRpcCounts}, by gramjs method name
   * (e.g. `{"messages.GetHistory": 1}`): how many MTProto requests a tool call cost.
   */
  rpcCounts(): Record<string, number>;
  /** Starts counting API calls afresh. */
  resetRpcCounts(): void;
  /**
   * The newest login code auth.sendCode issued for `phone` (any format: `+1 555…` or digits), whether still valid
   * or not — the sandbox's SMS inbox. Undefined when none was issued.
   * @throws Error when `phone` is not 5–15 digits.
   */
  lastLoginCode(phone: string): string | undefined;
  /**
   * Accepts a QR login token as the account's phone would (auth.acceptLoginToken); the waiting device gets
   * updateLoginToken. `token`: the bytes, or base64url as in `tg://login?token=…`.
   * @throws Error with Telegram's reason: AUTH_TOKEN_INVALID, AUTH_TOKEN_EXPIRED, AUTH_TOKEN_ALREADY_ACCEPTED.
   */
  acceptLoginToken(token: Buffer | string): void;
  /** The logged-in sessions of the main account (or of account `userId`), oldest login first. */
  sessions(userId?: number): SandboxSession[];
  /** Every account that can log in (fixture `account`, then `accounts[]`). */
  accounts(): SandboxAccount[];
  /**
   * The control API of account `userId` (the main account's id gives the main account's view).
   * @throws Error when `userId` is not an account.
   */
  forAccount(userId: number): AccountControl;
  /**
   * Terminates one session (as "Terminate session" in Telegram's settings); its next call answers
   * 401 AUTH_KEY_UNREGISTERED.
   * @throws Error when no session has this hash.
   */
  revokeSession(hash: string): void;
  /** Terminates every session of the account. @returns how many. */
  revokeAllSessions(): number;
}

/** Builds the control API over a store, its updates feed and fault plan. */
export function createControl(
  worlds: AccountWorlds,
  faults: FaultPlan,
  auth: Authorizations,
  connections: { drop(): number; peakPerAuthKey?(): number; resetPeak?(): void } = { drop: () => 0 },
  rpcs: RpcCounter = new RpcCounter(),
): SandboxControl {
  const { store, feed } = worlds.main;
  const accountOf = (a: UserRecord): SandboxAccount => ({
    id: a.id,
    phone: a.phone ?? '',
    firstName: a.firstName,
    ...(a.lastName ? { lastName: a.lastName } : {}),
    ...(a.username ? { username: a.username } : {}),
  });
  const seconds = (ms: number | undefined) => Math.floor((ms ?? 0) / 1000);
  const sessionsOf = (userId?: number): SandboxSession[] =>
    auth.sessions(userId).map((k) => ({
      hash: String(k.authorizationHash ?? 0n),
      deviceModel: k.client?.deviceModel ?? '',
      systemVersion: k.client?.systemVersion ?? '',
      appVersion: k.client?.appVersion ?? '',
      apiId: k.client?.apiId ?? 0,
      ip: k.ip ?? '',
      createdAt: seconds(k.authorizedAt),
      activeAt: seconds(k.activeAt ?? k.authorizedAt),
    }));
  return {
    ...createMessageControl(store, feed),
    account() {
      return accountOf(store.account);
    },
    accounts() {
      return worlds.ids().map((id) => accountOf(worlds.get(id)!.store.account));
    },
    forAccount(userId) {
      const world = worlds.get(userId);
      if (!world) throw new Error(`forAccount: ${userId} is not an account of this sandbox`);
      return {
        ...createMessageControl(world.store, world.feed),
        account: () => accountOf(world.store.account),
        sessions: () => sessionsOf(userId),
      };
    },
    users() {
      return store.otherUsers().map((u) => ({
        id: u.id,
        firstName: u.firstName,
        ...(u.lastName ? { lastName: u.lastName } : {}),
        ...(u.username ? { username: u.username } : {}),
        ...(u.phone ? { phone: u.phone } : {}),
      }));
    },
    chats() {
      return store.allChats().map((c) => ({ id: c.id, title: c.title, memberIds: [...c.memberIds] }));
    },
    failNext(method, error, times = 1) {
      faults.failNext(method, error, times);
    },
    delayNext(method, ms, times = 1) {
      faults.delayNext(method, ms, times);
    },
    dropConnections() {
      return connections.drop();
    },
    peakConnectionsPerAuthKey() {
      return connections.peakPerAuthKey?.() ?? 0;
    },
    resetConnectionPeak() {
      connections.resetPeak?.();
    },
    rpcCounts() {
      return rpcs.snapshot();
    },
    resetRpcCounts() {
      rpcs.reset();
    },
    lastLoginCode(phone) {
      let digits: string;
      try {
        digits = normalizePhone(phone);
      } catch {
        throw new Error(`lastLoginCode: "${phone}" is not a phone number (5–15 digits)`);
      }
      return auth.codes.last(digits)?.code;
    },
    acceptLoginToken(token) {
      const bytes = typeof token === 'string' ? Buffer.from(token, 'base64url') : token;
      try {
        auth.acceptLoginToken(bytes);
      } catch (err) {
        const reason = (err as { errorMessage?: string }).errorMessage ?? (err as Error).message;
        throw new Error(`acceptLoginToken: ${reason}`);
      }
    },
    sessions(userId) {
      return sessionsOf(userId);
    },
    revokeSession(hash) {
      let value: bigint;
      try {
        value = BigInt(hash);
      } catch {
        throw new Error(`revokeSession: "${hash}" is not a session hash (a decimal 64-bit integer)`);
      }
      if (!auth.terminate(value)) throw new Error(`revokeSession: no session has hash ${hash}`);
    },
    revokeAllSessions() {
      return auth.terminateAllExcept();
    },
  };
}
