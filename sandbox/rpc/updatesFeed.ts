/**
 * Server-pushed updates: what the account's live sessions hear when its message box changes. Each change is
 * pushed as an `updates` (with the users and chats it mentions) to every connected session of the account
 * except the one whose call caused it (that one gets the change in its call's result).
 */
import { Api } from 'telegram';
import type { ServerSession } from '../mtproto/session.js';
import type { PeerKey } from '../state/peers.js';
import type { BoxChange, MessageRecord, SandboxStore } from '../state/store.js';
import { apiMessage, apiPeer, entitiesFor } from './apiObjects.js';

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

  /** `updates` around `list`, with the entities of `peers` and `messages`. */
  wrap(list: Api.TypeUpdate[], peers: PeerKey[], messages: MessageRecord[] = []): Api.Updates {
    const { users, chats } = entitiesFor(this.store, peers, messages);
    return new Api.Updates({ updates: list, users, chats, date: Math.floor(Date.now() / 1000), seq: 0 });
  }

  /** A new message (incoming or sent elsewhere): updateNewMessage. */
  newMessage(m: MessageRecord, change: BoxChange, exceptSession?: ServerSession): number {
    const u = new Api.UpdateNewMessage({
      message: apiMessage(m),
      pts: change.pts,
      ptsCount: change.ptsCount,
    });
    return this.push(this.wrap([u], [m.peer], [m]), exceptSession);
  }

  /** An edited message: updateEditMessage. */
  editMessage(m: MessageRecord, change: BoxChange, exceptSession?: ServerSession): number {
    const u = new Api.UpdateEditMessage({
      message: apiMessage(m),
      pts: change.pts,
      ptsCount: change.ptsCount,
    });
    return this.push(this.wrap([u], [m.peer], [m]), exceptSession);
  }

  /** The account read a dialog elsewhere: updateReadHistoryInbox. */
  readInbox(
    peer: PeerKey,
    maxId: number,
    stillUnread: number,
    change: BoxChange,
    exceptSession?: ServerSession,
  ): number {
    const u = new Api.UpdateReadHistoryInbox({
      peer: apiPeer(peer),
      maxId,
      stillUnreadCount: stillUnread,
      pts: change.pts,
      ptsCount: change.ptsCount,
    });
    return this.push(this.wrap([u], [peer]), exceptSession);
  }

  /** Messages deleted: updateDeleteMessages. */
  deleteMessages(ids: number[], change: BoxChange, exceptSession?: ServerSession): number {
    const u = new Api.UpdateDeleteMessages({ messages: ids, pts: change.pts, ptsCount: change.ptsCount });
    return this.push(this.wrap([u], []), exceptSession);
  }

  private push(updates: Api.Updates, exceptSession?: ServerSession): number {
    return this.sink.pushUpdates(this.store.account.id, updates.getBytes(), exceptSession);
  }
}
