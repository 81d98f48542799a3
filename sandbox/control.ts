/**
 * The control API tests and the demo drive the sandbox with: who is in the world, messages arriving from other
 * users (pushed live to the account's sessions), what the account sent, and injected faults.
 */
import type { FaultPlan } from './rpc/faults.js';
import type { UpdatesFeed } from './rpc/updatesFeed.js';
import { chatPeer, parsePeerKey, userPeer } from './state/peers.js';
import type { SandboxStore } from './state/store.js';

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

/** A message the account sent through MTProto. `peer` is `user:<id>` / `chat:<id>`; `date` in unix seconds. */
export interface SentMessage {
  id: number;
  peer: string;
  text: string;
  date: number;
  replyTo?: number;
}

/** A stored message of a dialog; `date` in unix seconds. */
export interface StoredMessage {
  id: number;
  text: string;
  fromId: number;
  date: number;
}

/** Controls a running sandbox. */
export interface SandboxControl {
  /** The seeded account. */
  account(): SandboxAccount;
  /** Users of the fixture other than the account (ids, names, usernames), in fixture order. */
  users(): SandboxUser[];
  /** Basic groups of the fixture. */
  chats(): SandboxChat[];
  /**
   * Delivers a message from `fromUserId` to the account — in the private chat with that user, or in basic group
   * `chatId` — and pushes it to every connected session of the account.
   * @returns the new message id (the account's next message-box id).
   * @throws Error when the user is unknown or the account itself, the chat is unknown, the user is not a member,
   *   the text is empty, or `replyTo` is not a message of that dialog.
   */
  injectIncomingMessage(input: { fromUserId: number; chatId?: number; text: string; replyTo?: number }): {
    id: number;
  };
  /** Every message the account sent through MTProto (not fixture messages), oldest first, as sent. */
  sentMessages(): SentMessage[];
  /**
   * Full history of a dialog as stored now, oldest first (edits applied, deletions gone).
   * @throws Error when `peer` is not `user:<id>` / `chat:<id>`.
   */
  history(peer: string): StoredMessage[];
  /**
   * Unread incoming messages of a dialog (what the Dialog's unread count shows).
   * @throws Error when `peer` is not `user:<id>` / `chat:<id>`.
   */
  unreadCount(peer: string): number;
  /**
   * Makes the next `times` (default 1) calls of `method` fail with RPC error `error`, e.g.
   * `failNext('messages.sendMessage', 'FLOOD_WAIT_5')`. `method` is the TL or gramjs name, any case.
   * @throws Error for a malformed error identifier or times < 1.
   */
  failNext(method: string, error: string, times?: number): void;
}

/** Builds the control API over a store, its updates feed and fault plan. */
export function createControl(store: SandboxStore, feed: UpdatesFeed, faults: FaultPlan): SandboxControl {
  return {
    account() {
      const a = store.account;
      return {
        id: a.id,
        phone: a.phone ?? '',
        firstName: a.firstName,
        ...(a.lastName ? { lastName: a.lastName } : {}),
        ...(a.username ? { username: a.username } : {}),
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
    injectIncomingMessage(input) {
      const from = store.user(input.fromUserId);
      if (!from || from.self)
        throw new Error(`injectIncomingMessage: ${input.fromUserId} is not a fixture user`);
      if (input.text.trim().length === 0) throw new Error('injectIncomingMessage: empty text');
      let peer = userPeer(from.id);
      if (input.chatId !== undefined) {
        if (!store.chat(input.chatId))
          throw new Error(`injectIncomingMessage: no basic group ${input.chatId}`);
        peer = chatPeer(input.chatId);
      }
      const { message, change } = store.appendMessage({
        peer,
        fromId: from.id,
        text: input.text,
        source: 'control',
        ...(input.replyTo !== undefined ? { replyTo: input.replyTo } : {}),
      });
      feed.newMessage(message, change);
      return { id: message.id };
    },
    sentMessages() {
      return store.sentMessages().map((m) => ({
        id: m.id,
        peer: m.peer,
        text: m.text,
        date: m.date,
        ...(m.replyTo !== undefined ? { replyTo: m.replyTo } : {}),
      }));
    },
    history(peer) {
      const ref = parsePeerKey(peer);
      const key = ref.kind === 'user' ? userPeer(ref.id) : chatPeer(ref.id);
      return store.history(key).map((m) => ({ id: m.id, text: m.text, fromId: m.fromId, date: m.date }));
    },
    unreadCount(peer) {
      const ref = parsePeerKey(peer);
      return store.unreadCount(ref.kind === 'user' ? userPeer(ref.id) : chatPeer(ref.id));
    },
    failNext(method, error, times = 1) {
      faults.failNext(method, error, times);
    },
  };
}
