/**
 * The TelegramGateway port: what tools need from Telegram, and its gramjs implementation.
 *
 * The engine owns the only gramjs client of an account (ARCHITECTURE.md: Telegram kills sessions whose auth
 * key is used by two clients at once). Gateway errors are {@link ToolError}s with codes from the protocol.
 */
import { Api, TelegramClient, utils } from 'telegram';
import type { TelegramClientParams } from 'telegram/client/telegramBaseClient.js';
import { CustomFile } from 'telegram/client/uploads.js';
import { FloodWaitError, RPCError } from 'telegram/errors/index.js';
import { Logger, LogLevel } from 'telegram/extensions/Logger.js';
import { generateRandomLong, returnBigInt } from 'telegram/Helpers.js';
import { StringSession } from 'telegram/sessions/index.js';
import { formatPeer, type PeerKind, type PeerRef, type TextEntity, ToolError, ToolErrorCode } from '../protocol/index.js';
import { type MtprotoEndpoint, pinnedPortConnection } from './endpoint.js';
import { toApiEntities } from './formatting.js';
import { PeerCache } from './peerCache.js';
import { sentMessageIds, storedMessage } from './sendAnswers.js';

export { sentMessageIds, storedMessage } from './sendAnswers.js';

/** A peer resolved against Telegram: canonical ref (`user:123`), kind, numeric id, display title, @username. */
export interface ResolvedPeer {
  ref: string;
  kind: PeerKind;
  id: string;
  title: string;
  username: string | null;
  /** For users: true when the user is a bot. */
  bot?: boolean;
  /** For channels: true for a supergroup (megagroup), false for a broadcast channel. */
  megagroup?: boolean;
}

/** One dialog as the gateway reports it. Dates in ms since epoch. */
export interface GatewayDialog {
  peer: ResolvedPeer;
  type: 'user' | 'bot' | 'group' | 'supergroup' | 'channel';
  unreadCount: number;
  /** Highest incoming message id already read (0 when unknown). */
  readInboxMaxId: number;
  lastMessageDate: number | null;
}

/** One message as the gateway reports it. `date` in ms since epoch; texts are raw (not yet wrapped). */
export interface GatewayMessage {
  id: number;
  peer: ResolvedPeer;
  fromId: string | null;
  fromName: string;
  text: string;
  date: number;
  out: boolean;
  replyTo?: number;
  media?: GatewayMediaInfo;
}

/**
 * Media attached to a message (PROTOCOL.md "Message" `media_info`). `media_type` is one of photo, video,
 * video_note, animation, voice, audio, sticker, document, or another kind's lower-case name (contact, geo,
 * poll, webpage, …) for media that is not a file. `size` in bytes, `duration` in seconds, `width`/`height` in
 * pixels. `file_name` is raw (not yet wrapped).
 */
export interface GatewayMediaInfo {
  media_type: string;
  mime_type?: string;
  file_name?: string;
  size?: number;
  duration?: number;
  width?: number;
  height?: number;
}

/** What `getChatInfo` reports about a peer. `about` is raw (not yet wrapped); null when there is none. */
export interface GatewayChatInfo {
  peer: ResolvedPeer;
  type: GatewayDialog['type'];
  about: string | null;
  /** Members of a group or channel; 2 for a private chat; null when Telegram does not say. */
  membersCount: number | null;
  verified?: boolean;
  scam?: boolean;
  /** For users: in the person's contacts. */
  contact?: boolean;
  pinnedMessageId?: number;
}

/** A dialog's read state: unread incoming messages and the highest incoming message id already read. */
export interface GatewayReadState {
  unreadCount: number;
  readInboxMaxId: number;
}

/** Kinds of media {@link TelegramGateway.sendMedia} uploads (PROTOCOL.md `send_media`). */
export type OutgoingMediaType = 'photo' | 'video' | 'document' | 'animation' | 'voice';

/** A file to upload: the bytes as read (never re-read from disk), the name Telegram shows, and its MIME type. */
export interface OutgoingMedia {
  mediaType: OutgoingMediaType;
  bytes: Buffer;
  fileName: string;
  mimeType: string;
}

/**
 * A text as Telegram stored it after a send or edit (from Telegram's answer): the text and its entities
 * (offsets in UTF-16 code units). Plain text comes back with the entities Telegram detected itself, if any.
 */
export interface StoredText {
  text: string;
  entities: TextEntity[];
}

/** A message the account created: its id, date (ms) and the text or caption Telegram stored. */
export interface SentMessage extends StoredText {
  id: number;
  date: number;
}

