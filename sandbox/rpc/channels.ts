/**
 * channels.* methods for supergroups and broadcast channels the account is in: lookups (getChannels,
 * getFullChannel, getMessages, getParticipants), reading (readHistory) and deleting (deleteMessages). Sending,
 * editing, history, search, pins and reactions go through messages.* with an InputPeerChannel.
 */
import { Api } from 'telegram';
import { RpcError } from '../mtproto/rpcError.js';
import { toTlLong } from '../mtproto/tlWire.js';
import { channelPeer } from '../state/peers.js';
import type { ChannelRecord, MessageRecord, SandboxStore } from '../state/store.js';
import { TextQuery } from '../state/textSearch.js';
import { apiChannel, apiMessage, apiUser, channelFromInput, defaultAdminRights, entitiesFor } from './apiObjects.js';
import { type MethodHandler, method } from './context.js';
import { resolveInputMessages } from './messages.js';

/** channels.getChannels: the named channels. @throws 400 CHANNEL_INVALID, CHANNEL_PRIVATE. */
const getChannels = method(Api.channels.GetChannels, (req, ctx) => {
  const chats = req.id.map((input) => apiChannel(channelFromInput(ctx.store, input), ctx.store.account.id));
  return new Api.messages.Chats({ chats });
});

/**
 * channels.getFullChannel: about text, member and admin counts, the account's read marks and unread count,
 * the newest pinned message and the channel's pts.
 * @throws 400 CHANNEL_INVALID, CHANNEL_PRIVATE.
 */
const getFullChannel = method(Api.channels.GetFullChannel, (req, ctx) => {
  const store = ctx.store;
  const c = channelFromInput(store, req.channel);
  const peer = channelPeer(c.id);
  const d = store.dialog(peer);
  const pinned = store.pinnedIds(peer).at(-1);
  const admin = store.isChannelAdmin(c, store.account.id);
  return new Api.messages.ChatFull({
    fullChat: new Api.ChannelFull({
      id: toTlLong(c.id),
      about: c.about,
      participantsCount: c.memberIds.length,
      adminsCount: new Set([c.creatorId, ...c.adminIds]).size,
      canViewParticipants: c.megagroup || admin,
      readInboxMaxId: d.readInboxMaxId,
      readOutboxMaxId: d.readOutboxMaxId,
      unreadCount: store.unreadCount(peer),
      chatPhoto: new Api.PhotoEmpty({ id: toTlLong(0) }),
      notifySettings: new Api.PeerNotifySettings({}),
      botInfo: [],
      pts: store.boxFor(peer).pts,
      ...(pinned !== undefined ? { pinnedMsgId: pinned } : {}),
    }),
    chats: [apiChannel(c, store.account.id)],
    users: [],
  });
});

/** channels.getMessages: by id from the channel's box; messageEmpty for ids that do not exist. */
const getMessages = method(Api.channels.GetMessages, (req, ctx) => {
  const store = ctx.store;
  const c = channelFromInput(store, req.channel);
  const peer = channelPeer(c.id);
  if (req.id.length === 0) throw new RpcError(400, 'MESSAGE_IDS_EMPTY', 'no message ids');
  const found = resolveInputMessages((id) => store.messageIn(peer, id), req.id);
  const records = found.filter((m): m is MessageRecord => typeof m !== 'number');
  const { users, chats } = entitiesFor(store, [peer], records);
  return new Api.messages.ChannelMessages({
    pts: store.boxFor(peer).pts,
    count: found.length,
    messages: found.map((m) => (typeof m === 'number' ? new Api.MessageEmpty({ id: m }) : apiMessage(store, m))),
    topics: [],
    chats,
    users,
  });
});

/** A channel member as channelParticipant* (the account itself as channelParticipantSelf unless it is an admin). */
function apiParticipant(store: SandboxStore, c: ChannelRecord, userId: number): Api.TypeChannelParticipant {
  const me = store.account.id;
  if (userId === c.creatorId) {
    return new Api.ChannelParticipantCreator({
      userId: toTlLong(userId),
      adminRights: defaultAdminRights(c.megagroup),
    });
  }
  if (c.adminIds.includes(userId)) {
    return new Api.ChannelParticipantAdmin({
      userId: toTlLong(userId),
      self: userId === me,
      ...(userId === me ? { inviterId: toTlLong(c.creatorId) } : {}),
      promotedBy: toTlLong(c.creatorId),
      date: c.date,
      adminRights: defaultAdminRights(c.megagroup),
    });
  }
  if (userId === me) {
    return new Api.ChannelParticipantSelf({
      userId: toTlLong(userId),
      inviterId: toTlLong(c.creatorId),
      date: c.date,
    });
  }
  return new Api.ChannelParticipant({ userId: toTlLong(userId), date: c.date });
}

