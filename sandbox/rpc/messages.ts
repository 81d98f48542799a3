/**
 * messages.* methods over the account's message box: dialogs, history, lookups, sending, reading, editing and
 * deleting. Paging follows Telegram: results are newest first; `offset_id` returns messages with smaller ids,
 * `add_offset` shifts the window (negative = newer), `max_id`/`min_id` are exclusive bounds.
 */
import { Api } from 'telegram';
import { RpcError } from '../mtproto/rpcError.js';
import { fromTlLong, tlId, toTlLong } from '../mtproto/tlWire.js';
import type { BoxChange, DialogRecord, MessageRecord, SandboxStore } from '../state/store.js';
import { apiChat, apiDialog, apiMessage, apiUser, entitiesFor, peerFromInput } from './apiObjects.js';
import { type AuthorizedContext, type MethodHandler, method } from './context.js';

/** Most items one call returns (Telegram's cap for dialogs and history). */
const MAX_LIMIT = 100;

function clampLimit(limit: number): number {
  return Math.max(0, Math.min(MAX_LIMIT, limit || 0));
}

/** Dialogs with their top messages and entities, as messages.dialogs / messages.peerDialogs carry them. */
function dialogsPayload(store: SandboxStore, dialogs: DialogRecord[]) {
  const tops = dialogs
    .map((d) => store.topMessage(d.peer))
    .filter((m): m is MessageRecord => m !== undefined);
  const { users, chats } = entitiesFor(
    store,
    dialogs.map((d) => d.peer),
    tops,
  );
  return { dialogs: dialogs.map((d) => apiDialog(store, d)), messages: tops.map(apiMessage), chats, users };
}

/**
 * messages.getDialogs: dialogs ordered by top message, newest first; pinned ones lead the first page.
 * With `offset_id` (or else `offset_date`) only dialogs whose top message is older are returned.
 */
const getDialogs = method(Api.messages.GetDialogs, (req, ctx) => {
  const store = ctx.store;
  if (req.folderId === 1)
    return new Api.messages.Dialogs({ dialogs: [], messages: [], chats: [], users: [] });
  const all = store.dialogList(false);
  const offsetId = req.offsetId ?? 0;
  const offsetDate = req.offsetDate ?? 0;
  const firstPage = offsetId <= 0 && offsetDate <= 0;
  let list: DialogRecord[];
  if (firstPage) {
    const pinned = req.excludePinned ? [] : store.dialogList(true).filter((d) => d.pinned);
    list = [...pinned, ...all.filter((d) => !d.pinned)];
  } else {
    list = all.filter((d) => {
      if (d.pinned) return false;
      const top = store.topMessage(d.peer)!;
      return offsetId > 0 ? top.id < offsetId : top.date < offsetDate;
    });
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
    if (!(p instanceof Api.InputDialogPeer))
      throw new RpcError(400, 'PEER_ID_INVALID', 'folder peers are not supported');
    return store.dialog(peerFromInput(store, p.peer));
  });
  return new Api.messages.PeerDialogs({
    ...dialogsPayload(store, dialogs),
    state: new Api.updates.State({
      pts: store.pts,
      qts: 0,
      date: Math.floor(Date.now() / 1000),
      seq: 0,
      unreadCount: store.totalUnread(),
    }),
  });
});

/**
 * messages.getHistory. Window: messages newest first, bounded by `max_id`/`min_id` (exclusive); start at the
 * first message older than `offset_id` (or `offset_date` when no offset_id), shifted by `add_offset`; `limit`
 * messages (≤ 100). A slice (with the dialog's total `count`) unless the whole history is returned.
 */
const getHistory = method(Api.messages.GetHistory, (req, ctx) => {
  const store = ctx.store;
  const peer = peerFromInput(store, req.peer);
  const history = store.history(peer).reverse();
  const bounded = history.filter(
    (m) => (req.maxId > 0 ? m.id < req.maxId : true) && (req.minId > 0 ? m.id > req.minId : true),
  );
  let start = 0;
  if (req.offsetId > 0) {
    start = bounded.findIndex((m) => m.id < req.offsetId);
    if (start < 0) start = bounded.length;
  } else if (req.offsetDate > 0) {
    start = bounded.findIndex((m) => m.date < req.offsetDate);
    if (start < 0) start = bounded.length;
  }
  start += req.addOffset ?? 0;
  const end = start + clampLimit(req.limit);
  const page = bounded.slice(Math.max(0, start), Math.max(0, end));
  const { users, chats } = entitiesFor(store, [peer], page);
  const messages = page.map(apiMessage);
  if (page.length === history.length) return new Api.messages.Messages({ messages, chats, users });
  return new Api.messages.MessagesSlice({ count: history.length, messages, chats, users });
});

