/**
 * updates.* methods: the account's update state, and catching up after a gap (core.telegram.org/api/updates).
 *
 * updates.getDifference answers from the account box's change log: new messages (as they are now) in
 * `new_messages`, every other change (edits, deletions, read marks, pins) in `other_updates` with its pts.
 * Supergroups and channels have their own pts and are caught up per channel with updates.getChannelDifference,
 * starting from the pts the client last saw (e.g. the dialog's `pts`). `seq` stays 0: every update the sandbox
 * sends is pts-ordered.
 */
import { Api } from 'telegram';
import { RpcError } from '../mtproto/rpcError.js';
import type { BoxChange, BoxDifference, MessageBox } from '../state/messageBox.js';
import { channelPeer, type PeerKey } from '../state/peers.js';
import type { MessageRecord, SandboxStore } from '../state/store.js';
import { apiDialog, apiMessage, channelFromInput, entitiesFor } from './apiObjects.js';
import { type AuthorizedContext, type MethodHandler, method } from './context.js';
import { updatesState } from './messages.js';
import type { UpdatesFeed } from './updatesFeed.js';

/** Most pts units one updates.getDifference answer covers before it becomes a differenceSlice. */
export const DIFFERENCE_PTS_LIMIT = 1000;
/** Seconds a client should wait before polling a channel's difference again. */
const CHANNEL_TIMEOUT_S = 30;

/** updates.getState: the account's pts, now, and its total unread count. */
const getState = method(Api.updates.GetState, (_req, ctx) => updatesState(ctx.store));

/**
 * Changes after `pts`, checked.
 * @throws RpcError 400 PERSISTENT_TIMESTAMP_EMPTY (pts ≤ 0), PERSISTENT_TIMESTAMP_INVALID (pts ahead of the box).
 */
function changesSince(box: MessageBox, pts: number): BoxDifference {
  if (!Number.isInteger(pts) || pts <= 0) throw new RpcError(400, 'PERSISTENT_TIMESTAMP_EMPTY', `pts ${pts}`);
  try {
    return box.since(pts);
  } catch (err) {
    throw new RpcError(400, 'PERSISTENT_TIMESTAMP_INVALID', (err as Error).message);
  }
}

/** The first changes after `pts` that fit in `limit` pts units (always at least one). */
function firstChanges(changes: BoxChange[], pts: number, limit: number): BoxChange[] {
  const cut = changes.findIndex((c, i) => i > 0 && c.pts - pts > limit);
  return cut < 0 ? changes : changes.slice(0, cut);
}

/**
 * A run of changes as a difference: the messages created in it that still exist (as they are now), and the
 * other changes as updates — minus edits of messages created in the same run (already current in
 * new_messages) or since deleted.
 */
function renderChanges(
  store: SandboxStore,
  feed: UpdatesFeed,
  changes: BoxChange[],
): { newMessages: MessageRecord[]; otherUpdates: Api.TypeUpdate[]; peers: PeerKey[] } {
  const created = new Set<number>();
  const newMessages: MessageRecord[] = [];
  const otherUpdates: Api.TypeUpdate[] = [];
  const peers = new Set<PeerKey>();
  for (const c of changes) {
    const e = c.event;
    if (e.kind !== 'delete') peers.add(e.peer);
    if (e.kind === 'new') {
      created.add(e.id);
      const m = store.messageIn(e.peer, e.id);
      if (m) newMessages.push(m);
      continue;
    }
    if (e.kind === 'edit' && (created.has(e.id) || !store.messageIn(e.peer, e.id))) continue;
    const update = feed.updateFor(c);
    if (update) otherUpdates.push(update);
  }
  return { newMessages, otherUpdates, peers: [...peers] };
}

/** Messages referenced by other_updates (edits), for the entity vectors. */
function editedMessages(store: SandboxStore, changes: BoxChange[]): MessageRecord[] {
  return changes
    .map((c) => (c.event.kind === 'edit' ? store.messageIn(c.event.peer, c.event.id) : undefined))
    .filter((m): m is MessageRecord => m !== undefined);
}