/** What the tools need from Telegram. */
export interface TelegramGateway {
  /** Connects (idempotent). @throws ToolError `telegram_unavailable` when the server can't be reached in time. */
  connect(): Promise<void>;
  /** Disconnects and releases timers; the gateway can't be used afterwards. */
  close(): Promise<void>;
  /**
   * Ends the account's Telegram session (auth.logOut) over this gateway's own connection — never a second one
   * on the same auth key — then closes the gateway. Never throws: `ended` false with `detail` when Telegram could
   * not be told.
   */
  logOut(): Promise<{ ended: boolean; detail?: string }>;
  /**
   * Dialogs, newest activity first, at most `limit`; `query` keeps those whose title or username contains it
   * (case-insensitive), searching the newest {@link MAX_SEARCHED_DIALOGS}.
   */
  listDialogs(opts: { limit: number; query?: string }): Promise<GatewayDialog[]>;
  /** Resolves a peer reference. @throws ToolError `peer_not_found`. */
  resolvePeer(ref: PeerRef): Promise<ResolvedPeer>;
  /**
   * Messages of `peer`, newest first, at most `limit`: ids strictly below `beforeId` and strictly above `afterId`
   * when given.
   */
  getMessages(
    peer: ResolvedPeer,
    opts: { limit: number; beforeId?: number; afterId?: number },
  ): Promise<GatewayMessage[]>;
  /**
   * The messages of `peer` with these ids, in the order asked; ids that do not exist in THAT chat (deleted, or a
   * message of another chat) are left out.
   */
  getMessagesById(peer: ResolvedPeer, ids: number[]): Promise<GatewayMessage[]>;
  /** Unread state of one dialog. */
  getReadState(peer: ResolvedPeer): Promise<GatewayReadState>;
  /**
   * Messages whose text matches `query`, newest first, at most `limit`: in `peer` (ids below `beforeId` when
   * given), or across all chats when `peer` is absent.
   */
  searchMessages(opts: {
    query: string;
    limit: number;
    peer?: ResolvedPeer;
    beforeId?: number;
  }): Promise<GatewayMessage[]>;
  /** Full information about a peer (bio/description, member count, flags). */
  getChatInfo(peer: ResolvedPeer): Promise<GatewayChatInfo>;
  /**
   * Sends one text message exactly as given: `text` with `entities` (none = plain; nothing is parsed here —
   * see formatting.ts). @returns its id, date and what Telegram stored.
   */
  sendMessage(
    peer: ResolvedPeer,
    text: string,
    opts?: { replyTo?: number; entities?: TextEntity[] },
  ): Promise<SentMessage>;
  /**
   * True when the account has at least one message of its own in `peer`'s chat (so the chat is among its
   * dialogs): the approval's first-contact check (issue 8 §1).
   */
  hasWrittenTo(peer: ResolvedPeer): Promise<boolean>;
  /** Marks incoming messages of `peer` read up to `maxId` (inclusive), or all when absent. */
  markRead(peer: ResolvedPeer, maxId?: number): Promise<void>;
  /**
   * Replaces the text of message `id` with `text` and `entities` (none = plain), unparsed.
   * @returns what Telegram stored. @throws ToolError `telegram_error` (e.g. MESSAGE_AUTHOR_REQUIRED).
   */
  editMessage(peer: ResolvedPeer, id: number, text: string, opts?: { entities?: TextEntity[] }): Promise<StoredText>;
  /**
   * Deletes messages of `peer`; `revoke` also deletes them for everyone (supergroups and channels always do).
   * Every id must be a message of `peer` (the non-channel MTProto call takes bare ids, so a wrong id could hit
   * another chat): @throws ToolError `invalid_arguments` naming ids that are not, before deleting anything.
   */
  deleteMessages(peer: ResolvedPeer, ids: number[], opts: { revoke: boolean }): Promise<void>;
  /** Forwards messages `ids` of `from` to `to`. @returns the new message ids in `to`, in the order of `ids`. */
  forwardMessages(from: ResolvedPeer, ids: number[], to: ResolvedPeer): Promise<number[]>;
  /** Sets the person's reaction on a message (`null` removes it). */
  setReaction(peer: ResolvedPeer, id: number, emoji: string | null): Promise<void>;
  /** Pins message `id` silently (no notification), or unpins it. */
  pinMessage(peer: ResolvedPeer, id: number, opts: { unpin: boolean }): Promise<void>;
  /**
   * Uploads and sends one file with an optional caption (with `captionEntities`; none = plain, unparsed).
   * @returns the new message id, date (ms) and the caption Telegram stored.
   */
  sendMedia(
    peer: ResolvedPeer,
    media: OutgoingMedia,
    opts?: { caption?: string; captionEntities?: TextEntity[] },
  ): Promise<SentMessage>;
  /**
   * Downloads the media of message `id` of `peer`.
   * @throws ToolError `invalid_arguments` when the message does not exist or has no downloadable media, or the
   *   file is larger than `maxBytes` (checked before and after the download).
   */
  downloadMedia(
    peer: ResolvedPeer,
    id: number,
    opts: { maxBytes: number },
  ): Promise<{ info: GatewayMediaInfo; bytes: Buffer }>;
}

/** How to build the gramjs client: app credentials, the session string, and optionally a custom endpoint. */
export interface GramjsGatewayOptions {
  /** api_id from my.telegram.org (any value for the sandbox). */
  apiId: number;
  /** api_hash from my.telegram.org. */
  apiHash: string;
  /** A gramjs StringSession string. Secret: never logged. */
  session: string;
  /** A non-production MTProto server (the sandbox); absent for real Telegram. */
  endpoint?: MtprotoEndpoint;
  /** Extra gramjs params (tests pass the sandbox's `clientParams()`). */
  clientParams?: Partial<TelegramClientParams>;
  /** Connect timeout, in ms (default 15 000). */
  connectTimeoutMs?: number;
  /**
   * Longest wait for one Telegram request, in ms (default 20 000, below the relay's 30 s call deadline);
   * file uploads and downloads get {@link MEDIA_CALL_TIMEOUT_MS}.
   */
  callTimeoutMs?: number;
}

/** Longest wait for one file upload or download, in ms (below the relay's 180 s media deadline). */
export const MEDIA_CALL_TIMEOUT_MS = 170_000;

/** gramjs-backed {@link TelegramGateway}. */
export class GramjsGateway implements TelegramGateway {
  private client: TelegramClient;
  private readonly connectTimeoutMs: number;
  private readonly callTimeoutMs: number;
  private connecting: Promise<void> | null = null;
  private dialogsPrimed = false;
  /** Peers seen in dialogs or resolved lately: a read on a known peer skips the lookup request. */
  private readonly peers = new PeerCache();
  /**
   * Set when Telegram stopped answering: gramjs may have given up reconnecting (or the computer slept), so
   * the next call builds a fresh client from the same session instead of waiting on a dead one (SANDBOX.md).
   */
  private stale = false;
  /** Set by {@link logOut}: the session is over and the client destroyed. */
  private loggedOut = false;

  constructor(private readonly options: GramjsGatewayOptions) {
    const session = new StringSession(options.session);
    if (options.endpoint) session.setDC(options.endpoint.dcId, options.endpoint.host, options.endpoint.port);
    this.client = this.makeClient(session);
    this.connectTimeoutMs = options.connectTimeoutMs ?? 15_000;
    this.callTimeoutMs = options.callTimeoutMs ?? 20_000;
  }

