/**
 * messages.* methods over the account's dialogs: dialogs, history, lookups, sending, reading, editing and
 * deleting — for private chats, basic groups, supergroups and channels. Paging follows Telegram: results are
 * newest first; `offset_id` returns messages with smaller ids, `add_offset` shifts the window (negative =
 * newer), `max_id`/`min_id` are exclusive bounds. Channel histories come as messages.channelMessages with the
 * channel's pts.
 */
import { Api } from 'telegram';
import { RpcError } from '../mtproto/rpcError.js';
import { fromTlLong, tlId, toTlLong } from '../mtproto/tlWire.js';
import type { PeerKey } from '../state/peers.js';
import {
  type BoxChange,
  compareNewestFirst,
  type DialogRecord,
  type MessageRecord,
  type SandboxStore,
} from '../state/store.js';
import { apiEntities, entitiesFromInput } from './apiEntities.js';
import { apiChat, apiDialog, apiMessage, apiUser, entitiesFor, peerFromInput } from './apiObjects.js';
import { type AuthorizedContext, type MethodHandler, method } from './context.js';

/** Most items one call returns (Telegram's cap for dialogs and history). */
export const MAX_LIMIT = 100;

/** A requested limit clamped to 0–100. */
export function clampLimit(limit: number): number {
  return Math.max(0, Math.min(MAX_LIMIT, limit || 0));
}

/** Dialogs with their top messages and entities, as messages.dialogs / messages.peerDialogs carry them. */
function dialogsPayload(store: SandboxStore, dialogs: DialogRecord[]) {
  const tops = dialogs.map((d) => store.topMessage(d.peer)).filter((m): m is MessageRecord => m !== undefined);
  const { users, chats } = entitiesFor(
    store,
    dialogs.map((d) => d.peer),
    tops,
  );
  return {
    dialogs: dialogs.map((d) => apiDialog(store, d)),
    messages: tops.map((m) => apiMessage(store, m)),
    chats,
    users,
  };
}

/**
 * Where a dialog page starts: the message (offset_peer, offset_id) when it exists — dialogs whose top message
 * is older come next — else just dialogs whose top message is older than offset_date (or, with no peer, whose
 * top id is below offset_id in the account's box).
 */
function dialogCursor(
  store: SandboxStore,
  offsetPeer: PeerKey | undefined,
  offsetId: number,
  offsetDate: number,
): (top: MessageRecord) => boolean {
  const anchor =
    offsetPeer !== undefined && offsetId > 0
      ? store.messageIn(offsetPeer, offsetId)
      : offsetId > 0 && store.message(offsetId)?.date === offsetDate
        ? store.message(offsetId)
        : undefined;
  if (anchor) return (top) => compareNewestFirst(anchor, top) < 0;
  if (offsetDate > 0) return (top) => top.date < offsetDate;
  return (top) => !top.peer.startsWith('channel:') && top.id < offsetId;
}

/**
 * messages.getDialogs: dialogs ordered by top message date, newest first; pinned ones lead the first page.
 * Later pages start after (offset_date, offset_peer, offset_id), as gramjs's dialog iterator sends them.
 */
const getDialogs = method(Api.messages.GetDialogs, (req, ctx) => {
  const store = ctx.store;
  if (req.folderId === 1) return new Api.messages.Dialogs({ dialogs: [], messages: [], chats: [], users: [] });
  const all = store.dialogList(false);
  const offsetId = req.offsetId ?? 0;
  const offsetDate = req.offsetDate ?? 0;
  const firstPage = offsetId <= 0 && offsetDate <= 0;
  let list: DialogRecord[];
  if (firstPage) {
    const pinned = req.excludePinned ? [] : store.dialogList(true).filter((d) => d.pinned);
    list = [...pinned, ...all.filter((d) => !d.pinned)];
  } else {
    let offsetPeer: PeerKey | undefined;
    try {
      offsetPeer = req.offsetPeer instanceof Api.InputPeerEmpty ? undefined : peerFromInput(store, req.offsetPeer);
    } catch {
      offsetPeer = undefined;
    }
    const after = dialogCursor(store, offsetPeer, offsetId, offsetDate);
    list = all.filter((d) => !d.pinned && after(store.topMessage(d.peer)!));
  }
  const page = list.slice(0, clampLimit(req.limit) || MAX_LIMIT);
  const payload = dialogsPayload(store, page);
  if (firstPage && page.length === all.length) return new Api.messages.Dialogs(payload);
  return new Api.messages.DialogsSlice({ count: all.length, ...payload });
});

