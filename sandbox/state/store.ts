/**
 * The sandbox's world state: the account, the users and basic groups it knows, its message box and dialogs.
 *
 * One account per sandbox. Like Telegram's private/basic-group message box, message ids are per account and
 * sequential across all dialogs (1, 2, 3, … oldest first), and every change to the box (new, edited, read,
 * deleted) advances the account's `pts` by the number of affected messages. Dates are unix seconds.
 */
import { createHash } from 'node:crypto';
import type { ParsedFixture } from '../fixture.js';
import { type PeerKey, parsePeerKey } from './peers.js';

/** A Telegram user as the account sees it (the account itself has `self: true`). */
export interface UserRecord {
  id: number;
  /** Per-user access hash the account must present in InputPeerUser / InputUser (signed 64-bit). */
  accessHash: bigint;
  firstName: string;
  lastName?: string;
  username?: string;
  phone?: string;
  contact: boolean;
  bot: boolean;
  self: boolean;
}

/** A basic group. `date`: creation time (unix s); `version` grows with membership changes. */
export interface ChatRecord {
  id: number;
  title: string;
  creatorId: number;
  memberIds: number[];
  date: number;
  version: number;
}

/** Where a message came from: the seeded fixture, an MTProto call by the account, or the control API. */
export type MessageSource = 'fixture' | 'mtproto' | 'control';

/** A message in the account's message box. `out`: sent by the account. Dates in unix seconds. */
export interface MessageRecord {
  id: number;
  peer: PeerKey;
  fromId: number;
  out: boolean;
  text: string;
  date: number;
  replyTo?: number;
  editDate?: number;
  source: MessageSource;
}

/** Read state of a dialog: the highest incoming message id the account read, and the highest outgoing one the peer read. */
export interface DialogRecord {
  peer: PeerKey;
  readInboxMaxId: number;
  readOutboxMaxId: number;
  pinned: boolean;
}

/** A change to the message box: the message ids touched, and the account's pts after the change. */
export interface BoxChange {
  pts: number;
  ptsCount: number;
}

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

/** Deterministic access hash for a user id, so the same fixture gives the same hashes run to run. */
function accessHashFor(id: number): bigint {
  return createHash('sha256').update(`sandbox-access-hash:${id}`).digest().readBigInt64LE(0);
}

/** The account's world. Build one from a parsed fixture; `now` (ms since epoch) anchors the fixture's `minutesAgo`. */
export class SandboxStore {
  readonly account: UserRecord;
  private readonly users = new Map<number, UserRecord>();
  private readonly chats = new Map<number, ChatRecord>();
  private readonly messages = new Map<number, MessageRecord>();
  private readonly byPeer = new Map<PeerKey, MessageRecord[]>();
  private readonly dialogs = new Map<PeerKey, DialogRecord>();
  private readonly randomIds = new Map<string, number>();
  private readonly sentLog: MessageRecord[] = [];
  private lastId = 0;
  private lastDate = 0;
  private ptsValue = 1;

  constructor(fixture: ParsedFixture, now: number = Date.now()) {
    const nowS = Math.floor(now / 1000);
    const a = fixture.account;
    this.account = {
      id: a.id,
      accessHash: accessHashFor(a.id),
      firstName: a.firstName,
      phone: a.phone,
      contact: false,
      bot: false,
      self: true,
      ...(a.lastName ? { lastName: a.lastName } : {}),
      ...(a.username ? { username: a.username } : {}),
    };
    this.users.set(a.id, this.account);
    for (const u of fixture.users) {
      this.users.set(u.id, {
        id: u.id,
        accessHash: accessHashFor(u.id),
        firstName: u.firstName,
        contact: u.contact,
        bot: u.bot,
        self: false,
        ...(u.lastName ? { lastName: u.lastName } : {}),
        ...(u.username ? { username: u.username } : {}),
        ...(u.phone ? { phone: u.phone } : {}),
      });
    }
    for (const c of fixture.chats) {
      this.chats.set(c.id, {
        id: c.id,
        title: c.title,
        creatorId: c.creatorId,
        memberIds: [...new Set(c.memberIds)],
        date: nowS - Math.round(c.createdMinutesAgo * 60),
        version: 1,
      });
    }
    this.seedMessages(fixture, nowS);
  }

