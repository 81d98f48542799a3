/**
 * The sandbox's world state: the account, the users, basic groups, supergroups and channels it knows, its
 * message boxes and dialogs, media, reactions and pins.
 *
 * One account's view (a sandbox with several accounts has one store per account, kept consistent by
 * `sandbox/accounts.ts` through {@link StoreObserver}). Like Telegram, private chats and basic groups share the account's message box (ids
 * 1, 2, 3, … oldest first across those dialogs, one pts), while each supergroup or channel has its own box with
 * its own ids and pts (see `messageBox.ts`). Every change to a box advances its pts by the number of messages
 * affected and is logged for getDifference. Dates are unix seconds.
 */
import { createHash } from 'node:crypto';
import type { ParsedFixture } from '../fixture.js';
import { fixtureBytes, fixturePdf, fixturePng } from './fixtureMedia.js';
import { type MediaRecord, MediaLibrary } from './media.js';
import { type BoxChange, type BoxEvent, MessageBox } from './messageBox.js';
import { channelPeer, type PeerKey, parsePeerKey, userPeer } from './peers.js';
import { MAX_REACTIONS_PER_USER, standardReaction } from './reactions.js';
import { StoreError } from './storeError.js';
import { UploadStore } from './uploads.js';

export type { BoxChange, BoxEvent } from './messageBox.js';
export { StoreError } from './storeError.js';

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

/**
 * A supergroup (`megagroup`) or broadcast channel. In a broadcast channel only the creator and admins post;
 * their posts show as the channel's. `date`: creation time (unix s).
 */
export interface ChannelRecord {
  id: number;
  /** Access hash the account must present in InputPeerChannel / InputChannel (signed 64-bit). */
  accessHash: bigint;
  title: string;
  username?: string;
  about: string;
  megagroup: boolean;
  creatorId: number;
  adminIds: number[];
  memberIds: number[];
  date: number;
}

/** Where a message came from: the seeded fixture, an MTProto call by the account, or the control API. */
export type MessageSource = 'fixture' | 'mtproto' | 'control';

/** The fwd_from header of a forwarded message. */
export interface ForwardHeader {
  /** The original author: a user, or the channel for a broadcast post. */
  from: PeerKey;
  /** When the original was sent (unix s). */
  date: number;
  /** The original post's id in its channel, for forwarded broadcast posts. */
  channelPost?: number;
  /** Where a message forwarded into Saved Messages came from. */
  savedFrom?: { peer: PeerKey; id: number };
}

/** One user's reaction to a message. `date` in unix seconds. */
export interface ReactionRecord {
  userId: number;
  emoji: string;
  date: number;
}

/**
 * A message in a box. `out`: sent by the account. `post`: a broadcast channel post (`fromId` is then the admin
 * who posted it). `action: 'pin'` makes it a service message ("pinned `replyTo`"). `order` is store-wide insertion
 * order, which breaks ties between equal dates across boxes. Dates in unix seconds.
 */
export interface MessageRecord {
  id: number;
  peer: PeerKey;
  fromId: number;
  out: boolean;
  post: boolean;
  text: string;
  /** Formatting of `text` as the sender gave it (MTProto entities, offsets in UTF-16 units); absent = none. */
  entities?: TextEntityRecord[];
  date: number;
  order: number;
  replyTo?: number;
  editDate?: number;
  media?: MediaRecord;
  fwdFrom?: ForwardHeader;
  /** For a forward: the message it copies (store bookkeeping for the control API; not sent to clients). */
  forwardOf?: { peer: PeerKey; id: number };
  action?: 'pin';
  silent: boolean;
  pinned: boolean;
  reactions: ReactionRecord[];
  source: MessageSource;
}

/**
 * Read state of a dialog: the highest incoming message id the account read, and the highest outgoing one the
 * peer read.
 */
export interface DialogRecord {
  peer: PeerKey;
  readInboxMaxId: number;
  readOutboxMaxId: number;
  pinned: boolean;
}

/** A deletion the account made: which messages, where, and whether for everyone (`revoke`). */
export interface DeletionRecord {
  peer: PeerKey;
  ids: number[];
  revoke: boolean;
  /** Unix seconds. */
  date: number;
}

/**
 * One formatting entity of a stored text: the kind as Telegram names it in snake case (`bold`, `text_url`, …),
 * its span in UTF-16 code units, and the kind's parameters (`url` of a text link, `language` of a pre block,
 * `userId` of a mention by id, `documentId` of a custom emoji).
 */