/**
 * channels.getParticipants: members (recent, admins, or searched by name with channelParticipantsSearch),
 * paged by offset/limit (≤ 200). Subscribers of a broadcast channel are visible to its admins only.
 * @throws 400 CHANNEL_INVALID, CHANNEL_PRIVATE; 403 CHAT_ADMIN_REQUIRED for a broadcast channel's subscribers.
 */
const getParticipants = method(Api.channels.GetParticipants, (req, ctx) => {
  const store = ctx.store;
  const c = channelFromInput(store, req.channel);
  if (!c.megagroup && !store.isChannelAdmin(c, store.account.id)) {
    throw new RpcError(403, 'CHAT_ADMIN_REQUIRED', `only admins see who is in channel ${c.id}`);
  }
  const rest = c.memberIds.filter((id) => id !== c.creatorId && !c.adminIds.includes(id));
  let ids = [c.creatorId, ...c.adminIds, ...rest];
  const f = req.filter;
  if (f instanceof Api.ChannelParticipantsAdmins) ids = ids.filter((id) => store.isChannelAdmin(c, id));
  else if (f instanceof Api.ChannelParticipantsSearch || f instanceof Api.ChannelParticipantsContacts) {
    const q = new TextQuery(f.q);
    ids = ids.filter((id) => {
      const u = store.user(id);
      if (!u || (f instanceof Api.ChannelParticipantsContacts && !u.contact)) return false;
      return q.matches([u.firstName, u.lastName, u.username].filter(Boolean).join(' '));
    });
  } else if (f instanceof Api.ChannelParticipantsBots) ids = ids.filter((id) => store.user(id)?.bot);
  else if (f instanceof Api.ChannelParticipantsKicked || f instanceof Api.ChannelParticipantsBanned) ids = [];
  const offset = Math.max(0, req.offset ?? 0);
  const page = ids.slice(offset, offset + Math.max(0, Math.min(200, req.limit ?? 0)));
  return new Api.channels.ChannelParticipants({
    count: ids.length,
    participants: page.map((id) => apiParticipant(store, c, id)),
    chats: [],
    users: page.map((id) => store.user(id)).filter((u) => u !== undefined).map((u) => apiUser(u!)),
  });
});

/**
 * channels.readHistory: moves the account's read mark in the channel (max_id 0 = all); its other sessions get
 * updateReadChannelInbox. The channel's pts does not move (read marks are per user).
 * @throws 400 CHANNEL_INVALID, CHANNEL_PRIVATE.
 */
const readHistory = method(Api.channels.ReadHistory, (req, ctx) => {
  const c = channelFromInput(ctx.store, req.channel);
  const { change, changed } = ctx.store.readHistory(channelPeer(c.id), req.maxId ?? 0);
  if (changed) ctx.feed.publish([change], ctx.session);
  return true;
});

/**
 * channels.deleteMessages: deletes for everyone (the account's own messages, or any as an admin); unknown ids are
 * skipped. Other sessions get updateDeleteChannelMessages.
 * @throws 400 CHANNEL_INVALID, CHANNEL_PRIVATE; 403 MESSAGE_DELETE_FORBIDDEN.
 */
const deleteMessages = method(Api.channels.DeleteMessages, (req, ctx) => {
  const c = channelFromInput(ctx.store, req.channel);
  const { change } = ctx.store.deleteChannelMessages(c.id, req.id);
  ctx.feed.publish([change], ctx.session);
  return new Api.messages.AffectedMessages({ pts: change.pts, ptsCount: change.ptsCount });
});

/** Handlers of the channels namespace. */
export const channelsMethods: MethodHandler[] = [
  getChannels,
  getFullChannel,
  getMessages,
  getParticipants,
  readHistory,
  deleteMessages,
];
