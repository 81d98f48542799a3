/**
 * The TelegramGateway port: what tools need from Telegram, and its gramjs implementation.
 *
 * The engine owns the only gramjs client of an account (ARCHITECTURE.md: Telegram kills sessions whose auth
 * key is used by two clients at once). Gateway errors are {@link ToolError}s with codes from the protocol.
 */
import { Api, TelegramClient } from 'telegram';
import type { TelegramClientParams } from 'telegram/client/telegramBaseClient.js';
import { FloodWaitError, RPCError } from 'telegram/errors/index.js';
import { LogLevel } from 'telegram/extensions/Logger.js';
import { returnBigInt } from 'telegram/Helpers.js';
import { StringSession } from 'telegram/sessions/index.js';
import { formatPeer, type PeerKind, type PeerRef, ToolErrorCode } from '../protocol/index.js';
import { ToolError } from '../tools/toolError.js';
import { type MtprotoEndpoint, pinnedPortConnection } from './endpoint.js';

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
  media?: { media_type: string; mime_type?: string; file_name?: string; size?: number };
}

/** What the tools need from Telegram. */
export interface TelegramGateway {
  /** Connects (idempotent). @throws ToolError `telegram_unavailable` when the server can't be reached in time. */
  connect(): Promise<void>;
  /** Disconnects and releases timers; the gateway can't be used afterwards. */
  close(): Promise<void>;
  /** Dialogs, newest activity first, at most `limit`; `query` filters title/username case-insensitively. */
  listDialogs(opts: { limit: number; query?: string }): Promise<GatewayDialog[]>;
  /** Resolves a peer reference. @throws ToolError `peer_not_found`. */
  resolvePeer(ref: PeerRef): Promise<ResolvedPeer>;
  /** Messages of `peer`, newest first, ids strictly below `beforeId` when given, at most `limit`. */
  getMessages(peer: ResolvedPeer, opts: { limit: number; beforeId?: number }): Promise<GatewayMessage[]>;
  /** Sends one text message. @returns its message id and date (ms). */
  sendMessage(
    peer: ResolvedPeer,
    text: string,
    opts?: { replyTo?: number },
  ): Promise<{ id: number; date: number }>;
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
}

/** gramjs-backed {@link TelegramGateway}. */
export class GramjsGateway implements TelegramGateway {
  private readonly client: TelegramClient;
  private readonly connectTimeoutMs: number;
  private connecting: Promise<void> | null = null;
  private dialogsPrimed = false;

  constructor(options: GramjsGatewayOptions) {
    const session = new StringSession(options.session);
    if (options.endpoint) session.setDC(options.endpoint.dcId, options.endpoint.host, options.endpoint.port);
    this.client = new TelegramClient(session, options.apiId, options.apiHash, {
      connectionRetries: 3,
      retryDelay: 500,
      // FloodWait must reach our code, never sleep inside gramjs (SANDBOX.md "gramjs pitfalls").
      floodSleepThreshold: 0,
      useWSS: false,
      ...(options.endpoint ? { connection: pinnedPortConnection(options.endpoint.port) } : {}),
      ...options.clientParams,
    });
    this.client.setLogLevel(LogLevel.NONE);
    this.connectTimeoutMs = options.connectTimeoutMs ?? 15_000;
  }

  /** The underlying gramjs client (for the login flow and event subscriptions). */
  get telegramClient(): TelegramClient {
    return this.client;
  }

  async connect(): Promise<void> {
    if (this.client.connected) return;
    this.connecting ??= withTimeout(
      this.client.connect().then(() => undefined),
      this.connectTimeoutMs,
      'Telegram did not answer in time; check the network and try again',
    ).finally(() => {
      this.connecting = null;
    });
    await this.connecting;
  }

  async close(): Promise<void> {
    await this.client.destroy();
  }

  async listDialogs(opts: { limit: number; query?: string }): Promise<GatewayDialog[]> {
    await this.connect();
    const q = opts.query?.trim().toLowerCase();
    // With a query, fetch more than asked so filtering still returns up to `limit` matches.
    const fetch = q ? Math.max(opts.limit * 4, 100) : opts.limit;
    const dialogs = await this.call(() => this.client.getDialogs({ limit: fetch }));
    this.dialogsPrimed = true;
    const out: GatewayDialog[] = [];
    for (const d of dialogs) {
      if (!d.entity) continue;
      const peer = peerOfEntity(d.entity);
      if (q && !peer.title.toLowerCase().includes(q) && !(peer.username ?? '').toLowerCase().includes(q))
        continue;
      out.push({
        peer,
        type: dialogType(peer),
        unreadCount: d.unreadCount,
        lastMessageDate: d.date ? d.date * 1000 : null,
      });
      if (out.length >= opts.limit) break;
    }
    return out;
  }

  async resolvePeer(ref: PeerRef): Promise<ResolvedPeer> {
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
      if (
        ref.kind !== 'username' &&
        !this.dialogsPrimed &&
        !(err instanceof ToolError && err.code !== 'peer_not_found')
      ) {
        this.dialogsPrimed = true;
        await this.call(() => this.client.getDialogs({ limit: 200 }));
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
    opts: { limit: number; beforeId?: number },
  ): Promise<GatewayMessage[]> {
    await this.connect();
    const entity = await this.inputPeer(peer);
    const list = await this.call(() =>
      this.client.getMessages(entity, {
        limit: opts.limit,
        ...(opts.beforeId ? { offsetId: opts.beforeId } : {}),
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
    opts?: { replyTo?: number },
  ): Promise<{ id: number; date: number }> {
    await this.connect();
    const entity = await this.inputPeer(peer);
    const sent = await this.call(() =>
      this.client.sendMessage(entity, { message: text, ...(opts?.replyTo ? { replyTo: opts.replyTo } : {}) }),
    );
    return { id: sent.id, date: (sent.date ?? Math.floor(Date.now() / 1000)) * 1000 };
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
      await this.resolvePeer({ kind: peer.kind, id: peer.id });
      return this.client.getInputEntity(p);
    }
  }

  private toGatewayMessage(m: Api.Message, peer: ResolvedPeer): GatewayMessage {
    const sender = m.sender as Api.User | Api.Chat | Api.Channel | undefined;
    const fromName = sender ? peerOfEntity(sender).title : m.out ? 'me' : peer.title;
    const fromId = m.fromId ? peerIdRef(m.fromId) : m.out ? null : peer.ref;
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
  private async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw toToolError(err);
    }
  }
}

function bigIntOf(id: bigint): ReturnType<typeof returnBigInt> {
  return returnBigInt(id.toString());
}

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
    return new ToolError(ToolErrorCode.telegram, `Telegram refused the request: ${err.errorMessage}`);
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

function mediaInfo(media: Api.TypeMessageMedia | undefined): GatewayMessage['media'] | undefined {
  if (!media || media instanceof Api.MessageMediaEmpty) return undefined;
  if (media instanceof Api.MessageMediaPhoto) return { media_type: 'photo', mime_type: 'image/jpeg' };
  if (media instanceof Api.MessageMediaDocument && media.document instanceof Api.Document) {
    const doc = media.document;
    const nameAttr = doc.attributes.find((a) => a instanceof Api.DocumentAttributeFilename) as
      | Api.DocumentAttributeFilename
      | undefined;
    return {
      media_type: 'document',
      mime_type: doc.mimeType,
      ...(nameAttr ? { file_name: nameAttr.fileName } : {}),
      size: Number(doc.size.toString()),
    };
  }
  return { media_type: media.className.replace(/^MessageMedia/, '').toLowerCase() };
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