export interface TextEntityRecord {
  type: string;
  offset: number;
  length: number;
  url?: string;
  language?: string;
  userId?: number;
  documentId?: string;
}

/** What {@link SandboxStore.appendMessage} takes. */
export interface NewMessageInput {
  peer: PeerKey;
  fromId: number;
  text: string;
  entities?: TextEntityRecord[];
  source: MessageSource;
  replyTo?: number;
  randomId?: string;
  media?: MediaRecord;
  fwdFrom?: ForwardHeader;
  forwardOf?: { peer: PeerKey; id: number };
  action?: 'pin';
  silent?: boolean;
}

/**
 * Told about changes other accounts' views must follow (see `sandbox/accounts.ts`): a message appended to a
 * dialog (after its box change is recorded) and the account reading a dialog's incoming messages.
 */
export interface StoreObserver {
  appended(store: SandboxStore, message: MessageRecord): void;
  readInbox(store: SandboxStore, peer: PeerKey, maxId: number): void;
  /** The account edited one of its messages (after the change is recorded). */
  edited(store: SandboxStore, message: MessageRecord): void;
  /** The account deleted messages for everyone (`revoke`) or for itself only. */
  deleted(store: SandboxStore, messages: MessageRecord[], revoke: boolean): void;
  /** Messages were pinned or unpinned (`oneSide`: for this account only). */
  pinned(store: SandboxStore, peer: PeerKey, ids: number[], pinned: boolean, oneSide: boolean): void;
  /** A message's reactions changed. */
  reacted(store: SandboxStore, message: MessageRecord): void;
}

/** Deterministic access hash for an id, so the same fixture gives the same hashes run to run. */
function accessHashFor(kind: string, id: number): bigint {
  const label = kind === 'user' ? `${id}` : `${kind}:${id}`;
  return createHash('sha256').update(`sandbox-access-hash:${label}`).digest().readBigInt64LE(0);
}

/**
 * The account's world. Build one from a parsed fixture; `now` (ms since epoch) anchors the fixture's
 * `minutesAgo`.
 */
export class SandboxStore {
  readonly account: UserRecord;
  /** Photos and documents. */
  readonly media: MediaLibrary;
  /** Set by the sandbox when several accounts share a world (mirrors messages and read receipts). */
  observer: StoreObserver | undefined;
  /** Uploads in progress. */
  readonly uploads = new UploadStore();
  /** The account's box: private chats and basic groups. */
  readonly accountBox = new MessageBox(undefined);
  private readonly users = new Map<number, UserRecord>();
  private readonly chats = new Map<number, ChatRecord>();
  private readonly channels = new Map<number, ChannelRecord>();
  private readonly channelBoxes = new Map<number, MessageBox>();
  /** Messages by box (undefined key = the account's box), then id. */
  private readonly boxMessages = new Map<number | undefined, Map<number, MessageRecord>>();
  private readonly byPeer = new Map<PeerKey, MessageRecord[]>();
  private readonly dialogs = new Map<PeerKey, DialogRecord>();
  private readonly randomIds = new Map<string, { peer: PeerKey; id: number }>();
  private readonly sentLog: MessageRecord[] = [];
  private readonly deletionLog: DeletionRecord[] = [];
  private lastDate = 0;
  private lastOrder = 0;