  private makeClient(session: StringSession): TelegramClient {
    const client = new TelegramClient(session, this.options.apiId, this.options.apiHash, {
      connectionRetries: 3,
      retryDelay: 500,
      // FloodWait must reach our code, never sleep inside gramjs (SANDBOX.md "gramjs pitfalls").
      floodSleepThreshold: 0,
      useWSS: false,
      baseLogger: new Logger(LogLevel.NONE),
      ...(this.options.endpoint ? { connection: pinnedPortConnection(this.options.endpoint.port) } : {}),
      ...this.options.clientParams,
    });
    client.setLogLevel(LogLevel.NONE);
    return client;
  }

  /** The underlying gramjs client (for the login flow and event subscriptions); replaced after an outage. */
  get telegramClient(): TelegramClient {
    return this.client;
  }

  async connect(): Promise<void> {
    if (this.stale) this.recreate();
    if (this.client.connected) return;
    this.connecting ??= withTimeout(
      this.client.connect().then(() => undefined),
      this.connectTimeoutMs,
      'Telegram did not answer in time; check the network and try again',
    )
      .catch((err: unknown) => {
        this.stale = true;
        throw err;
      })
      .finally(() => {
        this.connecting = null;
      });
    await this.connecting;
  }

  /** Replaces a client that stopped answering with a fresh one over the same session (auth key kept). */
  private recreate(): void {
    const old = this.client;
    const session = new StringSession(old.session.save() as unknown as string);
    this.client = this.makeClient(session);
    this.stale = false;
    this.dialogsPrimed = false;
    void old.destroy().catch(() => {});
  }

  async close(): Promise<void> {
    if (this.loggedOut) return;
    await this.client.destroy();
  }

  async logOut(): Promise<{ ended: boolean; detail?: string }> {
    if (this.loggedOut) return { ended: false, detail: 'this engine already logged out' };
    try {
      await this.connect();
      await this.call(() => this.client.invoke(new Api.auth.LogOut()));
      return { ended: true };
    } catch (err) {
      return { ended: false, detail: toToolError(err).message };
    } finally {
      this.loggedOut = true;
      await this.client.destroy().catch(() => {});
    }
  }

  async listDialogs(opts: { limit: number; query?: string }): Promise<GatewayDialog[]> {
    await this.connect();
    const q = opts.query?.trim().toLowerCase();
    const out: GatewayDialog[] = [];
    // Without a query the first `limit` dialogs are the answer; with one, pages are read until `limit` chats match
    // or MAX_SEARCHED_DIALOGS were looked at, so an old chat is found by its name too.
    for await (const page of this.dialogPages(q ? MAX_SEARCHED_DIALOGS : opts.limit)) {
      this.dialogsPrimed = true;
      for (const d of page) {
        const peer = peerOfEntity(d.entity);
        this.peers.put(peer);
        if (q && !peer.title.toLowerCase().includes(q) && !(peer.username ?? '').toLowerCase().includes(q))
          continue;
        out.push({
          peer,
          type: dialogType(peer),
          unreadCount: d.dialog.unreadCount,
          readInboxMaxId: d.dialog.readInboxMaxId,
          lastMessageDate: d.date ? d.date * 1000 : null,
        });
        if (out.length >= opts.limit) return out;
      }
    }
    return out;
  }

  /**
   * The first `want` dialogs of the main list, newest first (pinned ones first, as Telegram orders them), one page
   * per request, each dialog with its chat entity and the date of its top message (s since epoch, null when
   * Telegram sent none). `messages.getDialogs` is asked directly, {@link DIALOGS_PAGE} dialogs a request, paging
   * by the last dialog's top message as gramjs's `iterDialogs` does; gramjs's `getDialogs` helper would also
   * build a Dialog, a Draft and a full Message object per dialog that nothing here reads (issue 12: ~0.1 ms per
   * call). Dialogs whose entity Telegram did not send (a deleted chat, `UserEmpty`) and folder entries are left
   * out. The caller may stop early; no request is made for a page it does not ask for.
   * @throws ToolError from {@link call} (flood wait, timeout, Telegram errors).
   */
  private async *dialogPages(want: number): AsyncGenerator<Array<{ entity: DialogEntity; dialog: Api.Dialog; date: number | null }>> {
    const seen = new Set<string>();
    let given = 0;
    let offset: { offsetDate: number; offsetId: number; offsetPeer: Api.TypeInputPeer } = {
      offsetDate: 0,
      offsetId: 0,
      offsetPeer: new Api.InputPeerEmpty(),
    };
    for (let page = 0; given < want; page++) {
      const limit = Math.min(want - given, DIALOGS_PAGE);
      const request = new Api.messages.GetDialogs({ ...offset, excludePinned: page > 0, limit, hash: returnBigInt(0) });
      const r = await this.call(() => this.client.invoke(request));
      if (r instanceof Api.messages.DialogsNotModified) return;
      const entities = new Map<string, DialogEntity>();
      for (const entity of [...r.users, ...r.chats]) {
        const ref = entityRef(entity);
        if (ref) entities.set(ref, entity as DialogEntity);
      }
      const dates = new Map<string, number>();
      for (const m of r.messages) {
        if (!(m instanceof Api.MessageEmpty)) dates.set(`${peerIdRef(m.peerId)}/${m.id}`, m.date);
      }
      const out: Array<{ entity: DialogEntity; dialog: Api.Dialog; date: number | null }> = [];
      let last: { date: number; id: number; entity: DialogEntity } | undefined;
      for (const dialog of r.dialogs) {
        if (!(dialog instanceof Api.Dialog)) continue; // a folder (the archive), not a chat
        const ref = peerIdRef(dialog.peer);
        const entity = entities.get(ref);
        const date = dates.get(`${ref}/${dialog.topMessage}`);
        if (date !== undefined && entity) last = { date, id: dialog.topMessage, entity };
        if (seen.has(ref) || !entity) continue;
        seen.add(ref);
        if (given + out.length < want) out.push({ entity, dialog, date: date ?? null });
      }
      given += out.length;
      yield out;
      if (r.dialogs.length < limit || !(r instanceof Api.messages.DialogsSlice) || !last) return;
      offset = { offsetDate: last.date, offsetId: last.id, offsetPeer: utils.getInputPeer(last.entity) as Api.TypeInputPeer };
    }
  }