  /** Gives fixture messages ids oldest first across all dialogs, then derives each dialog's read state. */
  private seedMessages(fixture: ParsedFixture, nowS: number): void {
    type Pending = { dialog: number; index: number; date: number };
    const pending: Pending[] = [];
    fixture.dialogs.forEach((d, i) => {
      d.messages.forEach((m, j) => {
        pending.push({ dialog: i, index: j, date: nowS - Math.round(m.minutesAgo * 60) });
      });
    });
    pending.sort((x, y) => x.date - y.date || x.dialog - y.dialog || x.index - y.index);
    const ids = new Map<string, number>();
    for (const p of pending) ids.set(`${p.dialog}:${p.index}`, ++this.lastId);

    for (const p of pending) {
      const d = fixture.dialogs[p.dialog]!;
      const m = d.messages[p.index]!;
      const peer = d.peer as PeerKey;
      let replyTo: number | undefined;
      if (m.replyTo !== undefined) {
        const target = d.messages.findIndex((x) => x.key === m.replyTo);
        replyTo = ids.get(`${p.dialog}:${target}`);
      }
      this.insert({
        id: ids.get(`${p.dialog}:${p.index}`)!,
        peer,
        fromId: m.from,
        out: m.from === this.account.id,
        text: m.text,
        date: p.date,
        source: 'fixture',
        ...(replyTo !== undefined ? { replyTo } : {}),
      });
    }
    this.lastDate = pending.length ? pending[pending.length - 1]!.date : 0;
    this.ptsValue = this.lastId + 1;

    for (const d of fixture.dialogs) {
      const peer = d.peer as PeerKey;
      const list = this.byPeer.get(peer) ?? [];
      const incoming = list.filter((m) => !m.out);
      const firstUnread = d.unreadCount > 0 ? incoming[incoming.length - d.unreadCount] : undefined;
      const outgoing = list.filter((m) => m.out);
      this.dialogs.set(peer, {
        peer,
        readInboxMaxId: firstUnread ? firstUnread.id - 1 : (incoming[incoming.length - 1]?.id ?? 0),
        readOutboxMaxId: outgoing[outgoing.length - 1]?.id ?? 0,
        pinned: d.pinned,
      });
    }
  }

  private insert(m: MessageRecord): void {
    this.messages.set(m.id, m);
    let list = this.byPeer.get(m.peer);
    if (!list) {
      list = [];
      this.byPeer.set(m.peer, list);
    }
    list.push(m);
  }

  /** The account's current pts (grows by one per message touched). */
  get pts(): number {
    return this.ptsValue;
  }

  /** A user by id (including the account), or undefined. */
  user(id: number): UserRecord | undefined {
    return this.users.get(id);
  }

  /** Every user other than the account, in fixture order. */
  otherUsers(): UserRecord[] {
    return [...this.users.values()].filter((u) => !u.self);
  }

  /** A basic group by id, or undefined. */
  chat(id: number): ChatRecord | undefined {
    return this.chats.get(id);
  }

  /** A basic group the account is a member of, or undefined (unknown, or the account is not in it). */
  memberChat(id: number): ChatRecord | undefined {
    const c = this.chats.get(id);
    return c?.memberIds.includes(this.account.id) ? c : undefined;
  }

  /** Every basic group, in fixture order. */
  allChats(): ChatRecord[] {
    return [...this.chats.values()];
  }

  /** The user with this username (case-insensitive, without `@`), or undefined. */
  userByUsername(username: string): UserRecord | undefined {
    const lower = username.replace(/^@/, '').toLowerCase();
    for (const u of this.users.values()) if (u.username?.toLowerCase() === lower) return u;
    return undefined;
  }

  /** A message of the account's box by id, or undefined (deleted or never existed). */
  message(id: number): MessageRecord | undefined {
    return this.messages.get(id);
  }