  /**
   * @param shared.media a media library shared with other accounts' stores (so a forwarded or mirrored message's
   *   file downloads from every account); default a new one.
   */
  constructor(fixture: ParsedFixture, now: number = Date.now(), shared: { media?: MediaLibrary } = {}) {
    this.media = shared.media ?? new MediaLibrary();
    const nowS = Math.floor(now / 1000);
    const a = fixture.account;
    this.account = {
      id: a.id,
      accessHash: accessHashFor('user', a.id),
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
        accessHash: accessHashFor('user', u.id),
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
    this.boxMessages.set(undefined, new Map());
    for (const c of fixture.channels) {
      this.channels.set(c.id, {
        id: c.id,
        accessHash: accessHashFor('channel', c.id),
        title: c.title,
        about: c.about,
        megagroup: c.megagroup,
        creatorId: c.creatorId,
        adminIds: [...new Set(c.adminIds)],
        memberIds: [...new Set(c.memberIds)],
        date: nowS - Math.round(c.createdMinutesAgo * 60),
        ...(c.username ? { username: c.username } : {}),
      });
      this.channelBoxes.set(c.id, new MessageBox(c.id));
      this.boxMessages.set(c.id, new Map());
    }
    this.seedMessages(fixture, nowS);
  }

  /**
   * Gives fixture messages ids oldest first (per box), generates their media, applies reactions and pins, then
   * derives each dialog's read state.
   */
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
    for (const p of pending) {
      ids.set(`${p.dialog}:${p.index}`, this.boxFor(fixture.dialogs[p.dialog]!.peer as PeerKey).nextId());
    }

    for (const p of pending) {
      const d = fixture.dialogs[p.dialog]!;
      const m = d.messages[p.index]!;
      const peer = d.peer as PeerKey;
      let replyTo: number | undefined;
      if (m.replyTo !== undefined) {
        const target = d.messages.findIndex((x) => x.key === m.replyTo);
        replyTo = ids.get(`${p.dialog}:${target}`);
      }
      const id = ids.get(`${p.dialog}:${p.index}`)!;
      const seed = `${peer}:${p.index}`;
      let media: MediaRecord | undefined;
      if (m.media?.kind === 'photo') {
        const { width, height } = m.media;
        const bytes = fixturePng(width, height, seed);
        media = this.media.addPhoto({ bytes, format: 'png', width, height, date: p.date });
      } else if (m.media?.kind === 'document') {
        const { fileName, mimeType, size } = m.media;
        const bytes = mimeType === 'application/pdf' ? fixturePdf(fileName, m.text) : fixtureBytes(size, seed);
        const attributes = [{ kind: 'filename' as const, fileName }];
        media = this.media.addDocument({ bytes, mimeType, attributes, date: p.date });
      }
      const ref = parsePeerKey(peer);
      const channel = ref.kind === 'channel' ? this.channels.get(ref.id) : undefined;
      this.insert({
        id,
        peer,
        fromId: m.from,
        out: m.from === this.account.id,
        post: channel !== undefined && !channel.megagroup,
        text: m.text,
        date: p.date,
        order: ++this.lastOrder,
        silent: false,
        pinned: m.pinned,
        reactions: m.reactions.map((r, k) => ({
          userId: r.from,
          emoji: standardReaction(r.emoji) ?? r.emoji,
          date: Math.min(nowS, p.date + 60 * (k + 1)),
        })),
        source: 'fixture',
        ...(replyTo !== undefined ? { replyTo } : {}),
        ...(media ? { media } : {}),
      });
    }
    this.lastDate = pending.length ? pending[pending.length - 1]!.date : 0;
    this.accountBox.startAt(this.accountBox.lastId + 1);
    for (const box of this.channelBoxes.values()) box.startAt(box.lastId + 1);

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
    this.boxMessages.get(this.boxKey(m.peer))!.set(m.id, m);
    let list = this.byPeer.get(m.peer);
    if (!list) {
      list = [];
      this.byPeer.set(m.peer, list);
    }
    list.push(m);
  }

  private boxKey(peer: PeerKey): number | undefined {
    const ref = parsePeerKey(peer);
    return ref.kind === 'channel' ? ref.id : undefined;
  }

  /** The box a dialog's messages live in: the channel's own, or the account's. */
  boxFor(peer: PeerKey): MessageBox {
    const ref = parsePeerKey(peer);
    if (ref.kind !== 'channel') return this.accountBox;
    const box = this.channelBoxes.get(ref.id);
    if (!box) throw new StoreError(400, 'CHANNEL_INVALID', `no channel ${ref.id}`);
    return box;
  }

  /** A channel's box, or undefined for an unknown channel. */
  channelBox(id: number): MessageBox | undefined {
    return this.channelBoxes.get(id);
  }