/** messages.getPeerDialogs: the named dialogs (read marks, unread counts, top messages) and the update state. */
const getPeerDialogs = method(Api.messages.GetPeerDialogs, (req, ctx) => {
  const store = ctx.store;
  const dialogs = req.peers.map((p) => {
    if (!(p instanceof Api.InputDialogPeer)) {
      throw new RpcError(400, 'PEER_ID_INVALID', 'folder peers are not supported');
    }
    return store.dialog(peerFromInput(store, p.peer));
  });
  return new Api.messages.PeerDialogs({
    ...dialogsPayload(store, dialogs),
    state: updatesState(store),
  });
});

/** The account's updates.State now: its box's pts, no qts, seq 0, total unread. */
export function updatesState(store: SandboxStore): Api.updates.State {
  return new Api.updates.State({
    pts: store.pts,
    qts: 0,
    date: Math.floor(Date.now() / 1000),
    seq: 0,
    unreadCount: store.totalUnread(),
  });
}

/** Paging parameters shared by messages.getHistory and messages.search. */
export interface HistoryWindow {
  offsetId: number;
  offsetDate: number;
  addOffset: number;
  limit: number;
  maxId: number;
  minId: number;
}

/**
 * One page of a dialog's messages (given newest first): bounded by `max_id`/`min_id` (exclusive, ≤ 0 = none),
 * starting at the first message older than `offset_id` (or `offset_date` when no offset_id), shifted by
 * `add_offset`, at most `limit` (≤ 100) messages.
 */
export function historyPage(newestFirst: MessageRecord[], w: HistoryWindow): MessageRecord[] {
  const bounded = newestFirst.filter(
    (m) => (w.maxId > 0 ? m.id < w.maxId : true) && (w.minId > 0 ? m.id > w.minId : true),
  );
  let start = 0;
  if (w.offsetId > 0) {
    start = bounded.findIndex((m) => m.id < w.offsetId);
    if (start < 0) start = bounded.length;
  } else if (w.offsetDate > 0) {
    start = bounded.findIndex((m) => m.date < w.offsetDate);
    if (start < 0) start = bounded.length;
  }
  start += w.addOffset || 0;
  const end = start + clampLimit(w.limit);
  return bounded.slice(Math.max(0, start), Math.max(0, end));
}

/**
 * The answer for a page of a dialog's messages out of `total`: messages.channelMessages (with the channel's
 * pts) for channels, messages.messages when the page is everything, messages.messagesSlice otherwise.
 */
export function messagesAnswer(
  store: SandboxStore,
  peer: PeerKey | undefined,
  page: MessageRecord[],
  total: number,
): Api.messages.TypeMessages {
  const { users, chats } = entitiesFor(store, peer ? [peer] : [], page);
  const messages = page.map((m) => apiMessage(store, m));
  if (peer?.startsWith('channel:')) {
    return new Api.messages.ChannelMessages({
      pts: store.boxFor(peer).pts,
      count: total,
      messages,
      topics: [],
      chats,
      users,
    });
  }
  if (page.length === total) return new Api.messages.Messages({ messages, chats, users });
  return new Api.messages.MessagesSlice({ count: total, messages, chats, users });
}

/** messages.getHistory: one page of a dialog (see {@link historyPage}), with the dialog's total `count`. */
const getHistory = method(Api.messages.GetHistory, (req, ctx) => {
  const store = ctx.store;
  const peer = peerFromInput(store, req.peer);
  const history = store.history(peer).reverse();
  const page = historyPage(history, {
    offsetId: req.offsetId,
    offsetDate: req.offsetDate,
    addOffset: req.addOffset ?? 0,
    limit: req.limit,
    maxId: req.maxId,
    minId: req.minId,
  });
  return messagesAnswer(store, peer, page, history.length);
});

/**
 * Message ids named by `InputMessage`s in a box: by id, or the message another one replies to. Ids that do not
 * resolve come back as numbers (answered as messageEmpty).
 */
export function resolveInputMessages(
  lookup: (id: number) => MessageRecord | undefined,
  inputs: Api.TypeInputMessage[],
): Array<MessageRecord | number> {
  return inputs.map((input) => {
    let id = 0;
    if (input instanceof Api.InputMessageID) id = input.id;
    else if (input instanceof Api.InputMessageReplyTo) id = lookup(input.id)?.replyTo ?? 0;
    return lookup(id) ?? id;
  });
}

/** messages.getMessages: by id from the account's box (private chats, basic groups); messageEmpty for the rest. */
const getMessages = method(Api.messages.GetMessages, (req, ctx) => {
  const store = ctx.store;
  const found = resolveInputMessages((id) => store.message(id), req.id);
  const records = found.filter((m): m is MessageRecord => typeof m !== 'number');
  const { users, chats } = entitiesFor(store, [], records);
  return new Api.messages.Messages({
    messages: found.map((m) => (typeof m === 'number' ? new Api.MessageEmpty({ id: m }) : apiMessage(store, m))),
    chats,
    users,
  });
});