  /**
   * Checks that the account can see `peer`: a known user, or a basic group it is a member of.
   * @throws StoreError PEER_ID_INVALID otherwise.
   */
  assertPeer(peer: PeerKey): void {
    const ref = parsePeerKey(peer);
    if (ref.kind === 'user' ? this.users.has(ref.id) : this.memberChat(ref.id)) return;
    throw new StoreError(400, 'PEER_ID_INVALID', `the account cannot see ${peer}`);
  }

  /** Full history of a dialog, oldest first (empty for a peer without messages). */
  history(peer: PeerKey): MessageRecord[] {
    return [...(this.byPeer.get(peer) ?? [])];
  }

  /** The newest message of a dialog, or undefined. */
  topMessage(peer: PeerKey): MessageRecord | undefined {
    const list = this.byPeer.get(peer);
    return list?.[list.length - 1];
  }

  /** Read state of a dialog, created on first use. */
  dialog(peer: PeerKey): DialogRecord {
    let d = this.dialogs.get(peer);
    if (!d) {
      d = { peer, readInboxMaxId: 0, readOutboxMaxId: 0, pinned: false };
      this.dialogs.set(peer, d);
    }
    return d;
  }

  /** Dialogs that have at least one message, newest top message first (pinned first when `pinnedFirst`). */
  dialogList(pinnedFirst: boolean): DialogRecord[] {
    const withTop = [...this.byPeer.entries()]
      .filter(([, list]) => list.length > 0)
      .map(([peer, list]) => ({ d: this.dialog(peer), top: list[list.length - 1]!.id }));
    withTop.sort((x, y) => {
      if (pinnedFirst && x.d.pinned !== y.d.pinned) return x.d.pinned ? -1 : 1;
      return y.top - x.top;
    });
    return withTop.map((x) => x.d);
  }

  /** Incoming messages of a dialog the account has not read. */
  unreadCount(peer: PeerKey): number {
    const d = this.dialog(peer);
    return (this.byPeer.get(peer) ?? []).filter((m) => !m.out && m.id > d.readInboxMaxId).length;
  }

  /** Unread incoming messages across all dialogs. */
  totalUnread(): number {
    let n = 0;
    for (const peer of this.byPeer.keys()) n += this.unreadCount(peer);
    return n;
  }

  /** The message id a random_id was already used for (sendMessage dedupe), or undefined. */
  messageForRandomId(randomId: string): MessageRecord | undefined {
    const id = this.randomIds.get(randomId);
    return id === undefined ? undefined : this.messages.get(id);
  }

  /**
   * Appends a message to a dialog: the next message id, date now (never earlier than the newest message).
   * Outgoing messages mark the dialog read up to themselves (Telegram clients read a chat when you write in it).
   * @throws StoreError PEER_ID_INVALID when the account cannot see `peer`; USER_NOT_PARTICIPANT when the sender
   *   is not in the group; REPLY_MESSAGE_ID_INVALID when `replyTo` is not a message of this dialog.
   */
  appendMessage(input: {
    peer: PeerKey;
    fromId: number;
    text: string;
    source: MessageSource;
    replyTo?: number;
    randomId?: string;
  }): { message: MessageRecord; change: BoxChange } {
    this.assertPeer(input.peer);
    const ref = parsePeerKey(input.peer);
    if (ref.kind === 'chat' && !this.chats.get(ref.id)!.memberIds.includes(input.fromId)) {
      throw new StoreError(400, 'USER_NOT_PARTICIPANT', `user ${input.fromId} is not in chat ${ref.id}`);
    }
    if (ref.kind === 'user' && input.fromId !== this.account.id && input.fromId !== ref.id) {
      throw new StoreError(400, 'PEER_ID_INVALID', `user ${input.fromId} cannot write in ${input.peer}`);
    }
    if (input.replyTo !== undefined && this.messages.get(input.replyTo)?.peer !== input.peer) {
      throw new StoreError(
        400,
        'REPLY_MESSAGE_ID_INVALID',
        `message ${input.replyTo} is not in ${input.peer}`,
      );
    }
    const date = Math.max(Math.floor(Date.now() / 1000), this.lastDate);
    this.lastDate = date;
    const out = input.fromId === this.account.id;
    const message: MessageRecord = {
      id: ++this.lastId,
      peer: input.peer,
      fromId: input.fromId,
      out,
      text: input.text,
      date,
      source: input.source,
      ...(input.replyTo !== undefined ? { replyTo: input.replyTo } : {}),
    };
    this.insert(message);
    if (input.randomId !== undefined) this.randomIds.set(input.randomId, message.id);
    if (out) {
      this.dialog(input.peer).readInboxMaxId = Math.max(this.dialog(input.peer).readInboxMaxId, message.id);
      if (input.source === 'mtproto') this.sentLog.push({ ...message });
    }
    return { message, change: this.advance(1) };
  }