/** messages.getMessages: by id from the account's box; messageEmpty for ids that do not exist. */
const getMessages = method(Api.messages.GetMessages, (req, ctx) => {
  const store = ctx.store;
  const found: Array<MessageRecord | number> = req.id.map((input) => {
    let id = 0;
    if (input instanceof Api.InputMessageID) id = input.id;
    else if (input instanceof Api.InputMessageReplyTo) id = store.message(input.id)?.replyTo ?? 0;
    return store.message(id) ?? id;
  });
  const records = found.filter((m): m is MessageRecord => typeof m !== 'number');
  const { users, chats } = entitiesFor(store, [], records);
  return new Api.messages.Messages({
    messages: found.map((m) => (typeof m === 'number' ? new Api.MessageEmpty({ id: m }) : apiMessage(m))),
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
 * messages.getFullChat: a basic group with its participants (what gramjs's getParticipants reads).
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
  return new Api.messages.ChatFull({
    fullChat: new Api.ChatFull({
      id: toTlLong(c.id),
      about: '',
      participants: new Api.ChatParticipants({ chatId: toTlLong(c.id), participants, version: c.version }),
      notifySettings: new Api.PeerNotifySettings({}),
    }),
    chats: [apiChat(c, store.account.id)],
    users: c.memberIds
      .map((id) => store.user(id))
      .filter((u) => u !== undefined)
      .map((u) => apiUser(u!)),
  });
});

/**
 * What sendMessage answers: updateShortSentMessage in private chats (as Telegram does), otherwise `updates`
 * with updateMessageID (random_id → id) and updateNewMessage, so gramjs resolves the sent Message either way.
 */
function sentResult(
  ctx: AuthorizedContext,
  m: MessageRecord,
  change: BoxChange,
  randomId: bigint,
): Api.TypeUpdates {
  if (m.peer.startsWith('user:')) {
    return new Api.UpdateShortSentMessage({
      out: true,
      id: m.id,
      pts: change.pts,
      ptsCount: change.ptsCount,
      date: m.date,
    });
  }
  return ctx.feed.wrap(
    [
      new Api.UpdateMessageID({ id: m.id, randomId: toTlLong(randomId) }),
      new Api.UpdateNewMessage({ message: apiMessage(m), pts: change.pts, ptsCount: change.ptsCount }),
    ],
    [m.peer],
    [m],
  );
}

/**
 * messages.sendMessage: appends to the dialog and pushes the new message to the account's other sessions.
 * A repeated random_id returns the first send's message instead of sending again (a retried call after a
 * reconnect must not send twice).
 * @throws 400 MESSAGE_EMPTY, MESSAGE_TOO_LONG (> 4096 characters), PEER_ID_INVALID, REPLY_MESSAGE_ID_INVALID.
 */
const sendMessage = method(Api.messages.SendMessage, (req, ctx) => {
  const store = ctx.store;
  const peer = peerFromInput(store, req.peer);
  const randomId = fromTlLong(req.randomId ?? 0);
  const previous = store.messageForRandomId(randomId.toString());
  if (previous) return sentResult(ctx, previous, { pts: store.pts, ptsCount: 0 }, randomId);
  if (req.scheduleDate) throw new RpcError(400, 'SCHEDULED_MESSAGES_NOT_IMPLEMENTED_SANDBOX');
  const text = req.message ?? '';
  if (text.trim().length === 0) throw new RpcError(400, 'MESSAGE_EMPTY', 'the message text is empty');
  if (text.length > 4096)
    throw new RpcError(400, 'MESSAGE_TOO_LONG', `${text.length} characters, at most 4096`);
  const replyTo = req.replyTo instanceof Api.InputReplyToMessage ? req.replyTo.replyToMsgId : undefined;
  const { message, change } = store.appendMessage({
    peer,
    fromId: store.account.id,
    text,
    source: 'mtproto',
    randomId: randomId.toString(),
    ...(replyTo ? { replyTo } : {}),
  });
  ctx.feed.newMessage(message, change, ctx.session);
  return sentResult(ctx, message, change, randomId);
});

/** messages.readHistory: moves the dialog's read mark (max_id 0 = all) and tells the account's other sessions. */
const readHistory = method(Api.messages.ReadHistory, (req, ctx) => {
  const peer = peerFromInput(ctx.store, req.peer);
  const { change, readInboxMaxId, stillUnread } = ctx.store.readHistory(peer, req.maxId ?? 0);
  if (change.ptsCount > 0) ctx.feed.readInbox(peer, readInboxMaxId, stillUnread, change, ctx.session);
  return new Api.messages.AffectedMessages({ pts: change.pts, ptsCount: change.ptsCount });
});

/**
 * messages.editMessage: new text for one of the account's own messages; answers `updates` with
 * updateEditMessage (gramjs returns the edited Message from it).
 * @throws 400 MESSAGE_ID_INVALID, MESSAGE_NOT_MODIFIED, MESSAGE_EMPTY; 403 MESSAGE_AUTHOR_REQUIRED.
 */
const editMessage = method(Api.messages.EditMessage, (req, ctx) => {
  const peer = peerFromInput(ctx.store, req.peer);
  if (req.media) throw new RpcError(400, 'MEDIA_NOT_IMPLEMENTED_SANDBOX');
  if (req.message === undefined || req.message === null) {
    throw new RpcError(400, 'MESSAGE_NOT_MODIFIED', 'no new text given');
  }
  const { message, change } = ctx.store.editMessage(peer, req.id, req.message);
  ctx.feed.editMessage(message, change, ctx.session);
  return ctx.feed.wrap(
    [new Api.UpdateEditMessage({ message: apiMessage(message), pts: change.pts, ptsCount: change.ptsCount })],
    [peer],
    [message],
  );
});

/** messages.deleteMessages: deletes from the account's box (ids that do not exist are skipped). */
const deleteMessages = method(Api.messages.DeleteMessages, (req, ctx) => {
  const { deleted, change } = ctx.store.deleteMessages(req.id);
  if (deleted.length) ctx.feed.deleteMessages(deleted, change, ctx.session);
  return new Api.messages.AffectedMessages({ pts: change.pts, ptsCount: change.ptsCount });
});

/** Handlers of the messages namespace. */
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
