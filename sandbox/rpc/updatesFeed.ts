/**
 * Updates as the account's sessions hear them. A box change (see `state/messageBox.ts`) becomes the update
 * Telegram sends for it — updateNewMessage / updateNewChannelMessage, updateEditMessage, updateDeleteMessages,
 * updateReadHistoryInbox/Outbox, updatePinnedMessages and their channel forms — both in the result of the call
 * that caused it and pushed as `updates` (with the users and chats it mentions) to every other connected session
 * of the account. The same conversion serves updates.getDifference, so what a session missed is exactly what it
 * would have been pushed.
 */
import { Api } from 'telegram';
import type { ServerSession } from '../mtproto/session.js';
import { toTlLong } from '../mtproto/tlWire.js';
import type { PeerKey } from '../state/peers.js';
import type { BoxChange, MessageRecord, SandboxStore } from '../state/store.js';
import { apiMessage, apiPeer, apiReactions, entitiesFor } from './apiObjects.js';

/** Sends serialised `Updates` to an account's connections (the MTProto server implements it). */
export interface UpdatesSink {
  pushUpdates(userId: number, body: Buffer, exceptSession?: ServerSession): number;
}

/** Builds and pushes update batches for one store. */
export class UpdatesFeed {
  constructor(
    private readonly store: SandboxStore,
    private readonly sink: UpdatesSink,
  ) {}

  /** `updates` around `list`, with the entities of `peers` and `messages`; seq 0 (pts-ordered updates only). */
  wrap(list: Api.TypeUpdate[], peers: PeerKey[], messages: MessageRecord[] = []): Api.Updates {
    const { users, chats } = entitiesFor(this.store, peers, messages);
    return new Api.Updates({ updates: list, users, chats, date: Math.floor(Date.now() / 1000), seq: 0 });
  }

  /** The message a change is about (new or edited), if it still exists. */
  messageOf(change: BoxChange): MessageRecord | undefined {
    const e = change.event;
    return e.kind === 'new' || e.kind === 'edit' ? this.store.messageIn(e.peer, e.id) : undefined;
  }

  /** Peers a change names (for the entity vectors). */
  peersOf(change: BoxChange): PeerKey[] {
    const e = change.event;
    return e.kind === 'delete' ? [] : [e.peer];
  }

  /**
   * The API update for a box change, rendering messages as they are now; undefined for a new or edited message
   * that has since been deleted.
   */
  updateFor(change: BoxChange): Api.TypeUpdate | undefined {
    const { pts, ptsCount, event: e, channelId } = change;
    const channel = channelId !== undefined ? toTlLong(channelId) : undefined;
    switch (e.kind) {
      case 'new':
      case 'edit': {
        const m = this.store.messageIn(e.peer, e.id);
        if (!m) return undefined;
        const message = apiMessage(this.store, m);
        if (e.kind === 'new') {
          return channel
            ? new Api.UpdateNewChannelMessage({ message, pts, ptsCount })
            : new Api.UpdateNewMessage({ message, pts, ptsCount });
        }
        return channel
          ? new Api.UpdateEditChannelMessage({ message, pts, ptsCount })
          : new Api.UpdateEditMessage({ message, pts, ptsCount });
      }
      case 'delete':
        return channel
          ? new Api.UpdateDeleteChannelMessages({ channelId: channel, messages: e.ids, pts, ptsCount })
          : new Api.UpdateDeleteMessages({ messages: e.ids, pts, ptsCount });
      case 'readInbox':
        return channel
          ? new Api.UpdateReadChannelInbox({
              channelId: channel,
              maxId: e.maxId,
              stillUnreadCount: this.store.unreadCount(e.peer),
              pts,
            })
          : new Api.UpdateReadHistoryInbox({
              peer: apiPeer(e.peer),
              maxId: e.maxId,
              stillUnreadCount: this.store.unreadCount(e.peer),
              pts,
              ptsCount,
            });
      case 'readOutbox':
        return channel
          ? new Api.UpdateReadChannelOutbox({ channelId: channel, maxId: e.maxId })
          : new Api.UpdateReadHistoryOutbox({ peer: apiPeer(e.peer), maxId: e.maxId, pts, ptsCount });
      case 'pin':
        return channel
          ? new Api.UpdatePinnedChannelMessages({
              pinned: e.pinned,
              channelId: channel,
              messages: e.ids,
              pts,
              ptsCount,
            })
          : new Api.UpdatePinnedMessages({
              pinned: e.pinned,
              peer: apiPeer(e.peer),
              messages: e.ids,
              pts,
              ptsCount,
            });
    }
  }

  /**
   * Pushes box changes to every connected session of the account except `exceptSession` (the caller, which gets
   * them in its result) as one `updates`. Changes with pts_count 0 that are not channel read marks are skipped.
   * @returns the API updates, in order, for the caller's result.
   */
  publish(changes: BoxChange[], exceptSession?: ServerSession): Api.TypeUpdate[] {
    const relevant = changes.filter(
      (c) =>
        c.ptsCount > 0 ||
        (c.channelId !== undefined && (c.event.kind === 'readInbox' || c.event.kind === 'readOutbox')),
    );
    const updates = relevant.map((c) => this.updateFor(c)).filter((u): u is Api.TypeUpdate => u !== undefined);
    if (updates.length > 0) {
      const messages = relevant.map((c) => this.messageOf(c)).filter((m): m is MessageRecord => m !== undefined);
      this.push(this.wrap(updates, relevant.flatMap((c) => this.peersOf(c)), messages), exceptSession);
    }
    return updates;
  }

  /**
   * Pushes updates that are not part of a box's pts (updateMessageReactions) to the account's sessions except
   * `exceptSession`.
   */
  pushRaw(
    list: Api.TypeUpdate[],
    peers: PeerKey[],
    messages: MessageRecord[],
    exceptSession?: ServerSession,
  ): number {
    return this.push(this.wrap(list, peers, messages), exceptSession);
  }

  /**
   * updateMessageReactions for a message whose reactions changed, pushed to the account's sessions except
   * `exceptSession`. Reactions are not pts-ordered (Telegram sends this update without pts).
   * @returns the update, for the caller's result.
   */
  reactionsChanged(m: MessageRecord, exceptSession?: ServerSession): Api.UpdateMessageReactions {
    const update = new Api.UpdateMessageReactions({
      peer: apiPeer(m.peer),
      msgId: m.id,
      reactions: apiReactions(this.store, m) ?? new Api.MessageReactions({ results: [] }),
    });
    this.pushRaw([update], [m.peer], [m], exceptSession);
    return update;
  }

  private push(updates: Api.Updates, exceptSession?: ServerSession): number {
    return this.sink.pushUpdates(this.store.account.id, updates.getBytes(), exceptSession);
  }
}
