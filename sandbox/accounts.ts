/**
 * Several accounts in one sandbox. Each account has its own view of the world — its own {@link SandboxStore}
 * (dialogs, private/basic-group message box with its own ids and pts, read state) and {@link UpdatesFeed} (pushes
 * to that account's sessions only) — and {@link AccountWorlds} keeps the views consistent, as Telegram's servers
 * do: a message appended in one account's private chat with another account, or in a basic group / channel
 * several accounts are in, is copied into each other account's view (a new id in its box, `out` from its side)
 * and pushed to its sessions; edits and deletions for everyone follow to the copies; an account reading incoming
 * messages sent by another account moves that account's outbox read mark (updateReadHistoryOutbox).
 *
 * Extra accounts come from the fixture's `accounts[]`; their view of the seeded world is derived from the main
 * account's fixture ({@link extraAccountFixture}).
 */
import type { ParsedFixture } from './fixture.js';
import type { UpdatesFeed } from './rpc/updatesFeed.js';
import { MediaLibrary } from './state/media.js';
import { type PeerKey, parsePeerKey, userPeer } from './state/peers.js';
import { type MessageRecord, SandboxStore, type StoreObserver } from './state/store.js';

/** One account's view: its store and its updates feed. */
export interface AccountWorld {
  store: SandboxStore;
  feed: UpdatesFeed;
}

/** An account that can log in: user id, phone (digits) and 2FA password, if any. */
export interface AccountLogin {
  id: number;
  phone: string;
  password?: string;
  passwordHint?: string;
}

/** Every account of a fixture: the main one first, then `accounts[]` in order. */
export function fixtureAccounts(fixture: ParsedFixture): AccountLogin[] {
  const main = fixture.account;
  return [
    {
      id: main.id,
      phone: main.phone,
      ...(main.password ? { password: main.password } : {}),
      ...(main.passwordHint ? { passwordHint: main.passwordHint } : {}),
    },
    ...fixture.accounts.map((a) => {
      const user = fixture.users.find((u) => u.id === a.id);
      return {
        id: a.id,
        phone: a.phone ?? user?.phone ?? '',
        ...(a.password ? { password: a.password } : {}),
        ...(a.passwordHint ? { passwordHint: a.passwordHint } : {}),
      };
    }),
  ];
}

/**
 * The seeded world as extra account `accountId` sees it: the main account is one of its users (a contact); its
 * dialogs are the main account's private chat with it (seen from the other side), and the basic groups and
 * channels it is a member of, with the same messages; everything starts read.
 */
export function extraAccountFixture(fixture: ParsedFixture, accountId: number): ParsedFixture {
  const extra = fixture.accounts.find((a) => a.id === accountId);
  const user = fixture.users.find((u) => u.id === accountId);
  if (!extra || !user) throw new Error(`no extra account ${accountId} in the fixture`);
  const main = fixture.account;
  const inChat = (id: number) => fixture.chats.find((c) => c.id === id)?.memberIds.includes(accountId) ?? false;
  const inChannel = (id: number) =>
    fixture.channels.find((c) => c.id === id)?.memberIds.includes(accountId) ?? false;
  const dialogs: ParsedFixture['dialogs'] = [];
  for (const d of fixture.dialogs) {
    const ref = parsePeerKey(d.peer);
    let peer: PeerKey | undefined;
    if (ref.kind === 'user') peer = ref.id === accountId ? userPeer(main.id) : undefined;
    else if (ref.kind === 'chat') peer = inChat(ref.id) ? d.peer : undefined;
    else peer = inChannel(ref.id) ? d.peer : undefined;
    if (peer) dialogs.push({ ...d, peer, unreadCount: 0, pinned: false });
  }
  return {
    ...fixture,
    account: {
      id: accountId,
      phone: extra.phone ?? user.phone ?? '',
      firstName: user.firstName,
      ...(user.lastName ? { lastName: user.lastName } : {}),
      ...(user.username ? { username: user.username } : {}),
    },
    users: [
      {
        id: main.id,
        firstName: main.firstName,
        phone: main.phone,
        contact: true,
        bot: false,
        ...(main.lastName ? { lastName: main.lastName } : {}),
        ...(main.username ? { username: main.username } : {}),
      },
      ...fixture.users.filter((u) => u.id !== accountId),
    ],
    dialogs,
    accounts: [],
  };
}

/** A message's copy in another account's view. */
interface Copy {
  userId: number;
  peer: PeerKey;
  id: number;
}

/** The accounts of one sandbox and the bookkeeping that keeps their views consistent. */
export class AccountWorlds implements StoreObserver {
  /** The main account (the fixture's `account`). */
  readonly main: AccountWorld;
  private readonly worlds = new Map<number, AccountWorld>();
  /** `${userId}|${peer}|${id}` → the same message in the other accounts' views. */
  private readonly copies = new Map<string, Copy[]>();
  private mirroring = false;

