/**
 * The message side of the control API: what tests and the demo use to drive and inspect the account's world —
 * supergroups and channels, messages arriving from others (pushed live to the account's sessions), reactions,
 * read receipts, what the account sent, deleted, pinned, and the exact bytes of media. Peers are spelled
 * `user:<id>`, `chat:<id>` or `channel:<id>`.
 */
import type { UpdatesFeed } from './rpc/updatesFeed.js';
import { readImageHeader } from './state/imageHeader.js';
import {
  type DocumentAttribute,
  type DocumentKind,
  documentFileName,
  documentKind,
  type MediaRecord,
} from './state/media.js';
import { channelPeer, chatPeer, type PeerKey, parsePeerKey, peerKeyOf, userPeer } from './state/peers.js';
import { fixturePng } from './state/fixtureMedia.js';
import type { MessageRecord, SandboxStore, TextEntityRecord } from './state/store.js';

/** A supergroup (`megagroup`) or broadcast channel of the fixture. */
export interface SandboxChannel {
  id: number;
  title: string;
  username?: string;
  megagroup: boolean;
  creatorId: number;
  adminIds: number[];
  memberIds: number[];
}

/**
 * A message's media in brief. `type` is the API's (photo / document); `kind` tells documents apart (voice,
 * round, video, animation, audio, file). `size` in bytes; `duration` in seconds.
 */
export interface MediaSummary {
  type: 'photo' | 'document';
  kind?: DocumentKind;
  mimeType: string;
  size: number;
  fileName?: string;
  width?: number;
  height?: number;
  duration?: number;
}

/** A media file with its exact bytes. */
export interface SandboxMedia extends MediaSummary {
  bytes: Buffer;
}

/**
 * A message the account sent through MTProto, as sent. `kind`: a plain text message, a media message (`text`
 * is the caption), or a forward (`forwardedFrom` names the original). `peer` is the dialog; `date` in unix s.
 */
export interface SentMessage {
  id: number;
  peer: string;
  text: string;
  /** Formatting Telegram stored with `text` (offsets in UTF-16 units); absent when there is none. */
  entities?: TextEntityRecord[];
  date: number;
  replyTo?: number;
  kind: 'text' | 'media' | 'forward';
  media?: MediaSummary;
  forwardedFrom?: { peer: string; id: number };
}

/**
 * A stored message of a dialog; `date` in unix seconds. Optional fields appear only when set: `service: 'pin'`
 * for "pinned a message" notices (then `replyTo` is the pinned message).
 */
export interface StoredMessage {
  id: number;
  text: string;
  /** Formatting stored with `text` (edits applied); absent when there is none. */
  entities?: TextEntityRecord[];
  fromId: number;
  date: number;
  out?: true;
  replyTo?: number;
  editDate?: number;
  pinned?: true;
  media?: MediaSummary;
  /** The original author (`user:<id>` or `channel:<id>`) and date of a forwarded message. */
  forwardedFrom?: { from: string; date: number };
  service?: 'pin';
}

/** Reactions on a message by emoji: how many, who, and whether the account is one of them. */
export interface ReactionSummary {
  emoji: string;
  count: number;
  userIds: number[];
  mine: boolean;
}

/** A deletion the account made: `revoke` true = for everyone, false = for the account only. `date` in unix s. */
export interface SandboxDeletion {
  peer: string;
  ids: number[];
  revoke: boolean;
  date: number;
}

/** Read state of a dialog: marks and what the Dialog's unread count shows. */
export interface ReadState {
  readInboxMaxId: number;
  readOutboxMaxId: number;
  unreadCount: number;
}

/**
 * Media for {@link MessageControl.injectIncomingMessage}: a picture (PNG/JPEG/GIF/WebP bytes; default a
 * generated 320×240 PNG) or a file (`voiceSeconds` makes it a voice note).
 */
