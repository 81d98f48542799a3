/**
 * messages.search (one dialog) and messages.searchGlobal (every dialog): text queries as `state/textSearch.ts`
 * matches them, the media and pinned filters, sender and date bounds, and Telegram's paging — search in a dialog
 * pages like getHistory (offset_id, add_offset, limit, max_id, min_id); global search pages by
 * (offset_rate, offset_peer, offset_id) with `next_rate` in each slice, as gramjs's iterator sends them.
 */
import { Api } from 'telegram';
import { RpcError } from '../mtproto/rpcError.js';
import { documentKind } from '../state/media.js';
import type { PeerKey } from '../state/peers.js';
import { compareNewestFirst, type MessageRecord, type SandboxStore } from '../state/store.js';
import { TextQuery } from '../state/textSearch.js';
import { apiMessage, entitiesFor, peerFromInput } from './apiObjects.js';
import { type MethodHandler, method } from './context.js';
import { clampLimit, historyPage, messagesAnswer } from './messages.js';

/**
 * The predicate of a MessagesFilter. Implemented: empty, pinned, photos, video, photo+video, documents (plain
 * files), voice, round video, voice+round, music, GIFs, URLs.
 * @throws RpcError 400 SEARCH_FILTER_NOT_IMPLEMENTED_SANDBOX for the others (geo, contacts, calls, mentions…).
 */
function messageFilter(filter: unknown): (m: MessageRecord) => boolean {
  const doc = (m: MessageRecord) => (m.media?.kind === 'document' ? documentKind(m.media) : undefined);
  if (filter === undefined || filter instanceof Api.InputMessagesFilterEmpty) return () => true;
  if (filter instanceof Api.InputMessagesFilterPinned) return (m) => m.pinned;
  if (filter instanceof Api.InputMessagesFilterPhotos) return (m) => m.media?.kind === 'photo';
  if (filter instanceof Api.InputMessagesFilterVideo) return (m) => doc(m) === 'video';
  if (filter instanceof Api.InputMessagesFilterPhotoVideo) {
    return (m) => m.media?.kind === 'photo' || doc(m) === 'video';
  }
  if (filter instanceof Api.InputMessagesFilterDocument) return (m) => doc(m) === 'file';
  if (filter instanceof Api.InputMessagesFilterVoice) return (m) => doc(m) === 'voice';
  if (filter instanceof Api.InputMessagesFilterRoundVideo) return (m) => doc(m) === 'round';
  if (filter instanceof Api.InputMessagesFilterRoundVoice) return (m) => doc(m) === 'voice' || doc(m) === 'round';
  if (filter instanceof Api.InputMessagesFilterMusic) return (m) => doc(m) === 'audio';
  if (filter instanceof Api.InputMessagesFilterGif) return (m) => doc(m) === 'animation';
  if (filter instanceof Api.InputMessagesFilterUrl) return (m) => /\bhttps?:\/\/\S/i.test(m.text);
  throw new RpcError(
    400,
    'SEARCH_FILTER_NOT_IMPLEMENTED_SANDBOX',
    `${(filter as { className?: string }).className} is not implemented`,
  );
}

/**
 * Messages (not service notices) matching the query, filter and date bounds (min_date/max_date exclusive,
 * ≤ 0 = none).
 */
function matching(
  list: MessageRecord[],
  q: TextQuery,
  filter: (m: MessageRecord) => boolean,
  minDate: number,
  maxDate: number,
): MessageRecord[] {
  return list.filter(
    (m) =>
      !m.action &&
      (minDate > 0 ? m.date > minDate : true) &&
      (maxDate > 0 ? m.date < maxDate : true) &&
      filter(m) &&
      q.matches(m.text),
  );
}

/**
 * messages.search: messages of one dialog matching `q` (all when empty), `filter`, `from_id` and the date
 * bounds, newest first, paged like getHistory; `count` is the number of matches. Channels answer
 * messages.channelMessages.
 * @throws 400 PEER_ID_INVALID / CHANNEL_INVALID / CHANNEL_PRIVATE, SEARCH_FILTER_NOT_IMPLEMENTED_SANDBOX.
 */