  /**
   * Builds a store per account of `fixture` (sharing one media library) and a feed for each with `makeFeed`.
   * @param now anchors the fixture's `minutesAgo` (ms since epoch).
   */
  constructor(fixture: ParsedFixture, makeFeed: (store: SandboxStore) => UpdatesFeed, now: number = Date.now()) {
    const media = new MediaLibrary();
    const mainStore = new SandboxStore(fixture, now, { media });
    this.main = { store: mainStore, feed: makeFeed(mainStore) };
    this.worlds.set(mainStore.account.id, this.main);
    for (const a of fixture.accounts) {
      const store = new SandboxStore(extraAccountFixture(fixture, a.id), now, { media });
      this.worlds.set(a.id, { store, feed: makeFeed(store) });
    }
    if (this.worlds.size > 1) {
      for (const w of this.worlds.values()) w.store.observer = this;
      this.linkSeeded(fixture);
    }
  }

  /**
   * Links the seeded copies of each fixture dialog across the accounts that see it (same messages, same order),
   * so edits, deletions and read receipts of seeded messages reach the other views too.
   */
  private linkSeeded(fixture: ParsedFixture): void {
    const mainId = this.main.store.account.id;
    for (const d of fixture.dialogs) {
      const ref = parsePeerKey(d.peer);
      const views: Array<{ userId: number; peer: PeerKey; list: MessageRecord[] }> = [
        { userId: mainId, peer: d.peer, list: this.main.store.history(d.peer) },
      ];
      for (const [id, world] of this.worlds) {
        if (id === mainId) continue;
        const peer = ref.kind === 'user' ? (ref.id === id ? userPeer(mainId) : undefined) : d.peer;
        const list = peer ? world.store.history(peer) : [];
        if (peer && list.length > 0) views.push({ userId: id, peer, list });
      }
      if (views.length < 2 || views.some((v) => v.list.length !== views[0]!.list.length)) continue;
      views[0]!.list.forEach((_, i) => {
        const made = views.map((v) => ({ userId: v.userId, peer: v.peer, id: v.list[i]!.id }));
        for (const c of made) this.copies.set(this.key(c.userId, c.peer, c.id), made.filter((x) => x !== c));
      });
    }
  }

  /** Copies of a message in the other accounts' views. */
  private copiesOf(userId: number, peer: PeerKey, id: number): Copy[] {
    return this.copies.get(this.key(userId, peer, id)) ?? [];
  }

  /** An account edited a message: its copies in the other views follow (updateEditMessage to their sessions). */
  edited(store: SandboxStore, m: MessageRecord): void {
    if (this.mirroring) return;
    this.mirroring = true;
    try {
      for (const c of this.copiesOf(store.account.id, m.peer, m.id)) {
        const world = this.worlds.get(c.userId)!;
        const change = world.store.applyForeignEdit(c.peer, c.id, m.text, m.editDate ?? m.date, m.entities);
        if (change) world.feed.publish([change]);
      }
    } finally {
      this.mirroring = false;
    }
  }

  /** Messages were pinned or unpinned for both sides: the copies follow (updatePinnedMessages & co.). */
  pinned(store: SandboxStore, peer: PeerKey, ids: number[], pinned: boolean, oneSide: boolean): void {
    if (this.mirroring || oneSide) return;
    const byView = this.groupCopies(store, peer, ids);
    this.mirroring = true;
    try {
      for (const v of byView) {
        const world = this.worlds.get(v.userId)!;
        const change = world.store.applyForeignPin(v.peer, v.ids, pinned);
        if (change) world.feed.publish([change]);
      }
    } finally {
      this.mirroring = false;
    }
  }

  /** A message's reactions changed: its copies show the same reactions (updateMessageReactions). */
  reacted(store: SandboxStore, m: MessageRecord): void {
    if (this.mirroring) return;
    for (const c of this.copiesOf(store.account.id, m.peer, m.id)) {
      const world = this.worlds.get(c.userId)!;
      const copy = world.store.messageIn(c.peer, c.id);
      if (!copy) continue;
      copy.reactions = m.reactions.map((r) => ({ ...r }));
      world.feed.reactionsChanged(copy);
    }
  }

  /** The other views' copies of messages `ids` of `peer` in `store`'s view, grouped by view. */
  private groupCopies(store: SandboxStore, peer: PeerKey, ids: number[]) {
    const byView = new Map<string, { userId: number; peer: PeerKey; ids: number[] }>();
    for (const id of ids) {
      for (const c of this.copiesOf(store.account.id, peer, id)) {
        const k = `${c.userId}|${c.peer}`;
        const entry = byView.get(k) ?? { userId: c.userId, peer: c.peer, ids: [] };
        entry.ids.push(c.id);
        byView.set(k, entry);
      }
    }
    return [...byView.values()];
  }