export type InjectedMedia =
  | { kind: 'photo'; bytes?: Buffer }
  | { kind: 'document'; bytes: Buffer; fileName: string; mimeType: string; voiceSeconds?: number };

/** The message side of {@link SandboxControl}. */
export interface MessageControl {
  /** Supergroups and broadcast channels of the fixture. */
  channels(): SandboxChannel[];
  /**
   * Delivers a message from `fromUserId` to the account — in the private chat with that user, in basic group
   * `chatId`, or in supergroup/channel `channelId` (a broadcast channel only takes posts from its admins) — and
   * pushes it to every connected session of the account (updateNewMessage / updateNewChannelMessage).
   * @returns the new message id (the account's next id, or the channel's).
   * @throws Error when the user is unknown or the account itself, the group or channel is unknown, the user may
   *   not write there, there is neither text nor media, `replyTo` is not a message of that dialog, or photo bytes
   *   are not an image.
   */
  injectIncomingMessage(input: {
    fromUserId: number;
    chatId?: number;
    channelId?: number;
    text: string;
    replyTo?: number;
    media?: InjectedMedia;
  }): { id: number };
  /** Every message the account sent through MTProto (not fixture messages), oldest first, as sent. */
  sentMessages(): SentMessage[];
  /**
   * Full history of a dialog as stored now, oldest first (edits applied, deletions gone).
   * @throws Error when `peer` is not a peer key.
   */
  history(peer: string): StoredMessage[];
  /**
   * Unread incoming messages of a dialog (what the Dialog's unread count shows).
   * @throws Error when `peer` is not a peer key.
   */
  unreadCount(peer: string): number;
  /**
   * A dialog's read marks and unread count.
   * @throws Error when `peer` is not a peer key.
   */
  readState(peer: string): ReadState;
  /**
   * A read receipt: the other side of a private chat (or the members of a group) read the account's messages up
   * to `maxId` (default: all). Pushes updateReadHistoryOutbox / updateReadChannelOutbox to the account's sessions.
   * @returns false when the mark did not move.
   * @throws Error when `peer` is not a dialog the account can see.
   */
  markReadByPeer(peer: string, maxId?: number): boolean;
  /**
   * Reactions on a message, most first.
   * @throws Error when the message does not exist.
   */
  reactions(peer: string, id: number): ReactionSummary[];
  /**
   * Someone else reacts to a message (`emoji` undefined removes their reaction); the account's sessions get
   * updateMessageReactions.
   * @throws Error with Telegram's reason (REACTION_INVALID, MESSAGE_ID_INVALID) or when the user cannot see the
   *   dialog.
   */
  react(input: { peer: string; id: number; fromUserId: number; emoji?: string }): void;
  /**
   * Ids of a dialog's pinned messages, oldest first.
   * @throws Error when `peer` is not a peer key.
   */
  pinned(peer: string): number[];
  /** Deletions the account made through MTProto, oldest first (`revoke`: for everyone). */
  deletions(): SandboxDeletion[];
  /**
   * A message's media with its exact bytes, or undefined when the message has none.
   * @throws Error when the message does not exist.
   */
  media(peer: string, id: number): SandboxMedia | undefined;
  /**
   * The pts of the account's box, or of a channel's box when `peer` is `channel:<id>`.
   * @throws Error for an unknown channel.
   */
  pts(peer?: string): number;
}

function peerKey(text: string): PeerKey {
  return peerKeyOf(parsePeerKey(text));
}

function describe(err: unknown): string {
  return (err as { rpcMessage?: string }).rpcMessage ?? (err as Error).message;
}