  /**
   * Marks incoming messages of `peer` read up to `maxId` (0 = everything). Never moves the mark backwards.
   * @returns the box change (ptsCount 0 when nothing changed) and the new read mark.
   * @throws StoreError PEER_ID_INVALID when the account cannot see `peer`.
   */
  readHistory(
    peer: PeerKey,
    maxId: number,
  ): { change: BoxChange; readInboxMaxId: number; stillUnread: number } {
    this.assertPeer(peer);
    const d = this.dialog(peer);
    const top = this.topMessage(peer)?.id ?? 0;
    const target = Math.min(maxId > 0 ? maxId : top, top);
    if (target <= d.readInboxMaxId) {
      return {
        change: { pts: this.ptsValue, ptsCount: 0 },
        readInboxMaxId: d.readInboxMaxId,
        stillUnread: this.unreadCount(peer),
      };
    }
    d.readInboxMaxId = target;
    return { change: this.advance(1), readInboxMaxId: target, stillUnread: this.unreadCount(peer) };
  }

  /**
   * Replaces the text of one of the account's own messages and stamps `editDate` (unix s).
   * @throws StoreError MESSAGE_ID_INVALID (no such message in `peer`), MESSAGE_AUTHOR_REQUIRED (not the
   *   account's), MESSAGE_NOT_MODIFIED (same text), MESSAGE_EMPTY.
   */
  editMessage(peer: PeerKey, id: number, text: string): { message: MessageRecord; change: BoxChange } {
    this.assertPeer(peer);
    const m = this.messages.get(id);
    if (!m || m.peer !== peer) throw new StoreError(400, 'MESSAGE_ID_INVALID', `no message ${id} in ${peer}`);
    if (!m.out)
      throw new StoreError(403, 'MESSAGE_AUTHOR_REQUIRED', `message ${id} was not sent by the account`);
    if (text.length === 0) throw new StoreError(400, 'MESSAGE_EMPTY', 'the new text is empty');
    if (text === m.text)
      throw new StoreError(400, 'MESSAGE_NOT_MODIFIED', `message ${id} already has this text`);
    m.text = text;
    m.editDate = Math.max(Math.floor(Date.now() / 1000), m.date);
    return { message: m, change: this.advance(1) };
  }

  /**
   * Deletes messages of the account's box by id; ids that do not exist are skipped (as Telegram does).
   * @returns the ids actually deleted and the box change.
   */
  deleteMessages(ids: number[]): { deleted: number[]; change: BoxChange } {
    const deleted: number[] = [];
    for (const id of new Set(ids)) {
      const m = this.messages.get(id);
      if (!m) continue;
      this.messages.delete(id);
      const list = this.byPeer.get(m.peer)!;
      list.splice(list.indexOf(m), 1);
      deleted.push(id);
    }
    return {
      deleted,
      change: deleted.length ? this.advance(deleted.length) : { pts: this.ptsValue, ptsCount: 0 },
    };
  }

  /** Messages the account sent through MTProto as they were sent, oldest first (later edits and deletes do not change this log). */
  sentMessages(): MessageRecord[] {
    return [...this.sentLog];
  }

  private advance(count: number): BoxChange {
    this.ptsValue += count;
    return { pts: this.ptsValue, ptsCount: count };
  }
}
