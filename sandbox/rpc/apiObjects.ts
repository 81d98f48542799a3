/**
 * Store records as the account sees them in the API (`Api.User`, `Api.Chat`, `Api.Message`, `Api.Dialog`),
 * and API input peers back to store peer keys.
 */
import { Api } from 'telegram';
import { RpcError } from '../mtproto/rpcError.js';
import { fromTlLong, tlId, toTlLong } from '../mtproto/tlWire.js';
import { chatPeer, type PeerKey, parsePeerKey, userPeer } from '../state/peers.js';
import type { ChatRecord, DialogRecord, MessageRecord, SandboxStore, UserRecord } from '../state/store.js';

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

/** The API peer of a peer key. */
export function apiPeer(peer: PeerKey): Api.PeerUser | Api.PeerChat {
  const ref = parsePeerKey(peer);
  return ref.kind === 'user'
    ? new Api.PeerUser({ userId: toTlLong(ref.id) })
    : new Api.PeerChat({ chatId: toTlLong(ref.id) });
}

/**
 * A message of the account's box. Private chats: incoming messages carry no from_id (layer 119+; the sender is
 * the peer), outgoing ones carry the account; groups: from_id is always the sender.
 */
export function apiMessage(m: MessageRecord): Api.Message {
  const isPrivate = m.peer.startsWith('user:');
  const withFrom = !isPrivate || m.out;
  return new Api.Message({
    id: m.id,
    peerId: apiPeer(m.peer),
    ...(withFrom ? { fromId: new Api.PeerUser({ userId: toTlLong(m.fromId) }) } : {}),
    out: m.out,
    date: m.date,
    message: m.text,
    ...(m.replyTo !== undefined ? { replyTo: new Api.MessageReplyHeader({ replyToMsgId: m.replyTo }) } : {}),
    ...(m.editDate !== undefined ? { editDate: m.editDate } : {}),
  });
}

/** A dialog with its top message id, read marks and unread count. */
export function apiDialog(store: SandboxStore, d: DialogRecord): Api.Dialog {
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
  });
}

/**
 * The `users` and `chats` vectors for a response: every peer named, every message's peer and sender, and
 * every message's dialog. Users and chats unknown to the store are skipped.
 */
export function entitiesFor(
  store: SandboxStore,
  peers: Iterable<PeerKey>,
  messages: Iterable<MessageRecord> = [],
): { users: Api.User[]; chats: Api.Chat[] } {
  const userIds = new Set<number>();
  const chatIds = new Set<number>();
  const addPeer = (peer: PeerKey) => {
    const ref = parsePeerKey(peer);
    (ref.kind === 'user' ? userIds : chatIds).add(ref.id);
  };
  for (const p of peers) addPeer(p);
  for (const m of messages) {
    addPeer(m.peer);
    userIds.add(m.fromId);
  }
  const users: Api.User[] = [];
  for (const id of userIds) {
    const u = store.user(id);
    if (u) users.push(apiUser(u));
  }
  const chats: Api.Chat[] = [];
  for (const id of chatIds) {
    const c = store.chat(id);
    if (c) chats.push(apiChat(c, store.account.id));
  }
  return { users, chats };
}

/**
 * Checks a user's access hash as presented by the client. Hash 0 is accepted (gramjs falls back to it when it
 * has no hash cached, and Telegram accepts it for contacts).
 * @throws RpcError 400 `errorMessage` when the hash is wrong.
 */
function checkAccessHash(u: UserRecord, accessHash: unknown, errorMessage: string): void {
  const hash = fromTlLong(accessHash as bigint);
  if (hash !== 0n && hash !== u.accessHash) {
    throw new RpcError(400, errorMessage, `wrong access_hash for user ${u.id}`);
  }
}

/**
 * An input peer (a parsed `InputPeer`; gramjs types request fields loosely as EntityLike) as a store peer key.
 * @throws RpcError 400 PEER_ID_INVALID for unknown peers or wrong access hashes, CHANNEL_INVALID for channels.
 */
export function peerFromInput(store: SandboxStore, input: unknown): PeerKey {
  if (input instanceof Api.InputPeerSelf) return userPeer(store.account.id);
  if (input instanceof Api.InputPeerUser || input instanceof Api.InputPeerUserFromMessage) {
    const u = store.user(tlId(input.userId));
    if (!u) throw new RpcError(400, 'PEER_ID_INVALID', `unknown user ${input.userId.toString()}`);
    if (input instanceof Api.InputPeerUser) checkAccessHash(u, input.accessHash, 'PEER_ID_INVALID');
    return userPeer(u.id);
  }
  if (input instanceof Api.InputPeerChat) {
    const c = store.memberChat(tlId(input.chatId));
    if (!c) {
      throw new RpcError(400, 'PEER_ID_INVALID', `unknown chat ${input.chatId.toString()}`);
    }
    return chatPeer(c.id);
  }
  if (input instanceof Api.InputPeerChannel || input instanceof Api.InputPeerChannelFromMessage) {
    throw new RpcError(400, 'CHANNEL_INVALID', 'the sandbox has no channels');
  }
  throw new RpcError(
    400,
    'PEER_ID_INVALID',
    `unsupported input peer ${(input as { className?: string }).className}`,
  );
}

/**
 * An input user (a parsed `InputUser`) as a store user, or undefined when unknown.
 * @throws RpcError 400 USER_ID_INVALID for a wrong access hash.
 */
export function userFromInput(store: SandboxStore, input: unknown): UserRecord | undefined {
  if (input instanceof Api.InputUserSelf) return store.account;
  if (input instanceof Api.InputUser || input instanceof Api.InputUserFromMessage) {
    const u = store.user(tlId(input.userId));
    if (u && input instanceof Api.InputUser) checkAccessHash(u, input.accessHash, 'USER_ID_INVALID');
    return u;
  }
  return undefined;
}