/** A media record in brief. */
export function mediaSummary(media: MediaRecord): MediaSummary {
  if (media.kind === 'photo') {
    return {
      type: 'photo',
      mimeType: `image/${media.format}`,
      size: media.bytes.length,
      width: media.width,
      height: media.height,
    };
  }
  const video = media.attributes.find((a) => a.kind === 'video');
  const audio = media.attributes.find((a) => a.kind === 'audio');
  const fileName = documentFileName(media);
  const duration = video?.kind === 'video' ? video.duration : audio?.kind === 'audio' ? audio.duration : undefined;
  return {
    type: 'document',
    kind: documentKind(media),
    mimeType: media.mimeType,
    size: media.bytes.length,
    ...(fileName !== undefined ? { fileName } : {}),
    ...(video?.kind === 'video' ? { width: video.width, height: video.height } : {}),
    ...(duration !== undefined ? { duration } : {}),
  };
}

function storedMessage(m: MessageRecord): StoredMessage {
  return {
    id: m.id,
    text: m.text,
    ...(m.entities ? { entities: m.entities.map((e) => ({ ...e })) } : {}),
    fromId: m.fromId,
    date: m.date,
    ...(m.out ? { out: true as const } : {}),
    ...(m.replyTo !== undefined ? { replyTo: m.replyTo } : {}),
    ...(m.editDate !== undefined ? { editDate: m.editDate } : {}),
    ...(m.pinned ? { pinned: true as const } : {}),
    ...(m.media ? { media: mediaSummary(m.media) } : {}),
    ...(m.fwdFrom ? { forwardedFrom: { from: m.fwdFrom.from, date: m.fwdFrom.date } } : {}),
    ...(m.action ? { service: m.action } : {}),
  };
}

