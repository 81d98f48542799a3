/**
 * Store records as the account sees them in the API (`Api.User`, `Api.Chat`, `Api.Channel`, `Api.Message`,
 * `Api.Dialog`), and API input peers back to store records.
 */
import { Api } from 'telegram';
import { RpcError } from '../mtproto/rpcError.js';
import { fromTlLong, tlId, toTlLong } from '../mtproto/tlWire.js';
import { channelPeer, chatPeer, type PeerKey, parsePeerKey, userPeer } from '../state/peers.js';
import type {
  ChannelRecord,
  ChatRecord,
  DialogRecord,
  MessageRecord,
  SandboxStore,
  UserRecord,
} from '../state/store.js';
import { apiEntities } from './apiEntities.js';
import { apiMessageMedia } from './apiMedia.js';

/** A user as the account sees it (`self` for the account; contacts carry `contact`). */
export function apiUser(u: UserRecord): Api.User {
  return new Api.User({
    id: toTlLong(u.id),
    accessHash: toTlLong(u.accessHash),
    self: u.self,
    contact: u.contact,
    mutualContact: u.contact,
    bot: u.bot,
    firstName: u.firstName,
    ...(u.lastName ? { lastName: u.lastName } : {}),
    ...(u.username ? { username: u.username } : {}),
    ...(u.phone && (u.self || u.contact) ? { phone: u.phone } : {}),
    status: new Api.UserStatusRecently({}),
  });
}

/** A basic group as a member sees it. */
export function apiChat(c: ChatRecord, accountId: number): Api.Chat {
  return new Api.Chat({
    id: toTlLong(c.id),
    title: c.title,
    photo: new Api.ChatPhotoEmpty(),
    participantsCount: c.memberIds.length,
    date: c.date,
    version: c.version,
    creator: c.creatorId === accountId,
  });
}

/** Rights of a channel admin who is not the creator (what Telegram grants by default when promoting). */
export function defaultAdminRights(megagroup: boolean): Api.ChatAdminRights {
  return new Api.ChatAdminRights({
    changeInfo: true,
    deleteMessages: true,
    banUsers: megagroup,
    inviteUsers: true,
    pinMessages: true,
    manageCall: true,
    other: true,
    ...(megagroup ? {} : { postMessages: true, editMessages: true }),
  });
}

/** A supergroup or broadcast channel as a member sees it. */
export function apiChannel(c: ChannelRecord, accountId: number): Api.Channel {
  const creator = c.creatorId === accountId;
  const admin = !creator && c.adminIds.includes(accountId);
  return new Api.Channel({
    id: toTlLong(c.id),
    accessHash: toTlLong(c.accessHash),
    title: c.title,
    ...(c.username ? { username: c.username } : {}),
    photo: new Api.ChatPhotoEmpty(),
    date: c.date,
    creator,
    megagroup: c.megagroup,
    broadcast: !c.megagroup,
    participantsCount: c.memberIds.length,
    ...(admin ? { adminRights: defaultAdminRights(c.megagroup) } : {}),
    ...(c.megagroup
      ? {
          defaultBannedRights: new Api.ChatBannedRights({
            untilDate: 0,
            changeInfo: true,
            pinMessages: true,
            manageTopics: true,
          }),
        }
      : {}),
  });
}

/** The API peer of a peer key. */
export function apiPeer(peer: PeerKey): Api.PeerUser | Api.PeerChat | Api.PeerChannel {
  const ref = parsePeerKey(peer);
  if (ref.kind === 'user') return new Api.PeerUser({ userId: toTlLong(ref.id) });
  if (ref.kind === 'chat') return new Api.PeerChat({ chatId: toTlLong(ref.id) });
  return new Api.PeerChannel({ channelId: toTlLong(ref.id) });
}

/**
 * A message's reactions: counts per emoji (most first), the account's own marked with `chosen_order`, and up to
 * three recent reactors in private chats and groups (broadcast channels show counts only).
 */