  /** Resolves `ref` from the peer cache when known there (no request), else asks Telegram and caches it. */
  async resolvePeer(ref: PeerRef): Promise<ResolvedPeer> {
    const known = this.peers.get(ref);
    if (known) return known;
    const peer = await this.lookupPeer(ref);
    this.peers.put(peer);
    return peer;
  }

  /** Asks Telegram for `ref` (one users/chats/channels or username request; a dialogs pass first if cold). */
  private async lookupPeer(ref: PeerRef): Promise<ResolvedPeer> {
    await this.connect();
    const lookup = async (): Promise<
      Api.User | Api.Chat | Api.Channel | Api.ChatForbidden | Api.ChannelForbidden
    > => {
      if (ref.kind === 'username') return (await this.client.getEntity(ref.username)) as Api.User;
      const id = BigInt(ref.id);
      const peer =
        ref.kind === 'user'
          ? new Api.PeerUser({ userId: bigIntOf(id) })
          : ref.kind === 'chat'
            ? new Api.PeerChat({ chatId: bigIntOf(id) })
            : new Api.PeerChannel({ channelId: bigIntOf(id) });
      return (await this.client.getEntity(peer)) as Api.User;
    };
    try {
      return peerOfEntity(await this.call(lookup));
    } catch (err) {
      // gramjs knows numeric peers only once it has seen their access hash; one dialogs pass fills the cache.
      const e = toToolError(err);
      const transient = e.code === ToolErrorCode.floodWait || e.code === ToolErrorCode.notConnected;
      if (ref.kind !== 'username' && !this.dialogsPrimed && !transient) {
        this.dialogsPrimed = true;
        const dialogs = await this.call(() => this.client.getDialogs({ limit: 200 }));
        for (const d of dialogs) if (d.entity) this.peers.put(peerOfEntity(d.entity));
        try {
          return peerOfEntity(await this.call(lookup));
        } catch (retryErr) {
          throw asPeerNotFound(retryErr, ref);
        }
      }
      throw asPeerNotFound(err, ref);
    }
  }

  async getMessages(
    peer: ResolvedPeer,
    opts: { limit: number; beforeId?: number; afterId?: number },
  ): Promise<GatewayMessage[]> {
    await this.connect();
    const entity = await this.inputPeer(peer);
    const list = await this.call(() =>
      this.client.getMessages(entity, {
        limit: opts.limit,
        ...(opts.beforeId ? { offsetId: opts.beforeId } : {}),
        ...(opts.afterId ? { minId: opts.afterId } : {}),
      }),
    );
    const out: GatewayMessage[] = [];
    for (const m of list) {
      if (!(m instanceof Api.Message)) continue;
      out.push(this.toGatewayMessage(m, peer));
    }
    return out;
  }

  async sendMessage(
    peer: ResolvedPeer,
    text: string,
    opts: { replyTo?: number; entities?: TextEntity[] } = {},
  ): Promise<SentMessage> {
    await this.connect();
    const entity = await this.inputPeer(peer);
    const entities = toApiEntities(opts.entities ?? []);
    const randomId = generateRandomLong();
    // The raw call, never client.sendMessage: gramjs would parse Markdown in `text` (issue 8 §3).
    const updates = await this.call(() =>
      this.client.invoke(
        new Api.messages.SendMessage({
          peer: entity,
          message: text,
          randomId,
          ...(entities.length > 0 ? { entities } : {}),
          ...(opts.replyTo ? { replyTo: new Api.InputReplyToMessage({ replyToMsgId: opts.replyTo }) } : {}),
        }),
      ),
    );
    const [id] = sentMessageIds(updates, [randomId.toString()]);
    return { id: id!, ...storedMessage(updates, id!, { text, entities: opts.entities ?? [] }) };
  }

  async getMessagesById(peer: ResolvedPeer, ids: number[]): Promise<GatewayMessage[]> {
    return (await this.apiMessagesById(peer, ids)).map((m) => this.toGatewayMessage(m, peer));
  }

  async getReadState(peer: ResolvedPeer): Promise<GatewayReadState> {
    await this.connect();
    const entity = await this.inputPeer(peer);
    const r = await this.call(() =>
      this.client.invoke(
        new Api.messages.GetPeerDialogs({ peers: [new Api.InputDialogPeer({ peer: entity })] }),
      ),
    );
    const d = r.dialogs.find((x): x is Api.Dialog => x instanceof Api.Dialog);
    return d
      ? { unreadCount: d.unreadCount, readInboxMaxId: d.readInboxMaxId }
      : { unreadCount: 0, readInboxMaxId: 0 };
  }

  async searchMessages(opts: {
    query: string;
    limit: number;
    peer?: ResolvedPeer;
    beforeId?: number;
  }): Promise<GatewayMessage[]> {
    await this.connect();
    const filter = new Api.InputMessagesFilterEmpty();
    let result: Api.messages.TypeMessages;
    if (opts.peer) {
      const entity = await this.inputPeer(opts.peer);
      result = await this.call(() =>
        this.client.invoke(
          new Api.messages.Search({
            peer: entity,
            q: opts.query,
            filter,
            minDate: 0,
            maxDate: 0,
            offsetId: opts.beforeId ?? 0,
            addOffset: 0,
            limit: opts.limit,
            maxId: 0,
            minId: 0,
            hash: returnBigInt(0),
          }),
        ),
      );
    } else {
      result = await this.call(() =>
        this.client.invoke(
          new Api.messages.SearchGlobal({
            q: opts.query,
            filter,
            minDate: 0,
            maxDate: 0,
            offsetRate: 0,
            offsetPeer: new Api.InputPeerEmpty(),
            offsetId: 0,
            limit: opts.limit,
          }),
        ),
      );
    }
    if (result instanceof Api.messages.MessagesNotModified) return [];
    const entities = new Map<string, ResolvedPeer>();
    for (const e of [...result.users, ...result.chats]) {
      try {
        const p = peerOfEntity(e);
        entities.set(p.ref, p);
      } catch {
        // An entity kind we do not model (e.g. an empty user) names no message peer we can show.
        continue;
      }
    }
    const out: GatewayMessage[] = [];
    for (const m of result.messages) {
      if (!(m instanceof Api.Message)) continue;
      const where = entities.get(peerIdRef(m.peerId)) ?? opts.peer;
      if (!where) continue;
      out.push(this.toGatewayMessage(m, where, entities));
      if (out.length >= opts.limit) break;
    }
    return out;
  }