/** messages.getChats: the basic groups the account is in, among the ids asked. */
const getChats = method(Api.messages.GetChats, (req, ctx) => {
  const chats = req.id
    .map((id) => ctx.store.memberChat(tlId(id)))
    .filter((c) => c !== undefined)
    .map((c) => apiChat(c, ctx.store.account.id));
  return new Api.messages.Chats({ chats });
});

/**
 * messages.getFullChat: a basic group with its participants (what gramjs's getParticipants reads) and its
 * newest pinned message.
 * @throws 400 CHAT_ID_INVALID for groups the account is not in.
 */
const getFullChat = method(Api.messages.GetFullChat, (req, ctx) => {
  const store = ctx.store;
  const c = store.memberChat(tlId(req.chatId));
  if (!c) throw new RpcError(400, 'CHAT_ID_INVALID', 'unknown chat');
  const participants = c.memberIds.map((id) =>
    id === c.creatorId
      ? new Api.ChatParticipantCreator({ userId: toTlLong(id) })
      : new Api.ChatParticipant({ userId: toTlLong(id), inviterId: toTlLong(c.creatorId), date: c.date }),
  );
  const pinned = store.pinnedIds(`chat:${c.id}`).at(-1);
  return new Api.messages.ChatFull({
    fullChat: new Api.ChatFull({
      id: toTlLong(c.id),
      about: '',
      participants: new Api.ChatParticipants({ chatId: toTlLong(c.id), participants, version: c.version }),
      notifySettings: new Api.PeerNotifySettings({}),
      ...(pinned !== undefined ? { pinnedMsgId: pinned } : {}),
    }),
    chats: [apiChat(c, store.account.id)],
    users: c.memberIds
      .map((id) => store.user(id))
      .filter((u) => u !== undefined)
      .map((u) => apiUser(u!)),
  });
});

/**
 * The answer to a call that created messages (sendMessage, sendMedia, forwardMessages): updateMessageID for each
 * random_id, then the new-message updates, in `updates` — what gramjs maps back to the sent Message objects.
 */
export function sentUpdates(
  ctx: AuthorizedContext,
  sent: Array<{ message: MessageRecord; randomId: bigint }>,
  updates: Api.TypeUpdate[],
): Api.Updates {
  const ids = sent.map(
    ({ message, randomId }) => new Api.UpdateMessageID({ id: message.id, randomId: toTlLong(randomId) }),
  );
  const peers = [...new Set(sent.map((s) => s.message.peer))];
  return ctx.feed.wrap([...ids, ...updates], peers, sent.map((s) => s.message));
}

/** The update a new message would have been announced with, at the current pts (for a deduplicated resend). */
export function replayedNewMessage(ctx: AuthorizedContext, m: MessageRecord): Api.TypeUpdate {
  const box = ctx.store.boxFor(m.peer);
  const change: BoxChange = {
    pts: box.pts,
    ptsCount: 0,
    event: { kind: 'new', peer: m.peer, id: m.id },
    ...(box.channelId !== undefined ? { channelId: box.channelId } : {}),
  };
  return ctx.feed.updateFor(change)!;
}

/**
 * What sendMessage answers: updateShortSentMessage in private chats (as Telegram does), otherwise `updates`
 * with updateMessageID (random_id → id) and updateNewMessage / updateNewChannelMessage, so gramjs resolves the
 * sent Message either way.
 */
function sentMessageResult(
  ctx: AuthorizedContext,
  m: MessageRecord,
  update: Api.TypeUpdate,
  randomId: bigint,
): Api.TypeUpdates {
  if (m.peer.startsWith('user:')) {
    const pts = 'pts' in update ? (update.pts as number) : ctx.store.pts;
    const ptsCount = 'ptsCount' in update ? (update.ptsCount as number) : 0;
    return new Api.UpdateShortSentMessage({
      out: true,
      id: m.id,
      pts,
      ptsCount,
      date: m.date,
      ...(m.entities ? { entities: apiEntities(m.entities) } : {}),
    });
  }
  return sentUpdates(ctx, [{ message: m, randomId }], [update]);
}