/** Builds the message side of the control API over a store and its updates feed. */
export function createMessageControl(store: SandboxStore, feed: UpdatesFeed): MessageControl {
  const find = (peer: string, id: number, caller: string): MessageRecord => {
    const m = store.messageIn(peerKey(peer), id);
    if (!m) throw new Error(`${caller}: no message ${id} in ${peer}`);
    return m;
  };
  return {
    channels() {
      return store.allChannels().map((c) => ({
        id: c.id,
        title: c.title,
        ...(c.username ? { username: c.username } : {}),
        megagroup: c.megagroup,
        creatorId: c.creatorId,
        adminIds: [...c.adminIds],
        memberIds: [...c.memberIds],
      }));
    },
    injectIncomingMessage(input) {
      const from = store.user(input.fromUserId);
      if (!from || from.self) throw new Error(`injectIncomingMessage: ${input.fromUserId} is not a fixture user`);
      if (input.text.trim().length === 0 && !input.media) throw new Error('injectIncomingMessage: empty text');
      let peer = userPeer(from.id);
      if (input.chatId !== undefined && input.channelId !== undefined) {
        throw new Error('injectIncomingMessage: give chatId or channelId, not both');
      }
      if (input.chatId !== undefined) {
        if (!store.chat(input.chatId)) throw new Error(`injectIncomingMessage: no basic group ${input.chatId}`);
        peer = chatPeer(input.chatId);
      }
      if (input.channelId !== undefined) {
        if (!store.channel(input.channelId)) throw new Error(`injectIncomingMessage: no channel ${input.channelId}`);
        peer = channelPeer(input.channelId);
      }
      const date = Math.floor(Date.now() / 1000);
      let media: MediaRecord | undefined;
      if (input.media?.kind === 'photo') {
        const bytes = input.media.bytes ?? fixturePng(320, 240, `injected:${date}:${input.text}`);
        const header = readImageHeader(bytes);
        if (!header) throw new Error('injectIncomingMessage: photo bytes are not a PNG, JPEG, GIF or WebP image');
        const { format, width, height } = header;
        media = store.media.addPhoto({ bytes, format, width, height, date });
      } else if (input.media?.kind === 'document') {
        const m = input.media;
        const attributes: DocumentAttribute[] = [{ kind: 'filename', fileName: m.fileName }];
        if (m.voiceSeconds !== undefined) {
          attributes.push({ kind: 'audio', voice: true, duration: Math.round(m.voiceSeconds) });
        }
        media = store.media.addDocument({ bytes: m.bytes, mimeType: m.mimeType, attributes, date });
      }
      try {
        const { message, change } = store.appendMessage({
          peer,
          fromId: from.id,
          text: input.text,
          source: 'control',
          ...(input.replyTo !== undefined ? { replyTo: input.replyTo } : {}),
          ...(media ? { media } : {}),
        });
        feed.publish([change]);
        return { id: message.id };
      } catch (err) {
        throw new Error(`injectIncomingMessage: ${describe(err)}`);
      }
    },
    sentMessages() {
      return store.sentMessages().map((m) => ({
        id: m.id,
        peer: m.peer,
        text: m.text,
        ...(m.entities ? { entities: m.entities.map((e) => ({ ...e })) } : {}),
        date: m.date,
        ...(m.replyTo !== undefined ? { replyTo: m.replyTo } : {}),
        kind: m.forwardOf ? ('forward' as const) : m.media ? ('media' as const) : ('text' as const),
        ...(m.media ? { media: mediaSummary(m.media) } : {}),
        ...(m.forwardOf ? { forwardedFrom: { ...m.forwardOf } } : {}),
      }));
    },
    history(peer) {
      return store.history(peerKey(peer)).map(storedMessage);
    },
    unreadCount(peer) {
      return store.unreadCount(peerKey(peer));
    },
    readState(peer) {
      const key = peerKey(peer);
      const d = store.dialog(key);
      return {
        readInboxMaxId: d.readInboxMaxId,
        readOutboxMaxId: d.readOutboxMaxId,
        unreadCount: store.unreadCount(key),
      };
    },
    markReadByPeer(peer, maxId = 0) {
      let result: ReturnType<SandboxStore['readOutbox']>;
      try {
        result = store.readOutbox(peerKey(peer), maxId);
      } catch (err) {
        throw new Error(`markReadByPeer: ${describe(err)}`);
      }
      if (!result) return false;
      feed.publish([result.change]);
      return true;
    },
    reactions(peer, id) {
      const m = find(peer, id, 'reactions');
      const byEmoji = new Map<string, number[]>();
      for (const r of m.reactions) byEmoji.set(r.emoji, [...(byEmoji.get(r.emoji) ?? []), r.userId]);
      return [...byEmoji.entries()]
        .sort((a, b) => b[1].length - a[1].length)
        .map(([emoji, userIds]) => ({
          emoji,
          count: userIds.length,
          userIds,
          mine: userIds.includes(store.account.id),
        }));
    },
    react(input) {
      const key = peerKey(input.peer);
      const user = store.user(input.fromUserId);
      if (!user || user.self) throw new Error(`react: ${input.fromUserId} is not a fixture user`);
      const ref = parsePeerKey(key);
      let members: number[] | undefined;
      if (ref.kind === 'user') members = [ref.id, store.account.id];
      else if (ref.kind === 'chat') members = store.chat(ref.id)?.memberIds;
      else members = store.channel(ref.id)?.memberIds;
      if (!members?.includes(user.id)) throw new Error(`react: user ${user.id} is not in ${input.peer}`);
      let m: MessageRecord;
      try {
        m = store.setReactions(key, input.id, user.id, input.emoji === undefined ? [] : [input.emoji]);
      } catch (err) {
        throw new Error(`react: ${describe(err)}`);
      }
      feed.reactionsChanged(m);
    },
    pinned(peer) {
      return store.pinnedIds(peerKey(peer));
    },
    deletions() {
      return store.deletions();
    },
    media(peer, id) {
      const m = find(peer, id, 'media');
      if (!m.media) return undefined;
      return { ...mediaSummary(m.media), bytes: Buffer.from(m.media.bytes) };
    },
    pts(peer) {
      if (peer === undefined) return store.pts;
      const key = peerKey(peer);
      const ref = parsePeerKey(key);
      if (ref.kind !== 'channel') return store.pts;
      const box = store.channelBox(ref.id);
      if (!box) throw new Error(`pts: no channel ${ref.id}`);
      return box.pts;
    },
  };
}