/**
 * updates.getDifference: what happened in the account's box after `pts` (private chats and basic groups).
 * differenceEmpty when nothing; differenceTooLong when `pts` is older than the log or more than
 * `pts_total_limit` behind; differenceSlice (with the intermediate state to continue from) when more than
 * `pts_limit` (default 1000) pts units are pending; else difference with the current state.
 * @throws 400 PERSISTENT_TIMESTAMP_EMPTY, PERSISTENT_TIMESTAMP_INVALID.
 */
const getDifference = method(Api.updates.GetDifference, (req, ctx) => {
  const store = ctx.store;
  const box = store.accountBox;
  const diff = changesSince(box, req.pts);
  const now = Math.floor(Date.now() / 1000);
  if (diff.kind === 'tooLong' || (req.ptsTotalLimit != null && box.pts - req.pts > req.ptsTotalLimit)) {
    return new Api.updates.DifferenceTooLong({ pts: box.pts });
  }
  if (diff.changes.length === 0) return new Api.updates.DifferenceEmpty({ date: now, seq: 0 });
  const included = firstChanges(diff.changes, req.pts, Math.max(1, req.ptsLimit ?? DIFFERENCE_PTS_LIMIT));
  const { newMessages, otherUpdates, peers } = renderChanges(store, ctx.feed, included);
  const { users, chats } = entitiesFor(store, peers, [...newMessages, ...editedMessages(store, included)]);
  const body = {
    newMessages: newMessages.map((m) => apiMessage(store, m)),
    newEncryptedMessages: [],
    otherUpdates,
    chats,
    users,
  };
  if (included.length < diff.changes.length) {
    const intermediateState = updatesState(store);
    intermediateState.pts = included[included.length - 1]!.pts;
    return new Api.updates.DifferenceSlice({ ...body, intermediateState });
  }
  return new Api.updates.Difference({ ...body, state: updatesState(store) });
});

/**
 * updates.getChannelDifference: what happened in a supergroup or channel after `pts`. channelDifferenceEmpty
 * when nothing; channelDifferenceTooLong (the dialog and its newest `limit` messages) when `pts` is older than
 * the channel's log; otherwise channelDifference covering at most `limit` pts units, `final` when nothing is
 * left.
 * @throws 400 CHANNEL_INVALID, CHANNEL_PRIVATE, PERSISTENT_TIMESTAMP_EMPTY, PERSISTENT_TIMESTAMP_INVALID.
 */
const getChannelDifference = method(Api.updates.GetChannelDifference, (req, ctx: AuthorizedContext) => {
  const store = ctx.store;
  const channel = channelFromInput(store, req.channel);
  const peer = channelPeer(channel.id);
  const box = store.boxFor(peer);
  const limit = Math.max(1, Math.min(100_000, req.limit || 100));
  const diff = changesSince(box, req.pts);
  if (diff.kind === 'tooLong') {
    const latest = store.history(peer).reverse().slice(0, limit);
    const { users, chats } = entitiesFor(store, [peer], latest);
    return new Api.updates.ChannelDifferenceTooLong({
      final: true,
      timeout: CHANNEL_TIMEOUT_S,
      dialog: apiDialog(store, store.dialog(peer)),
      messages: latest.map((m) => apiMessage(store, m)),
      chats,
      users,
    });
  }
  if (diff.changes.length === 0) {
    return new Api.updates.ChannelDifferenceEmpty({ final: true, pts: box.pts, timeout: CHANNEL_TIMEOUT_S });
  }
  const included = firstChanges(diff.changes, req.pts, limit);
  const { newMessages, otherUpdates } = renderChanges(store, ctx.feed, included);
  const { users, chats } = entitiesFor(store, [peer], [...newMessages, ...editedMessages(store, included)]);
  return new Api.updates.ChannelDifference({
    final: included.length === diff.changes.length,
    pts: included[included.length - 1]!.pts,
    timeout: CHANNEL_TIMEOUT_S,
    newMessages: newMessages.map((m) => apiMessage(store, m)),
    otherUpdates,
    chats,
    users,
  });
});

/** Handlers of the updates namespace. */
export const updatesMethods: MethodHandler[] = [getState, getDifference, getChannelDifference];