const search = method(Api.messages.Search, (req, ctx) => {
  const store = ctx.store;
  const peer = peerFromInput(store, req.peer);
  let fromId: number | undefined;
  if (req.fromId != null) {
    const from = peerFromInput(store, req.fromId);
    if (!from.startsWith('user:')) throw new RpcError(400, 'FROM_PEER_INVALID', 'from_id must be a user');
    fromId = Number(from.slice('user:'.length));
  }
  const found = matching(
    store.history(peer).reverse(),
    new TextQuery(req.q),
    messageFilter(req.filter),
    req.minDate ?? 0,
    req.maxDate ?? 0,
  ).filter((m) => fromId === undefined || m.fromId === fromId);
  const page = historyPage(found, {
    offsetId: req.offsetId,
    offsetDate: 0,
    addOffset: req.addOffset,
    limit: req.limit,
    maxId: req.maxId,
    minId: req.minId,
  });
  return messagesAnswer(store, peer, page, found.length);
});

/** Where a global search page starts (after the message named by offset_peer/offset_id, else before offset_rate). */
function globalCursor(
  store: SandboxStore,
  offsetPeer: PeerKey | undefined,
  offsetId: number,
  offsetRate: number,
): (m: MessageRecord) => boolean {
  const anchor =
    offsetId > 0
      ? offsetPeer !== undefined
        ? store.messageIn(offsetPeer, offsetId)
        : store.message(offsetId)?.date === offsetRate
          ? store.message(offsetId)
          : undefined
      : undefined;
  if (anchor) return (m) => compareNewestFirst(anchor, m) < 0;
  if (offsetRate > 0) return (m) => m.date < offsetRate;
  return () => true;
}

/**
 * messages.searchGlobal: messages of every dialog the account can see matching `q` and `filter`, newest first
 * (optionally only broadcasts, groups or private chats). A page that is not the last is a messagesSlice whose
 * `next_rate` (the last message's date) continues the search with offset_peer/offset_id.
 * @throws 400 SEARCH_QUERY_EMPTY (empty `q` with no filter), SEARCH_FILTER_NOT_IMPLEMENTED_SANDBOX.
 */
const searchGlobal = method(Api.messages.SearchGlobal, (req, ctx) => {
  const store = ctx.store;
  const q = new TextQuery(req.q);
  const emptyFilter = req.filter === undefined || req.filter instanceof Api.InputMessagesFilterEmpty;
  if (q.empty && emptyFilter) throw new RpcError(400, 'SEARCH_QUERY_EMPTY', 'give a query or a filter');
  if (req.folderId === 1) return new Api.messages.Messages({ messages: [], chats: [], users: [] });
  const kindOf = (m: MessageRecord) => {
    if (m.peer.startsWith('user:')) return 'user';
    if (m.peer.startsWith('chat:')) return 'group';
    return store.channel(Number(m.peer.slice('channel:'.length)))?.megagroup ? 'group' : 'broadcast';
  };
  const visible = new Set(store.dialogList(false).map((d) => d.peer));
  const found = matching(
    store.allMessages().filter((m) => visible.has(m.peer)),
    q,
    messageFilter(req.filter),
    req.minDate ?? 0,
    req.maxDate ?? 0,
  )
    .filter((m) => {
      const kind = kindOf(m);
      if (req.usersOnly) return kind === 'user';
      if (req.groupsOnly) return kind === 'group';
      if (req.broadcastsOnly) return kind === 'broadcast';
      return true;
    })
    .sort(compareNewestFirst);
  let offsetPeer: PeerKey | undefined;
  if (req.offsetPeer !== undefined && !(req.offsetPeer instanceof Api.InputPeerEmpty)) {
    offsetPeer = peerFromInput(store, req.offsetPeer);
  }
  const after = globalCursor(store, offsetPeer, req.offsetId ?? 0, req.offsetRate ?? 0);
  const rest = found.filter(after);
  const page = rest.slice(0, clampLimit(req.limit));
  const { users, chats } = entitiesFor(store, [], page);
  const messages = page.map((m) => apiMessage(store, m));
  if (page.length === found.length) return new Api.messages.Messages({ messages, chats, users });
  const last = page[page.length - 1];
  return new Api.messages.MessagesSlice({
    count: found.length,
    ...(last && page.length < rest.length ? { nextRate: last.date } : {}),
    messages,
    chats,
    users,
  });
});

/** Handlers of messages.search and messages.searchGlobal. */
export const messagesSearchMethods: MethodHandler[] = [search, searchGlobal];