export function apiReactions(store: SandboxStore, m: MessageRecord): Api.MessageReactions | undefined {
  if (m.reactions.length === 0) return undefined;
  const counts = new Map<string, number>();
  for (const r of m.reactions) counts.set(r.emoji, (counts.get(r.emoji) ?? 0) + 1);
  const mine = m.reactions.filter((r) => r.userId === store.account.id).map((r) => r.emoji);
  const results = [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(
      ([emoji, count]) =>
        new Api.ReactionCount({
          reaction: new Api.ReactionEmoji({ emoticon: emoji }),
          count,
          ...(mine.includes(emoji) ? { chosenOrder: mine.indexOf(emoji) } : {}),
        }),
    );
  const ref = parsePeerKey(m.peer);
  const broadcast = ref.kind === 'channel' && !store.channel(ref.id)?.megagroup;
  const recent = broadcast
    ? undefined
    : [...m.reactions]
        .sort((a, b) => b.date - a.date)
        .slice(0, 3)
        .map(
          (r) =>
            new Api.MessagePeerReaction({
              peerId: new Api.PeerUser({ userId: toTlLong(r.userId) }),
              date: r.date,
              reaction: new Api.ReactionEmoji({ emoticon: r.emoji }),
              my: r.userId === store.account.id,
            }),
        );
  return new Api.MessageReactions({
    results,
    canSeeList: ref.kind === 'chat' || (ref.kind === 'channel' && !broadcast),
    ...(recent ? { recentReactions: recent } : {}),
  });
}

/**
 * A message as the account sees it (`Api.Message`, or `Api.MessageService` for a pin notice). Private chats:
 * incoming messages carry no from_id (layer 119+; the sender is the peer), outgoing ones carry the account;
 * groups and supergroups: from_id is always the sender; broadcast posts carry none (`post`).
 */
export function apiMessage(store: SandboxStore, m: MessageRecord): Api.Message | Api.MessageService {
  const isPrivate = m.peer.startsWith('user:');
  const withFrom = !m.post && (!isPrivate || m.out);
  const from = withFrom ? { fromId: new Api.PeerUser({ userId: toTlLong(m.fromId) }) } : {};
  if (m.action) {
    return new Api.MessageService({
      id: m.id,
      peerId: apiPeer(m.peer),
      ...from,
      out: m.out,
      post: m.post,
      silent: m.silent,
      date: m.date,
      ...(m.replyTo !== undefined ? { replyTo: new Api.MessageReplyHeader({ replyToMsgId: m.replyTo }) } : {}),
      action: new Api.MessageActionPinMessage(),
    });
  }
  const reactions = apiReactions(store, m);
  const fwd = m.fwdFrom;
  return new Api.Message({
    id: m.id,
    peerId: apiPeer(m.peer),
    ...from,
    out: m.out,
    post: m.post,
    silent: m.silent,
    pinned: m.pinned,
    date: m.date,
    message: m.text,
    ...(m.entities ? { entities: apiEntities(m.entities) } : {}),
    ...(fwd
      ? {
          fwdFrom: new Api.MessageFwdHeader({
            fromId: apiPeer(fwd.from),
            date: fwd.date,
            ...(fwd.channelPost !== undefined ? { channelPost: fwd.channelPost } : {}),
            ...(fwd.savedFrom
              ? { savedFromPeer: apiPeer(fwd.savedFrom.peer), savedFromMsgId: fwd.savedFrom.id }
              : {}),
          }),
        }
      : {}),
    ...(m.replyTo !== undefined ? { replyTo: new Api.MessageReplyHeader({ replyToMsgId: m.replyTo }) } : {}),
    ...(m.media ? { media: apiMessageMedia(m.media) } : {}),
    ...(m.editDate !== undefined ? { editDate: m.editDate } : {}),
    ...(reactions ? { reactions } : {}),
  });
}

/** A dialog with its top message id, read marks and unread count (and, for channels, the channel's pts). */
export function apiDialog(store: SandboxStore, d: DialogRecord): Api.Dialog {
  const isChannel = d.peer.startsWith('channel:');
  return new Api.Dialog({
    peer: apiPeer(d.peer),
    pinned: d.pinned,
    topMessage: store.topMessage(d.peer)?.id ?? 0,
    readInboxMaxId: d.readInboxMaxId,
    readOutboxMaxId: d.readOutboxMaxId,
    unreadCount: store.unreadCount(d.peer),
    unreadMentionsCount: 0,
    unreadReactionsCount: 0,
    notifySettings: new Api.PeerNotifySettings({}),
    ...(isChannel ? { pts: store.boxFor(d.peer).pts } : {}),
  });
}

/** The `users` and `chats` vectors of a response. */
export interface Entities {
  users: Api.User[];
  chats: Array<Api.Chat | Api.Channel>;
}

/**
 * The `users` and `chats` vectors for a response: every peer named, and for every message its dialog, sender,
 * forward origin and recent reactors. Users, groups and channels unknown to the store are skipped.
 */
export function entitiesFor(
  store: SandboxStore,
  peers: Iterable<PeerKey>,
  messages: Iterable<MessageRecord> = [],
): Entities {
  const keys = new Set<PeerKey>();
  for (const p of peers) keys.add(p);
  for (const m of messages) {
    keys.add(m.peer);
    keys.add(userPeer(m.fromId));
    if (m.fwdFrom) keys.add(m.fwdFrom.from);
    if (m.fwdFrom?.savedFrom) keys.add(m.fwdFrom.savedFrom.peer);
    for (const r of m.reactions) keys.add(userPeer(r.userId));
  }
  const users: Api.User[] = [];
  const chats: Array<Api.Chat | Api.Channel> = [];
  for (const key of keys) {
    const ref = parsePeerKey(key);
    if (ref.kind === 'user') {
      const u = store.user(ref.id);
      if (u) users.push(apiUser(u));
    } else if (ref.kind === 'chat') {
      const c = store.chat(ref.id);
      if (c) chats.push(apiChat(c, store.account.id));
    } else {
      const c = store.channel(ref.id);
      if (c) chats.push(apiChannel(c, store.account.id));
    }
  }
  return { users, chats };
}

/**
 * Checks an access hash as presented by the client. Hash 0 is accepted for users (gramjs falls back to it when
 * it has no hash cached, and Telegram accepts it for contacts), never for channels.
 * @throws RpcError 400 `errorMessage` when the hash is wrong.
 */
function checkAccessHash(expected: bigint, accessHash: unknown, errorMessage: string, allowZero: boolean): void {
  const hash = fromTlLong(accessHash as bigint);
  if ((hash === 0n && allowZero) || hash === expected) return;
  throw new RpcError(400, errorMessage, 'wrong access_hash');
}

/**
 * An input peer (a parsed `InputPeer`; gramjs types request fields loosely as EntityLike) as a store peer key.
 * @throws RpcError 400 PEER_ID_INVALID for unknown users and groups or wrong access hashes; CHANNEL_INVALID for
 *   unknown channels or wrong channel access hashes; CHANNEL_PRIVATE for channels the account is not in.
 */
export function peerFromInput(store: SandboxStore, input: unknown): PeerKey {
  if (input instanceof Api.InputPeerSelf) return userPeer(store.account.id);
  if (input instanceof Api.InputPeerUser || input instanceof Api.InputPeerUserFromMessage) {
    const u = store.user(tlId(input.userId));
    if (!u) throw new RpcError(400, 'PEER_ID_INVALID', `unknown user ${input.userId.toString()}`);
    if (input instanceof Api.InputPeerUser) checkAccessHash(u.accessHash, input.accessHash, 'PEER_ID_INVALID', true);
    return userPeer(u.id);
  }
  if (input instanceof Api.InputPeerChat) {
    const c = store.memberChat(tlId(input.chatId));
    if (!c) throw new RpcError(400, 'PEER_ID_INVALID', `unknown chat ${input.chatId.toString()}`);
    return chatPeer(c.id);
  }
  if (input instanceof Api.InputPeerChannel || input instanceof Api.InputPeerChannelFromMessage) {
    const c = store.channel(tlId(input.channelId));
    if (!c) throw new RpcError(400, 'CHANNEL_INVALID', `unknown channel ${input.channelId.toString()}`);
    if (input instanceof Api.InputPeerChannel) {
      checkAccessHash(c.accessHash, input.accessHash, 'CHANNEL_INVALID', false);
    }
    if (!store.memberChannel(c.id)) throw new RpcError(400, 'CHANNEL_PRIVATE', `not a member of ${c.id}`);
    return channelPeer(c.id);
  }
  throw new RpcError(400, 'PEER_ID_INVALID', `unsupported input peer ${(input as { className?: string }).className}`);
}

/**
 * An input channel (a parsed `InputChannel`, or an InputPeerChannel gramjs sometimes passes) as a store record.
 * @throws RpcError 400 CHANNEL_INVALID (unknown, empty or wrong access hash), CHANNEL_PRIVATE (not a member).
 */
export function channelFromInput(store: SandboxStore, input: unknown): ChannelRecord {
  let id: number;
  let accessHash: unknown;
  if (input instanceof Api.InputChannel || input instanceof Api.InputPeerChannel) {
    id = tlId(input.channelId);
    accessHash = input.accessHash;
  } else if (input instanceof Api.InputChannelFromMessage || input instanceof Api.InputPeerChannelFromMessage) {
    id = tlId(input.channelId);
  } else {
    throw new RpcError(400, 'CHANNEL_INVALID', `not a channel: ${(input as { className?: string }).className}`);
  }
  const c = store.channel(id);
  if (!c) throw new RpcError(400, 'CHANNEL_INVALID', `unknown channel ${id}`);
  if (accessHash !== undefined) checkAccessHash(c.accessHash, accessHash, 'CHANNEL_INVALID', false);
  if (!store.memberChannel(id)) throw new RpcError(400, 'CHANNEL_PRIVATE', `not a member of ${id}`);
  return c;
}

/**
 * An input user (a parsed `InputUser`) as a store user, or undefined when unknown.
 * @throws RpcError 400 USER_ID_INVALID for a wrong access hash.
 */
export function userFromInput(store: SandboxStore, input: unknown): UserRecord | undefined {
  if (input instanceof Api.InputUserSelf) return store.account;
  if (input instanceof Api.InputUser || input instanceof Api.InputUserFromMessage) {
    const u = store.user(tlId(input.userId));
    if (u && input instanceof Api.InputUser) checkAccessHash(u.accessHash, input.accessHash, 'USER_ID_INVALID', true);
    return u;
  }
  return undefined;
}
