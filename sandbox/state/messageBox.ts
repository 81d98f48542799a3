/**
 * A message box: a sequence of message ids and a pts counter with the log of what moved it.
 *
 * Telegram keeps one box per account for private chats and basic groups (ids 1, 2, 3, … across all of those
 * dialogs, one pts) and one box per supergroup or channel (its own ids and its own pts). Every change to a box
 * (a new, edited or deleted message, a read mark, a pin) advances its pts by `pts_count` and is logged, so
 * updates.getDifference / updates.getChannelDifference can return exactly what a client missed since the pts it
 * last saw (core.telegram.org/api/updates).
 */
import type { PeerKey } from './peers.js';

/** What changed in a box; message ids refer to this box. */
export type BoxEvent =
  | { kind: 'new'; peer: PeerKey; id: number }
  | { kind: 'edit'; peer: PeerKey; id: number }
  | { kind: 'delete'; ids: number[] }
  | { kind: 'readInbox'; peer: PeerKey; maxId: number }
  | { kind: 'readOutbox'; peer: PeerKey; maxId: number }
  | { kind: 'pin'; peer: PeerKey; ids: number[]; pinned: boolean };

/**
 * One logged change: the box's pts after it and how much it advanced. `channelId` is set for a channel's box
 * (its updates are updateNewChannelMessage & co.) and absent for the account's box.
 */
export interface BoxChange {
  pts: number;
  ptsCount: number;
  event: BoxEvent;
  channelId?: number;
}

/**
 * The answer to "what happened after pts N": the changes in order, or `tooLong` when the log no longer reaches
 * back that far.
 */
export type BoxDifference = { kind: 'changes'; changes: BoxChange[] } | { kind: 'tooLong' };

/**
 * How many changes a box remembers (at least; trimmed in batches); clients further behind get differenceTooLong,
 * as Telegram does after long gaps.
 */
export const BOX_LOG_LIMIT = 20_000;

/** One message box (ids, pts, log). Messages themselves live in the store, keyed by box. */
export class MessageBox {
  /** The highest message id given out. */
  lastId = 0;
  private ptsValue: number;
  private readonly log: BoxChange[] = [];
  /** The pts the log starts after: a client at this pts or later can be told exactly what it missed. */
  private logStart: number;

  constructor(
    readonly channelId: number | undefined,
    initialPts = 1,
  ) {
    this.ptsValue = initialPts;
    this.logStart = initialPts;
  }

  /** The box's current pts. */
  get pts(): number {
    return this.ptsValue;
  }

  /** The next message id (advances the sequence). */
  nextId(): number {
    return ++this.lastId;
  }

  /** Sets where pts starts once seeding is done (no log before it). */
  startAt(pts: number): void {
    this.ptsValue = pts;
    this.logStart = pts;
    this.log.length = 0;
  }

  /** Advances pts by `ptsCount` (≥ 1) and logs the change. */
  record(event: BoxEvent, ptsCount: number): BoxChange {
    this.ptsValue += ptsCount;
    const change: BoxChange = {
      pts: this.ptsValue,
      ptsCount,
      event,
      ...(this.channelId !== undefined ? { channelId: this.channelId } : {}),
    };
    this.log.push(change);
    // Trim in batches so a busy box does not shift the whole log on every change.
    if (this.log.length > BOX_LOG_LIMIT + BOX_LOG_LIMIT / 4) {
      const dropped = this.log.splice(0, this.log.length - BOX_LOG_LIMIT);
      this.logStart = dropped[dropped.length - 1]!.pts;
    }
    return change;
  }

  /** A "nothing changed" marker at the current pts (pts_count 0), for answers that report the box's pts. */
  unchanged(event: BoxEvent): BoxChange {
    return {
      pts: this.ptsValue,
      ptsCount: 0,
      event,
      ...(this.channelId !== undefined ? { channelId: this.channelId } : {}),
    };
  }

  /**
   * Changes after `pts`, oldest first.
   * @returns `tooLong` when `pts` is older than the log reaches; an empty list when `pts` is current.
   * @throws RangeError when `pts` is ahead of the box (the client invented it).
   */
  since(pts: number): BoxDifference {
    if (pts > this.ptsValue) throw new RangeError(`pts ${pts} is ahead of the box (${this.ptsValue})`);
    if (pts < this.logStart) return { kind: 'tooLong' };
    return { kind: 'changes', changes: this.log.filter((c) => c.pts > pts) };
  }
}