  async getChatInfo(peer: ResolvedPeer): Promise<GatewayChatInfo> {
    await this.connect();
    const entity = await this.inputPeer(peer);
    const type = dialogType(peer);
    if (entity instanceof Api.InputPeerUser || entity instanceof Api.InputPeerSelf) {
      const full = await this.call(() => this.client.invoke(new Api.users.GetFullUser({ id: entity })));
      const user = full.users.find((u): u is Api.User => u instanceof Api.User);
      return {
        peer,
        type,
        about: full.fullUser.about || null,
        membersCount: null,
        ...(user
          ? { verified: Boolean(user.verified), scam: Boolean(user.scam), contact: Boolean(user.contact) }
          : {}),
        ...(full.fullUser.pinnedMsgId ? { pinnedMessageId: full.fullUser.pinnedMsgId } : {}),
      };
    }
    if (entity instanceof Api.InputPeerChat) {
      const full = await this.call(() =>
        this.client.invoke(new Api.messages.GetFullChat({ chatId: entity.chatId })),
      );
      const chat = full.chats.find((c): c is Api.Chat => c instanceof Api.Chat);
      const fc = full.fullChat;
      const participants =
        fc instanceof Api.ChatFull && fc.participants instanceof Api.ChatParticipants
          ? fc.participants.participants.length
          : null;
      return {
        peer,
        type,
        about: fc.about || null,
        membersCount: chat?.participantsCount ?? participants,
        ...(fc.pinnedMsgId ? { pinnedMessageId: fc.pinnedMsgId } : {}),
      };
    }
    const full = await this.call(() =>
      this.client.invoke(new Api.channels.GetFullChannel({ channel: entity as Api.InputPeerChannel })),
    );
    const channel = full.chats.find((c): c is Api.Channel => c instanceof Api.Channel);
    const fc = full.fullChat;
    return {
      peer,
      type,
      about: fc.about || null,
      membersCount:
        (fc instanceof Api.ChannelFull ? fc.participantsCount : undefined) ?? channel?.participantsCount ?? null,
      ...(channel ? { verified: Boolean(channel.verified), scam: Boolean(channel.scam) } : {}),
      ...(fc.pinnedMsgId ? { pinnedMessageId: fc.pinnedMsgId } : {}),
    };
  }

  async hasWrittenTo(peer: ResolvedPeer): Promise<boolean> {
    await this.connect();
    const entity = await this.inputPeer(peer);
    const found = await this.call(() =>
      this.client.invoke(
        new Api.messages.Search({
          peer: entity,
          q: '',
          fromId: new Api.InputPeerSelf(),
          filter: new Api.InputMessagesFilterEmpty(),
          minDate: 0,
          maxDate: 0,
          offsetId: 0,
          addOffset: 0,
          limit: 1,
          maxId: 0,
          minId: 0,
          hash: returnBigInt(0),
        }),
      ),
    );
    if (found instanceof Api.messages.MessagesNotModified) return true;
    if ('count' in found ? found.count > 0 : found.messages.length > 0) return true;
    // Broadcast channel posts carry no sender, so a search by sender misses them: look at the latest posts.
    if (peer.kind !== 'channel' || peer.megagroup) return false;
    return (await this.getMessages(peer, { limit: 50 })).some((m) => m.out);
  }

  async markRead(peer: ResolvedPeer, maxId?: number): Promise<void> {
    await this.connect();
    const entity = await this.inputPeer(peer);
    await this.call(async (): Promise<unknown> =>
      entity instanceof Api.InputPeerChannel
        ? this.client.invoke(new Api.channels.ReadHistory({ channel: entity, maxId: maxId ?? 0 }))
        : this.client.invoke(new Api.messages.ReadHistory({ peer: entity, maxId: maxId ?? 0 })),
    );
  }

  async editMessage(
    peer: ResolvedPeer,
    id: number,
    text: string,
    opts: { entities?: TextEntity[] } = {},
  ): Promise<StoredText> {
    await this.connect();
    const entity = await this.inputPeer(peer);
    // An empty entity list is sent on purpose: it clears the old formatting instead of keeping it.
    const entities = toApiEntities(opts.entities ?? []);
    const updates = await this.call(() =>
      this.client.invoke(new Api.messages.EditMessage({ peer: entity, id, message: text, entities })),
    );
    const { text: storedText, entities: stored } = storedMessage(updates, id, { text, entities: opts.entities ?? [] });
    return { text: storedText, entities: stored };
  }

  async deleteMessages(peer: ResolvedPeer, ids: number[], opts: { revoke: boolean }): Promise<void> {
    await this.connect();
    const entity = await this.inputPeer(peer);
    const found = new Set((await this.apiMessagesById(peer, ids)).map((m) => m.id));
    const missing = ids.filter((id) => !found.has(id));
    if (missing.length > 0) throw notInChat(missing);
    await this.call(async (): Promise<unknown> =>
      entity instanceof Api.InputPeerChannel
        ? this.client.invoke(new Api.channels.DeleteMessages({ channel: entity, id: ids }))
        : this.client.invoke(new Api.messages.DeleteMessages({ id: ids, revoke: opts.revoke })),
    );
  }