/**
 * messages.sendMessage: appends to the dialog and pushes the new message to the account's other sessions.
 * A repeated random_id returns the first send's message instead of sending again (a retried call after a
 * reconnect must not send twice).
 * @throws 400 MESSAGE_EMPTY, MESSAGE_TOO_LONG (> 4096 characters), PEER_ID_INVALID, REPLY_MESSAGE_ID_INVALID,
 *   CHANNEL_INVALID / CHANNEL_PRIVATE; 403 CHAT_WRITE_FORBIDDEN (a broadcast channel the account does not run).
 */
const sendMessage = method(Api.messages.SendMessage, (req, ctx) => {
  const store = ctx.store;
  const peer = peerFromInput(store, req.peer);
  const randomId = fromTlLong(req.randomId ?? 0);
  const previous = store.messageForRandomId(randomId.toString());
  if (previous) return sentMessageResult(ctx, previous, replayedNewMessage(ctx, previous), randomId);
  if (req.scheduleDate) throw new RpcError(400, 'SCHEDULED_MESSAGES_NOT_IMPLEMENTED_SANDBOX');
  const text = req.message ?? '';
  if (text.trim().length === 0) throw new RpcError(400, 'MESSAGE_EMPTY', 'the message text is empty');
  if (text.length > 4096) throw new RpcError(400, 'MESSAGE_TOO_LONG', `${text.length} characters, at most 4096`);
  const entities = entitiesFromInput(text, req.entities);
  const replyTo = req.replyTo instanceof Api.InputReplyToMessage ? req.replyTo.replyToMsgId : undefined;
  const { message, change } = store.appendMessage({
    peer,
    fromId: store.account.id,
    text,
    entities,
    source: 'mtproto',
    randomId: randomId.toString(),
    silent: req.silent ?? false,
    ...(replyTo ? { replyTo } : {}),
  });
  const [update] = ctx.feed.publish([change], ctx.session);
  return sentMessageResult(ctx, message, update!, randomId);
});

/**
 * messages.readHistory (private chats and basic groups): moves the dialog's read mark (max_id 0 = all) and tells
 * the account's other sessions (updateReadHistoryInbox).
 * @throws 400 CHANNEL_INVALID for channels (they use channels.readHistory).
 */
const readHistory = method(Api.messages.ReadHistory, (req, ctx) => {
  const peer = peerFromInput(ctx.store, req.peer);
  if (peer.startsWith('channel:')) {
    throw new RpcError(400, 'CHANNEL_INVALID', 'use channels.readHistory for channels');
  }
  const { change } = ctx.store.readHistory(peer, req.maxId ?? 0);
  ctx.feed.publish([change], ctx.session);
  return new Api.messages.AffectedMessages({ pts: change.pts, ptsCount: change.ptsCount });
});

/**
 * messages.editMessage: new text (or caption) for one of the account's own messages; answers `updates` with
 * updateEditMessage / updateEditChannelMessage (gramjs returns the edited Message from it).
 * @throws 400 MESSAGE_ID_INVALID, MESSAGE_NOT_MODIFIED, MESSAGE_EMPTY; 403 MESSAGE_AUTHOR_REQUIRED.
 */
const editMessage = method(Api.messages.EditMessage, (req, ctx) => {
  const peer = peerFromInput(ctx.store, req.peer);
  if (req.media) throw new RpcError(400, 'MEDIA_NOT_IMPLEMENTED_SANDBOX', 'replacing media is not implemented');
  if (req.message === undefined || req.message === null) {
    throw new RpcError(400, 'MESSAGE_NOT_MODIFIED', 'no new text given');
  }
  const entities = entitiesFromInput(req.message, req.entities);
  const { message, change } = ctx.store.editMessage(peer, req.id, req.message, entities);
  const updates = ctx.feed.publish([change], ctx.session);
  return ctx.feed.wrap(updates, [peer], [message]);
});

/**
 * messages.deleteMessages: deletes from the account's box (private chats and basic groups; ids that do not exist
 * are skipped). `revoke` deletes for everyone, otherwise for the account only (see SandboxStore.deleteMessages).
 * @throws 403 MESSAGE_DELETE_FORBIDDEN for revoking someone else's message in a group the account did not create.
 */
const deleteMessages = method(Api.messages.DeleteMessages, (req, ctx) => {
  const { change } = ctx.store.deleteMessages(req.id, req.revoke ?? false);
  ctx.feed.publish([change], ctx.session);
  return new Api.messages.AffectedMessages({ pts: change.pts, ptsCount: change.ptsCount });
});

/** Handlers of the messages namespace defined here (search, forward, reactions, pins and media live beside it). */
export const messagesMethods: MethodHandler[] = [
  getDialogs,
  getPeerDialogs,
  getHistory,
  getMessages,
  getChats,
  getFullChat,
  sendMessage,
  readHistory,
  editMessage,
  deleteMessages,
];