  /** An account deleted messages for everyone: their copies go from the other views too. */
  deleted(store: SandboxStore, messages: MessageRecord[], revoke: boolean): void {
    if (this.mirroring || !revoke) return;
    const byView = new Map<string, { userId: number; peer: PeerKey; ids: number[] }>();
    for (const m of messages) {
      for (const v of this.groupCopies(store, m.peer, [m.id])) {
        const k = `${v.userId}|${v.peer}`;
        const entry = byView.get(k) ?? { ...v, ids: [] };
        entry.ids.push(...v.ids);
        byView.set(k, entry);
      }
    }
    this.mirroring = true;
    try {
      for (const v of byView.values()) {
        const world = this.worlds.get(v.userId)!;
        const change = world.store.applyForeignDelete(v.peer, v.ids);
        if (change) world.feed.publish([change]);
      }
    } finally {
      this.mirroring = false;
    }
  }

  /** The view of account `userId`, or undefined when it is not an account. */
  get(userId: number): AccountWorld | undefined {
    return this.worlds.get(userId);
  }

  /** The view of `userId` when it is an account, else the main account's (calls of a key not logged in). */
  for(userId: number | undefined): AccountWorld {
    return (userId === undefined ? undefined : this.worlds.get(userId)) ?? this.main;
  }

  /** Every account's user id, the main account first. */
  ids(): number[] {
    return [...this.worlds.keys()];
  }

  private key(userId: number, peer: PeerKey, id: number): string {
    return `${userId}|${peer}|${id}`;
  }

  private copyIn(from: Copy, userId: number): Copy | undefined {
    if (from.userId === userId) return from;
    return this.copies.get(this.key(from.userId, from.peer, from.id))?.find((c) => c.userId === userId);
  }

  /** Copies a message appended in one account's view into the views of the other accounts that see it. */
  appended(store: SandboxStore, m: MessageRecord): void {
    if (this.mirroring) return;
    const owner = store.account.id;
    const ref = parsePeerKey(m.peer);
    const targets: Array<{ world: AccountWorld; peer: PeerKey }> = [];
    for (const [id, world] of this.worlds) {
      if (id === owner) continue;
      if (ref.kind === 'user') {
        if (ref.id === id) targets.push({ world, peer: userPeer(owner) });
      } else if (ref.kind === 'chat' ? world.store.memberChat(ref.id) : world.store.memberChannel(ref.id)) {
        targets.push({ world, peer: m.peer });
      }
    }
    if (targets.length === 0) return;
    const origin: Copy = { userId: owner, peer: m.peer, id: m.id };
    const made: Copy[] = [origin];
    this.mirroring = true;
    try {
      for (const { world, peer } of targets) {
        const target = world.store.account.id;
        const reply = m.replyTo === undefined ? undefined : this.copyIn({ ...origin, id: m.replyTo }, target);
        if (m.action && !reply) continue; // a "pinned …" service message whose message this view lacks
        const { message, change } = world.store.appendMessage({
          peer,
          fromId: m.fromId,
          text: m.text,
          ...(m.entities ? { entities: m.entities } : {}),
          source: m.source,
          silent: m.silent,
          ...(reply ? { replyTo: reply.id } : {}),
          ...(m.media ? { media: m.media } : {}),
          ...(m.fwdFrom ? { fwdFrom: m.fwdFrom } : {}),
          ...(m.action ? { action: m.action } : {}),
        });
        made.push({ userId: target, peer, id: message.id });
        world.feed.publish([change]);
      }
    } finally {
      this.mirroring = false;
    }
    for (const c of made) {
      this.copies.set(
        this.key(c.userId, c.peer, c.id),
        made.filter((x) => x !== c),
      );
    }
  }

  /**
   * An account read incoming messages of `peer` up to `maxId`: each other account whose messages that covers
   * gets a read receipt (its outbox mark moves to its copy of the newest one read) pushed to its sessions.
   */
  readInbox(store: SandboxStore, peer: PeerKey, maxId: number): void {
    if (this.mirroring) return;
    const reader = store.account.id;
    const newest = new Map<number, Copy>();
    for (const m of store.history(peer)) {
      if (m.out || m.id > maxId || m.fromId === reader || !this.worlds.has(m.fromId)) continue;
      const copy = this.copyIn({ userId: reader, peer, id: m.id }, m.fromId);
      if (copy && (newest.get(m.fromId)?.id ?? 0) < copy.id) newest.set(m.fromId, copy);
    }
    this.mirroring = true;
    try {
      for (const [senderId, copy] of newest) {
        const world = this.worlds.get(senderId)!;
        const read = world.store.readOutbox(copy.peer, copy.id);
        if (read) world.feed.publish([read.change]);
      }
    } finally {
      this.mirroring = false;
    }
  }
}