  async forwardMessages(from: ResolvedPeer, ids: number[], to: ResolvedPeer): Promise<number[]> {
    await this.connect();
    const fromPeer = await this.inputPeer(from);
    const toPeer = await this.inputPeer(to);
    const randomIds = ids.map(() => generateRandomLong());
    const updates = await this.call(() =>
      this.client.invoke(new Api.messages.ForwardMessages({ fromPeer, id: ids, randomId: randomIds, toPeer })),
    );
    return sentMessageIds(updates, randomIds.map((r) => r.toString()));
  }

  async setReaction(peer: ResolvedPeer, id: number, emoji: string | null): Promise<void> {
    await this.connect();
    const entity = await this.inputPeer(peer);
    await this.call(() =>
      this.client.invoke(
        new Api.messages.SendReaction({
          peer: entity,
          msgId: id,
          reaction: emoji === null ? [] : [new Api.ReactionEmoji({ emoticon: emoji })],
        }),
      ),
    );
  }

  async pinMessage(peer: ResolvedPeer, id: number, opts: { unpin: boolean }): Promise<void> {
    await this.connect();
    const entity = await this.inputPeer(peer);
    await this.call(() =>
      this.client.invoke(
        new Api.messages.UpdatePinnedMessage({ peer: entity, id, unpin: opts.unpin, silent: true }),
      ),
    );
  }

  async sendMedia(
    peer: ResolvedPeer,
    media: OutgoingMedia,
    opts: { caption?: string; captionEntities?: TextEntity[] } = {},
  ): Promise<SentMessage> {
    await this.connect();
    const entity = await this.inputPeer(peer);
    const file = await this.call(
      () =>
        this.client.uploadFile({
          file: new CustomFile(media.fileName, media.bytes.length, '', media.bytes),
          workers: 1,
        }),
      MEDIA_CALL_TIMEOUT_MS,
    );
    const randomId = generateRandomLong();
    const caption = opts.caption ?? '';
    const entities = toApiEntities(opts.captionEntities ?? []);
    const updates = await this.call(() =>
      this.client.invoke(
        new Api.messages.SendMedia({
          peer: entity,
          media: inputMediaOf(media, file),
          message: caption,
          randomId,
          ...(entities.length > 0 ? { entities } : {}),
        }),
      ),
    );
    const [id] = sentMessageIds(updates, [randomId.toString()]);
    return { id: id!, ...storedMessage(updates, id!, { text: caption, entities: opts.captionEntities ?? [] }) };
  }

  async downloadMedia(
    peer: ResolvedPeer,
    id: number,
    opts: { maxBytes: number },
  ): Promise<{ info: GatewayMediaInfo; bytes: Buffer }> {
    const [message] = await this.apiMessagesById(peer, [id]);
    if (!message) throw notInChat([id]);
    const info = mediaInfo(message.media);
    if (!info || !isDownloadable(message.media)) {
      throw new ToolError(ToolErrorCode.invalidArguments, `message_id: message #${id} has no file to download`);
    }
    if (info.size !== undefined && info.size > opts.maxBytes) throw tooLarge(info.size, opts.maxBytes);
    const data = await this.call(() => this.client.downloadMedia(message, {}), MEDIA_CALL_TIMEOUT_MS);
    if (!Buffer.isBuffer(data)) {
      throw new ToolError(ToolErrorCode.telegram, `Telegram returned no file for message #${id}`);
    }
    if (data.length > opts.maxBytes) throw tooLarge(data.length, opts.maxBytes);
    return { info: { ...info, size: data.length }, bytes: data };
  }

  /** Raw messages of `peer` by id, in the order asked; ids not in that chat left out (gramjs checks the peer). */
  private async apiMessagesById(peer: ResolvedPeer, ids: number[]): Promise<Api.Message[]> {
    await this.connect();
    const entity = await this.inputPeer(peer);
    const list = await this.call(() => this.client.getMessages(entity, { ids }));
    return [...list].filter((m): m is Api.Message => m instanceof Api.Message);
  }

  private async inputPeer(peer: ResolvedPeer): Promise<Api.TypeInputPeer> {
    const id = bigIntOf(BigInt(peer.id));
    const p =
      peer.kind === 'user'
        ? new Api.PeerUser({ userId: id })
        : peer.kind === 'chat'
          ? new Api.PeerChat({ chatId: id })
          : new Api.PeerChannel({ channelId: id });
    try {
      return await this.client.getInputEntity(p);
    } catch {
      // gramjs lost the access hash (a recreated client): look the peer up again, past the peer cache.
      await this.lookupPeer({ kind: peer.kind, id: peer.id });
      return this.client.getInputEntity(p);
    }
  }

  /**
   * A gramjs message as the gateway reports it. `entities` (from a raw result) name senders when gramjs did not
   * attach them itself.
   */
  private toGatewayMessage(
    m: Api.Message,
    peer: ResolvedPeer,
    entities?: Map<string, ResolvedPeer>,
  ): GatewayMessage {
    const fromId = m.fromId ? peerIdRef(m.fromId) : m.out ? null : peer.ref;
    const sender = entities ? undefined : (m.sender as Api.User | Api.Chat | Api.Channel | undefined);
    const known = fromId ? entities?.get(fromId) : undefined;
    const fromName = sender ? peerOfEntity(sender).title : known ? known.title : m.out ? 'me' : peer.title;
    const msg: GatewayMessage = {
      id: m.id,
      peer,
      fromId,
      fromName,
      text: m.message ?? '',
      date: m.date * 1000,
      out: Boolean(m.out),
    };
    const replyTo = m.replyTo?.replyToMsgId;
    if (replyTo) msg.replyTo = replyTo;
    const media = mediaInfo(m.media);
    if (media) msg.media = media;
    return msg;
  }