  /** The account box's current pts (grows by the number of messages each change touches). */
  get pts(): number {
    return this.accountBox.pts;
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

  /** A supergroup or channel by id, or undefined. */
  channel(id: number): ChannelRecord | undefined {
    return this.channels.get(id);
  }

  /** A supergroup or channel the account is a member of, or undefined. */
  memberChannel(id: number): ChannelRecord | undefined {
    const c = this.channels.get(id);
    return c?.memberIds.includes(this.account.id) ? c : undefined;
  }

  /** Every supergroup and channel, in fixture order. */
  allChannels(): ChannelRecord[] {
    return [...this.channels.values()];
  }

  /** True when `userId` created or administers channel `c`. */
  isChannelAdmin(c: ChannelRecord, userId: number): boolean {
    return c.creatorId === userId || c.adminIds.includes(userId);
  }

  /** The user with this username (case-insensitive, without `@`), or undefined. */
  userByUsername(username: string): UserRecord | undefined {
    const lower = username.replace(/^@/, '').toLowerCase();
    for (const u of this.users.values()) if (u.username?.toLowerCase() === lower) return u;
    return undefined;
  }

  /** The channel with this username (case-insensitive, without `@`), or undefined. */
  channelByUsername(username: string): ChannelRecord | undefined {
    const lower = username.replace(/^@/, '').toLowerCase();
    for (const c of this.channels.values()) if (c.username?.toLowerCase() === lower) return c;
    return undefined;
  }

  /** A message of the account's box (private chats and basic groups) by id, or undefined. */
  message(id: number): MessageRecord | undefined {
    return this.boxMessages.get(undefined)!.get(id);
  }

  /** A message of a dialog by id, or undefined (deleted, never existed, or in another dialog). */
  messageIn(peer: PeerKey, id: number): MessageRecord | undefined {
    const m = this.boxMessages.get(this.boxKey(peer))?.get(id);
    return m?.peer === peer ? m : undefined;
  }

  /**
   * Checks that the account can see `peer`: a known user, or a group or channel it is a member of.
   * @throws StoreError PEER_ID_INVALID (users, basic groups) or CHANNEL_PRIVATE (channels) otherwise.
   */
  assertPeer(peer: PeerKey): void {
    const ref = parsePeerKey(peer);
    if (ref.kind === 'channel') {
      if (this.memberChannel(ref.id)) return;
      throw new StoreError(400, 'CHANNEL_PRIVATE', `the account is not in channel ${ref.id}`);
    }
    if (ref.kind === 'user' ? this.users.has(ref.id) : this.memberChat(ref.id)) return;
    throw new StoreError(400, 'PEER_ID_INVALID', `the account cannot see ${peer}`);
  }

  /** Full history of a dialog, oldest first (empty for a peer without messages). */
  history(peer: PeerKey): MessageRecord[] {
    return [...(this.byPeer.get(peer) ?? [])];
  }

  /** Every dialog's messages (for global search), in no particular order. */
  allMessages(): MessageRecord[] {
    return [...this.byPeer.values()].flat();
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

  /**
   * Dialogs that have at least one message, newest top message first (by date, then arrival); pinned first when
   * `pinnedFirst`.
   */
  dialogList(pinnedFirst: boolean): DialogRecord[] {
    const withTop = [...this.byPeer.entries()]
      .filter(([peer, list]) => list.length > 0 && this.canSee(peer))
      .map(([peer, list]) => ({ d: this.dialog(peer), top: list[list.length - 1]! }));
    withTop.sort((x, y) => {
      if (pinnedFirst && x.d.pinned !== y.d.pinned) return x.d.pinned ? -1 : 1;
      return compareNewestFirst(x.top, y.top);
    });
    return withTop.map((x) => x.d);
  }

  private canSee(peer: PeerKey): boolean {
    try {
      this.assertPeer(peer);
      return true;
    } catch {
      return false;
    }
  }

  /** Incoming messages of a dialog the account has not read. */
  unreadCount(peer: PeerKey): number {
    const d = this.dialog(peer);
    return (this.byPeer.get(peer) ?? []).filter((m) => !m.out && m.id > d.readInboxMaxId).length;
  }

  /** Unread incoming messages across all dialogs. */
  totalUnread(): number {
    let n = 0;
    for (const peer of this.byPeer.keys()) if (this.canSee(peer)) n += this.unreadCount(peer);
    return n;
  }

  /** The message a random_id was already used for (send dedupe), or undefined. */
  messageForRandomId(randomId: string): MessageRecord | undefined {
    const ref = this.randomIds.get(randomId);
    return ref === undefined ? undefined : this.messageIn(ref.peer, ref.id);
  }

  /**
   * Checks that `userId` may write in `peer`.
   * @throws StoreError PEER_ID_INVALID / CHANNEL_PRIVATE when the account cannot see `peer`; USER_NOT_PARTICIPANT
   *   when the sender is not in the group; CHAT_WRITE_FORBIDDEN (403) for a broadcast channel the sender does
   *   not administer.
   */
  assertCanWrite(peer: PeerKey, userId: number): void {
    this.assertPeer(peer);
    const ref = parsePeerKey(peer);
    if (ref.kind === 'chat' && !this.chats.get(ref.id)!.memberIds.includes(userId)) {
      throw new StoreError(400, 'USER_NOT_PARTICIPANT', `user ${userId} is not in chat ${ref.id}`);
    }
    if (ref.kind === 'user' && userId !== this.account.id && userId !== ref.id) {
      throw new StoreError(400, 'PEER_ID_INVALID', `user ${userId} cannot write in ${peer}`);
    }
    if (ref.kind === 'channel') {
      const c = this.channels.get(ref.id)!;
      if (!c.memberIds.includes(userId)) {
        throw new StoreError(400, 'USER_NOT_PARTICIPANT', `user ${userId} is not in channel ${ref.id}`);
      }
      if (!c.megagroup && !this.isChannelAdmin(c, userId)) {
        throw new StoreError(403, 'CHAT_WRITE_FORBIDDEN', `only admins post in channel ${ref.id}`);
      }
    }
  }

  /**
   * Appends a message to a dialog: the box's next message id, date now (never earlier than the newest message).
   * Outgoing messages mark the dialog read up to themselves (Telegram clients read a chat when you write in it).
   * @throws StoreError as {@link assertCanWrite}; REPLY_MESSAGE_ID_INVALID when `replyTo` is not a message of
   *   this dialog.
   */
  appendMessage(input: NewMessageInput): { message: MessageRecord; change: BoxChange } {
    this.assertCanWrite(input.peer, input.fromId);
    if (input.replyTo !== undefined && !this.messageIn(input.peer, input.replyTo)) {
      throw new StoreError(400, 'REPLY_MESSAGE_ID_INVALID', `message ${input.replyTo} is not in ${input.peer}`);
    }
    const box = this.boxFor(input.peer);
    const date = Math.max(Math.floor(Date.now() / 1000), this.lastDate);
    this.lastDate = date;
    const out = input.fromId === this.account.id;
    const ref = parsePeerKey(input.peer);
    const message: MessageRecord = {
      id: box.nextId(),
      peer: input.peer,
      fromId: input.fromId,
      out,
      post: ref.kind === 'channel' && !this.channels.get(ref.id)!.megagroup,
      text: input.text,
      ...(input.entities && input.entities.length > 0 ? { entities: input.entities.map((e) => ({ ...e })) } : {}),
      date,
      order: ++this.lastOrder,
      silent: input.silent ?? false,
      pinned: false,
      reactions: [],
      source: input.source,
      ...(input.replyTo !== undefined ? { replyTo: input.replyTo } : {}),
      ...(input.media ? { media: input.media } : {}),
      ...(input.fwdFrom ? { fwdFrom: input.fwdFrom } : {}),
      ...(input.forwardOf ? { forwardOf: input.forwardOf } : {}),
      ...(input.action ? { action: input.action } : {}),
    };
    this.insert(message);
    if (input.randomId !== undefined) this.randomIds.set(input.randomId, { peer: input.peer, id: message.id });
    if (out) {
      const d = this.dialog(input.peer);
      d.readInboxMaxId = Math.max(d.readInboxMaxId, message.id);
      if (input.source === 'mtproto' && !input.action) this.sentLog.push({ ...message, reactions: [] });
    }
    const change = box.record({ kind: 'new', peer: input.peer, id: message.id }, 1);
    this.observer?.appended(this, message);
    return { message, change };
  }

  /**
   * Marks incoming messages of `peer` read up to `maxId` (0 = everything). Never moves the mark backwards.
   * In the account's box this is a logged change (updateReadHistoryInbox carries pts); in a channel it is the
   * account's own state and leaves the channel's pts alone (updateReadChannelInbox).
   * @returns `change` (pts_count 0 when nothing changed or for channels), the new mark and what is still unread.
   * @throws StoreError PEER_ID_INVALID / CHANNEL_PRIVATE when the account cannot see `peer`.
   */
  readHistory(
    peer: PeerKey,
    maxId: number,
  ): { change: BoxChange; changed: boolean; readInboxMaxId: number; stillUnread: number } {
    this.assertPeer(peer);
    const d = this.dialog(peer);
    const box = this.boxFor(peer);
    const top = this.topMessage(peer)?.id ?? 0;
    const target = Math.min(maxId > 0 ? maxId : top, top);
    const event: BoxEvent = { kind: 'readInbox', peer, maxId: Math.max(target, d.readInboxMaxId) };
    if (target <= d.readInboxMaxId) {
      return {
        change: box.unchanged(event),
        changed: false,
        readInboxMaxId: d.readInboxMaxId,
        stillUnread: this.unreadCount(peer),
      };
    }
    d.readInboxMaxId = target;
    const change = box.channelId === undefined ? box.record(event, 1) : box.unchanged(event);
    this.observer?.readInbox(this, peer, target);
    return { change, changed: true, readInboxMaxId: target, stillUnread: this.unreadCount(peer) };
  }

  /**
   * The other side read the account's messages in `peer` up to `maxId` (0 = all): a read receipt. Logged in the
   * account's box (updateReadHistoryOutbox); for channels it is per-user state (updateReadChannelOutbox).
   * @returns undefined when the mark did not move.
   * @throws StoreError PEER_ID_INVALID / CHANNEL_PRIVATE when the account cannot see `peer`.
   */
  readOutbox(peer: PeerKey, maxId: number): { change: BoxChange; readOutboxMaxId: number } | undefined {
    this.assertPeer(peer);
    const d = this.dialog(peer);
    const box = this.boxFor(peer);
    const outgoing = this.history(peer).filter((m) => m.out);
    const top = outgoing[outgoing.length - 1]?.id ?? 0;
    const target = Math.min(maxId > 0 ? maxId : top, top);
    if (target <= d.readOutboxMaxId) return undefined;
    d.readOutboxMaxId = target;
    const event: BoxEvent = { kind: 'readOutbox', peer, maxId: target };
    const change = box.channelId === undefined ? box.record(event, 1) : box.unchanged(event);
    return { change, readOutboxMaxId: target };
  }

  /**
   * Replaces the text (or caption) of one of the account's own messages and stamps `editDate` (unix s).
   * @throws StoreError MESSAGE_ID_INVALID (no such message in `peer`, or a service message),
   *   MESSAGE_AUTHOR_REQUIRED (not the account's), MESSAGE_NOT_MODIFIED (same text), MESSAGE_EMPTY (no text and
   *   no media).
   */
  editMessage(
    peer: PeerKey,
    id: number,
    text: string,
    entities: TextEntityRecord[] = [],
  ): { message: MessageRecord; change: BoxChange } {
    this.assertPeer(peer);
    const m = this.messageIn(peer, id);
    if (!m || m.action) throw new StoreError(400, 'MESSAGE_ID_INVALID', `no message ${id} in ${peer}`);
    if (!m.out) throw new StoreError(403, 'MESSAGE_AUTHOR_REQUIRED', `message ${id} was not sent by the account`);
    if (text.length === 0 && !m.media) throw new StoreError(400, 'MESSAGE_EMPTY', 'the new text is empty');
    if (text === m.text && JSON.stringify(entities) === JSON.stringify(m.entities ?? [])) {
      throw new StoreError(400, 'MESSAGE_NOT_MODIFIED', `message ${id} already has this text`);
    }
    m.text = text;
    if (entities.length > 0) m.entities = entities.map((e) => ({ ...e }));
    else delete m.entities;
    m.editDate = Math.max(Math.floor(Date.now() / 1000), m.date);
    const change = this.boxFor(peer).record({ kind: 'edit', peer, id }, 1);
    this.observer?.edited(this, m);
    return { message: m, change };
  }

  /**
   * Another account edited a message this account sees a copy of: the copy takes its text and edit date.
   * @returns the box change, or undefined when the copy is gone.
   */
  applyForeignEdit(
    peer: PeerKey,
    id: number,
    text: string,
    editDate: number,
    entities: TextEntityRecord[] = [],
  ): BoxChange | undefined {
    const m = this.messageIn(peer, id);
    if (!m) return undefined;
    m.text = text;
    if (entities.length > 0) m.entities = entities.map((e) => ({ ...e }));
    else delete m.entities;
    m.editDate = editDate;
    return this.boxFor(peer).record({ kind: 'edit', peer, id }, 1);
  }

  /**
   * Another account deleted messages for everyone: this account's copies go too (not logged in
   * {@link deletions}, which lists the account's own deletions).
   * @returns the box change, or undefined when none of the copies existed.
   */
  applyForeignDelete(peer: PeerKey, ids: number[]): BoxChange | undefined {
    const found = ids.map((id) => this.messageIn(peer, id)).filter((m): m is MessageRecord => m !== undefined);
    if (found.length === 0) return undefined;
    return this.remove(this.boxFor(peer), found, true, false).change;
  }

  /**
   * Deletes messages of the account's box by id (messages.deleteMessages); ids that do not exist are skipped, as
   * Telegram does. `revoke` deletes for everyone: allowed for any message of a private chat, and in a basic
   * group for the account's own messages or when the account created the group. Without it the messages
   * disappear for the account only.
   * @returns the ids actually deleted and the box change (pts_count 0 when nothing was deleted).
   * @throws StoreError 403 MESSAGE_DELETE_FORBIDDEN for revoking someone else's message in a group the account
   *   did not create.
   */
  deleteMessages(ids: number[], revoke: boolean): { deleted: number[]; change: BoxChange } {
    const found = [...new Set(ids)].map((id) => this.message(id)).filter((m): m is MessageRecord => m !== undefined);
    if (revoke) {
      for (const m of found) {
        const ref = parsePeerKey(m.peer);
        if (ref.kind === 'chat' && !m.out && this.chats.get(ref.id)!.creatorId !== this.account.id) {
          throw new StoreError(
            403,
            'MESSAGE_DELETE_FORBIDDEN',
            `message ${m.id} is not the account's to delete for everyone`,
          );
        }
      }
    }
    const result = this.remove(this.accountBox, found, revoke);
    this.observer?.deleted(this, found, revoke);
    return result;
  }

  /**
   * Deletes messages of a supergroup or channel (always for everyone): the account's own, or any when it is an
   * admin. Unknown ids are skipped.
   * @throws StoreError CHANNEL_INVALID / CHANNEL_PRIVATE; 403 MESSAGE_DELETE_FORBIDDEN for others' messages
   *   when the account is not an admin.
   */
  deleteChannelMessages(channelId: number, ids: number[]): { deleted: number[]; change: BoxChange } {
    const peer = channelPeer(channelId);
    this.assertPeer(peer);
    const c = this.channels.get(channelId)!;
    const found = [...new Set(ids)]
      .map((id) => this.messageIn(peer, id))
      .filter((m): m is MessageRecord => m !== undefined);
    const admin = this.isChannelAdmin(c, this.account.id);
    const foreign = found.find((m) => !m.out);
    if (foreign && !admin) {
      throw new StoreError(
        403,
        'MESSAGE_DELETE_FORBIDDEN',
        `message ${foreign.id} is not the account's and the account is not an admin`,
      );
    }
    const result = this.remove(this.boxFor(peer), found, true);
    this.observer?.deleted(this, found, true);
    return result;
  }

  private remove(
    box: MessageBox,
    found: MessageRecord[],
    revoke: boolean,
    logged = true,
  ): { deleted: number[]; change: BoxChange } {
    const messages = this.boxMessages.get(box.channelId)!;
    const byDialog = new Map<PeerKey, number[]>();
    for (const m of found) {
      messages.delete(m.id);
      const list = this.byPeer.get(m.peer)!;
      list.splice(list.indexOf(m), 1);
      byDialog.set(m.peer, [...(byDialog.get(m.peer) ?? []), m.id]);
    }
    const date = Math.floor(Date.now() / 1000);
    if (logged) for (const [peer, list] of byDialog) this.deletionLog.push({ peer, ids: list, revoke, date });
    const deleted = found.map((m) => m.id);
    const event: BoxEvent = { kind: 'delete', ids: deleted };
    return { deleted, change: deleted.length ? box.record(event, deleted.length) : box.unchanged(event) };
  }

  /**
   * Sets `userId`'s reactions on a message (an empty list removes them). Reactions are not part of a box's pts:
   * Telegram sends updateMessageReactions without one.
   * @throws StoreError MESSAGE_ID_INVALID (no such message, or a service message), REACTION_INVALID (not a
   *   standard emoji), REACTIONS_TOO_MANY (more than one without Premium).
   */
  setReactions(peer: PeerKey, id: number, userId: number, emojis: string[]): MessageRecord {
    this.assertPeer(peer);
    const m = this.messageIn(peer, id);
    if (!m || m.action) throw new StoreError(400, 'MESSAGE_ID_INVALID', `no message ${id} in ${peer}`);
    const normalised = emojis.map((e) => {
      const r = standardReaction(e);
      if (!r) throw new StoreError(400, 'REACTION_INVALID', `"${e}" is not an available reaction`);
      return r;
    });
    const unique = [...new Set(normalised)];
    if (unique.length > MAX_REACTIONS_PER_USER) {
      throw new StoreError(400, 'REACTIONS_TOO_MANY', `at most ${MAX_REACTIONS_PER_USER} reaction per message`);
    }
    const date = Math.max(Math.floor(Date.now() / 1000), m.date);
    const others = m.reactions.filter((r) => r.userId !== userId);
    m.reactions = [...others, ...unique.map((emoji) => ({ userId, emoji, date }))];
    this.observer?.reacted(this, m);
    return m;
  }

  /**
   * Pins or unpins a message. Pinning a message that is not pinned yet adds a service message "pinned …"
   * (messageActionPinMessage replying to it) unless `pmOneside` or the chat is Saved Messages, as Telegram does.
   * @returns the box changes in order (the pin, then the service message) — empty when nothing changed — and
   *   the service message, if any.
   * @throws StoreError MESSAGE_ID_INVALID; 403 CHAT_ADMIN_REQUIRED in a supergroup or channel the account does
   *   not administer.
   */
  setPinned(
    peer: PeerKey,
    id: number,
    opts: { pinned: boolean; pmOneside: boolean; silent: boolean },
  ): { changes: BoxChange[]; service?: MessageRecord } {
    this.assertPeer(peer);
    const m = this.messageIn(peer, id);
    if (!m || m.action) throw new StoreError(400, 'MESSAGE_ID_INVALID', `no message ${id} in ${peer}`);
    const ref = parsePeerKey(peer);
    if (ref.kind === 'channel' && !this.isChannelAdmin(this.channels.get(ref.id)!, this.account.id)) {
      throw new StoreError(403, 'CHAT_ADMIN_REQUIRED', `pinning in channel ${ref.id} needs an admin`);
    }
    if (m.pinned === opts.pinned) return { changes: [] };
    m.pinned = opts.pinned;
    const changes = [this.boxFor(peer).record({ kind: 'pin', peer, ids: [id], pinned: opts.pinned }, 1)];
    this.observer?.pinned(this, peer, [id], opts.pinned, opts.pmOneside);
    const selfChat = peer === userPeer(this.account.id);
    if (!opts.pinned || opts.pmOneside || selfChat) return { changes };
    const { message, change } = this.appendMessage({
      peer,
      fromId: this.account.id,
      text: '',
      source: 'mtproto',
      replyTo: id,
      action: 'pin',
      silent: opts.silent,
    });
    changes.push(change);
    return { changes, service: message };
  }

  /**
   * Unpins every pinned message of a dialog.
   * @returns the change (pts_count 0 when nothing was pinned) and the ids unpinned.
   * @throws StoreError as {@link setPinned}.
   */
  unpinAll(peer: PeerKey): { change: BoxChange; ids: number[] } {
    this.assertPeer(peer);
    const ref = parsePeerKey(peer);
    if (ref.kind === 'channel' && !this.isChannelAdmin(this.channels.get(ref.id)!, this.account.id)) {
      throw new StoreError(403, 'CHAT_ADMIN_REQUIRED', `unpinning in channel ${ref.id} needs an admin`);
    }
    const pinned = this.history(peer).filter((m) => m.pinned);
    for (const m of pinned) m.pinned = false;
    const ids = pinned.map((m) => m.id);
    const event: BoxEvent = { kind: 'pin', peer, ids, pinned: false };
    const box = this.boxFor(peer);
    const change = ids.length ? box.record(event, ids.length) : box.unchanged(event);
    if (ids.length) this.observer?.pinned(this, peer, ids, false, false);
    return { change, ids };
  }

  /**
   * Another account pinned or unpinned messages this account sees copies of (ids of this account's box).
   * @returns the box change, or undefined when nothing changed.
   */
  applyForeignPin(peer: PeerKey, ids: number[], pinned: boolean): BoxChange | undefined {
    const hit = ids
      .map((id) => this.messageIn(peer, id))
      .filter((m): m is MessageRecord => m !== undefined && m.pinned !== pinned);
    if (hit.length === 0) return undefined;
    for (const m of hit) m.pinned = pinned;
    const event: BoxEvent = { kind: 'pin', peer, ids: hit.map((m) => m.id), pinned };
    return this.boxFor(peer).record(event, hit.length);
  }

  /** Ids of a dialog's pinned messages, oldest first. */
  pinnedIds(peer: PeerKey): number[] {
    return this.history(peer)
      .filter((m) => m.pinned)
      .map((m) => m.id);
  }

  /**
   * Messages the account sent through MTProto as they were sent, oldest first (later edits and deletes do not
   * change this log).
   */
  sentMessages(): MessageRecord[] {
    return [...this.sentLog];
  }

  /** Deletions the account made through MTProto, oldest first. */
  deletions(): DeletionRecord[] {
    return this.deletionLog.map((d) => ({ ...d, ids: [...d.ids] }));
  }
}

/** Orders messages newest first: by date, then by arrival (store-wide), so equal dates still have one order. */
export function compareNewestFirst(a: MessageRecord, b: MessageRecord): number {
  return b.date - a.date || b.order - a.order;
}