  /** Runs a gramjs call, turning its errors into ToolErrors a person and an AI can act on. */
  private async call<T>(fn: () => Promise<T>, timeoutMs = this.callTimeoutMs): Promise<T> {
    try {
      return await withTimeout(
        fn(),
        timeoutMs,
        `Telegram did not answer within ${Math.round(timeoutMs / 1000)} s; the bridge reconnects on the next ` +
          'call. If this was a write it may or may not have happened: check the chat before retrying.',
      );
    } catch (err) {
      const e = toToolError(err);
      if (e.code === ToolErrorCode.notConnected) this.stale = true;
      throw e;
    }
  }
}

function bigIntOf(id: bigint): ReturnType<typeof returnBigInt> {
  return returnBigInt(id.toString());
}

/** What common Telegram refusals mean for the person, appended to the error text. */
const RPC_HINTS: Record<string, string> = {
  MESSAGE_ID_INVALID: 'no such message in this chat',
  MESSAGE_AUTHOR_REQUIRED: 'only the author can change this message',
  MESSAGE_NOT_MODIFIED: 'the new text is the same as the old one',
  MESSAGE_EDIT_TIME_EXPIRED: 'this message is too old to edit',
  MESSAGE_DELETE_FORBIDDEN: 'this message cannot be deleted by the person',
  CHAT_ADMIN_REQUIRED: 'this needs admin rights in the chat',
  CHAT_WRITE_FORBIDDEN: 'the person cannot write in this chat',
  REACTION_INVALID: 'this chat does not accept that reaction',
  REACTION_EMPTY: 'no reaction given',
  PIN_RESTRICTED: 'pinning is not allowed in this chat',
  MEDIA_INVALID: 'Telegram did not accept this file as the requested media type',
  PHOTO_INVALID_DIMENSIONS: 'the image size is not accepted as a photo; send it as a document',
  IMAGE_PROCESS_FAILED: 'the file is not an image Telegram can process; send it as a document',
  MESSAGE_IDS_EMPTY: 'none of the message ids exist',
};

/** Maps gramjs/Telegram errors to ToolErrors (flood wait keeps its retry-after seconds). */
export function toToolError(err: unknown): ToolError {
  if (err instanceof ToolError) return err;
  if (err instanceof FloodWaitError) {
    return new ToolError(
      ToolErrorCode.floodWait,
      `Telegram asks to slow down: retry after ${err.seconds} s`,
      { retryAfterSeconds: err.seconds },
    );
  }
  if (err instanceof RPCError) {
    if (
      /PEER_ID_INVALID|USERNAME_NOT_OCCUPIED|USERNAME_INVALID|CHAT_ID_INVALID|CHANNEL_INVALID/.test(
        err.errorMessage,
      )
    ) {
      return new ToolError(
        ToolErrorCode.peerNotFound,
        `Telegram does not know that peer (${err.errorMessage})`,
      );
    }
    const hint = RPC_HINTS[err.errorMessage];
    // The error name comes from the server: only a bare TELEGRAM_ERROR_NAME is passed on, never free text.
    const name = /^[A-Z0-9_]{1,64}$/.test(err.errorMessage) ? err.errorMessage : 'an unrecognised error';
    return new ToolError(ToolErrorCode.telegram, `Telegram refused the request: ${name}${hint ? ` (${hint})` : ''}`);
  }
  const message = err instanceof Error ? err.message : String(err);
  if (/not connected|disconnected|ECONNREFUSED|timed out|did not answer/i.test(message)) {
    return new ToolError(ToolErrorCode.notConnected, `Telegram is not reachable: ${message}`);
  }
  return new ToolError(ToolErrorCode.internal, 'an unexpected error happened on the device; see its log');
}

function asPeerNotFound(err: unknown, ref: PeerRef): ToolError {
  const e = toToolError(err);
  if (e.code === ToolErrorCode.floodWait || e.code === ToolErrorCode.notConnected) return e;
  const shown = ref.kind === 'username' ? `@${ref.username}` : `${ref.kind}:${ref.id}`;
  return new ToolError(
    ToolErrorCode.peerNotFound,
    `no chat found for ${shown}; call list_dialogs and use a dialog's "peer" value`,
  );
}

/** Canonical peer of a gramjs entity. */
export function peerOfEntity(entity: unknown): ResolvedPeer {
  if (entity instanceof Api.User) {
    const title =
      [entity.firstName, entity.lastName].filter(Boolean).join(' ') || entity.username || 'Deleted Account';
    return {
      ref: formatPeer('user', entity.id.toString()),
      kind: 'user',
      id: entity.id.toString(),
      title,
      username: entity.username ?? null,
      bot: Boolean(entity.bot),
    };
  }
  if (entity instanceof Api.Chat || entity instanceof Api.ChatForbidden) {
    return {
      ref: formatPeer('chat', entity.id.toString()),
      kind: 'chat',
      id: entity.id.toString(),
      title: entity.title,
      username: null,
    };
  }
  if (entity instanceof Api.Channel || entity instanceof Api.ChannelForbidden) {
    const username = entity instanceof Api.Channel ? (entity.username ?? null) : null;
    return {
      ref: formatPeer('channel', entity.id.toString()),
      kind: 'channel',
      id: entity.id.toString(),
      title: entity.title,
      username,
      megagroup: Boolean(entity.megagroup),
    };
  }
  throw new ToolError(ToolErrorCode.peerNotFound, 'Telegram returned an unknown kind of peer');
}

/** Dialogs per `messages.getDialogs` request: Telegram's own cap (gramjs pages by the same). */
const DIALOGS_PAGE = 100;

/**
 * Most dialogs a `list_dialogs` title search looks through, newest first: 1,000, ten requests at most (before,
 * only the first max(4 × limit, 100), so an older chat could not be found by its name).
 */
export const MAX_SEARCHED_DIALOGS = 1_000;

/** A chat entity a dialog can stand for. */
type DialogEntity = Api.User | Api.Chat | Api.ChatForbidden | Api.Channel | Api.ChannelForbidden;

/** `user:<id>` / `chat:<id>` / `channel:<id>` of an entity from a result, or undefined for an empty one. */
function entityRef(entity: Api.TypeUser | Api.TypeChat): string | undefined {
  if (entity instanceof Api.User) return formatPeer('user', entity.id.toString());
  if (entity instanceof Api.Chat || entity instanceof Api.ChatForbidden) return formatPeer('chat', entity.id.toString());
  if (entity instanceof Api.Channel || entity instanceof Api.ChannelForbidden) return formatPeer('channel', entity.id.toString());
  return undefined;
}

function dialogType(peer: ResolvedPeer): GatewayDialog['type'] {
  if (peer.kind === 'user') return peer.bot ? 'bot' : 'user';
  if (peer.kind === 'chat') return 'group';
  return peer.megagroup ? 'supergroup' : 'channel';
}

function peerIdRef(p: Api.TypePeer): string {
  if (p instanceof Api.PeerUser) return formatPeer('user', p.userId.toString());
  if (p instanceof Api.PeerChat) return formatPeer('chat', p.chatId.toString());
  return formatPeer('channel', (p as Api.PeerChannel).channelId.toString());
}

/**
 * Media attached to a message, as `media_info` reports it. Photos report their largest size; documents are
 * typed by their attributes (video, round video → video_note, animation, voice, audio, sticker, else document).
 */
export function mediaInfo(media: Api.TypeMessageMedia | undefined): GatewayMediaInfo | undefined {
  if (!media || media instanceof Api.MessageMediaEmpty) return undefined;
  if (media instanceof Api.MessageMediaPhoto) {
    const info: GatewayMediaInfo = { media_type: 'photo', mime_type: 'image/jpeg' };
    if (media.photo instanceof Api.Photo) {
      const largest = largestPhotoSize(media.photo.sizes);
      if (largest) {
        info.width = largest.w;
        info.height = largest.h;
        info.size = largest.size;
      }
    }
    return info;
  }
  if (media instanceof Api.MessageMediaDocument && media.document instanceof Api.Document) {
    const doc = media.document;
    const info: GatewayMediaInfo = {
      media_type: 'document',
      mime_type: doc.mimeType,
      size: Number(doc.size.toString()),
    };
    let animated = false;
    for (const a of doc.attributes) {
      if (a instanceof Api.DocumentAttributeFilename) info.file_name = a.fileName;
      else if (a instanceof Api.DocumentAttributeAnimated) animated = true;
      else if (a instanceof Api.DocumentAttributeSticker) info.media_type = 'sticker';
      else if (a instanceof Api.DocumentAttributeVideo) {
        if (info.media_type === 'document') info.media_type = a.roundMessage ? 'video_note' : 'video';
        info.duration = a.duration;
        info.width = a.w;
        info.height = a.h;
      } else if (a instanceof Api.DocumentAttributeAudio) {
        if (info.media_type === 'document') info.media_type = a.voice ? 'voice' : 'audio';
        info.duration = a.duration;
      }
    }
    if (animated && info.media_type !== 'sticker') info.media_type = 'animation';
    return info;
  }
  return { media_type: media.className.replace(/^MessageMedia/, '').toLowerCase() };
}

/** True for media with a file behind it (photos and documents), which `downloadMedia` can fetch. */
function isDownloadable(media: Api.TypeMessageMedia | undefined): boolean {
  return (
    (media instanceof Api.MessageMediaPhoto && media.photo instanceof Api.Photo) ||
    (media instanceof Api.MessageMediaDocument && media.document instanceof Api.Document)
  );
}

/** The largest downloadable size of a photo, with its byte size (progressive sizes report their last step). */
function largestPhotoSize(sizes: Api.TypePhotoSize[]): { w: number; h: number; size: number } | undefined {
  let best: { w: number; h: number; size: number } | undefined;
  for (const s of sizes) {
    let size: number | undefined;
    if (s instanceof Api.PhotoSize) size = s.size;
    else if (s instanceof Api.PhotoSizeProgressive) size = Math.max(...s.sizes);
    else if (s instanceof Api.PhotoCachedSize) size = s.bytes.length;
    if (size === undefined || !('w' in s)) continue;
    if (!best || s.w * s.h > best.w * best.h) best = { w: s.w, h: s.h, size };
  }
  return best;
}

/** The InputMedia for an uploaded file of the requested kind (PROTOCOL.md `send_media` media types). */
function inputMediaOf(media: OutgoingMedia, file: Api.TypeInputFile): Api.TypeInputMedia {
  const name = new Api.DocumentAttributeFilename({ fileName: media.fileName });
  switch (media.mediaType) {
    case 'photo':
      return new Api.InputMediaUploadedPhoto({ file });
    case 'video':
      return new Api.InputMediaUploadedDocument({
        file,
        mimeType: media.mimeType,
        attributes: [new Api.DocumentAttributeVideo({ duration: 0, w: 0, h: 0, supportsStreaming: true }), name],
      });
    case 'animation':
      return new Api.InputMediaUploadedDocument({
        file,
        mimeType: media.mimeType,
        attributes: [new Api.DocumentAttributeAnimated(), name],
      });
    case 'voice':
      return new Api.InputMediaUploadedDocument({
        file,
        mimeType: media.mimeType,
        attributes: [new Api.DocumentAttributeAudio({ voice: true, duration: 0 }), name],
      });
    case 'document':
      return new Api.InputMediaUploadedDocument({
        file,
        mimeType: media.mimeType,
        forceFile: true,
        attributes: [name],
      });
  }
}

function notInChat(ids: number[]): ToolError {
  const shown = ids.map((id) => `#${id}`).join(', ');
  return new ToolError(
    ToolErrorCode.invalidArguments,
    `message_ids: ${shown} ${ids.length === 1 ? 'is' : 'are'} not a message of this chat (deleted or never existed); nothing was done`,
  );
}

function tooLarge(size: number, max: number): ToolError {
  return new ToolError(
    ToolErrorCode.invalidArguments,
    `message_id: the file is ${size} bytes, more than the ${max}-byte (${Math.round(max / 1048576)} MiB) limit; it can't be downloaded through this tool`,
  );
}

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new ToolError(ToolErrorCode.notConnected, message)), ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}
