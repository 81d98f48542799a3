/**
 * Fixtures and the seeded store: the default demo world is valid and realistic, invalid fixtures are refused
 * with a message naming the problem, and a custom fixture is what a gramjs client sees.
 */
import type { TelegramClient } from 'telegram';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultFixture, type Fixture, parseFixture } from '../../sandbox/fixture.js';
import { createSandboxClient, type Sandbox, startSandbox } from '../../sandbox/index.js';
import { SandboxStore } from '../../sandbox/state/store.js';

const minimal: Fixture = {
  account: { id: 1001, phone: '15550000001', firstName: 'Ada', username: 'ada_test' },
  users: [{ id: 2002, firstName: 'Bo', username: 'bo_tester' }],
  dialogs: [
    {
      peer: 'user:2002',
      unreadCount: 1,
      messages: [
        { from: 1001, minutesAgo: 10, text: 'hi Bo', key: 'hi' },
        { from: 2002, minutesAgo: 5, text: 'hi Ada', replyTo: 'hi' },
      ],
    },
  ],
};

describe('default fixture', () => {
  it('is valid and has a team group, a friend and family, with a few dozen messages, some unread', () => {
    const f = defaultFixture();
    expect(f.users.filter((u) => (u.username?.length ?? 0) >= 5).length).toBeGreaterThanOrEqual(3);
    expect(f.chats).toHaveLength(1);
    expect(f.chats[0]!.memberIds).toContain(f.account.id);
    const total = f.dialogs.reduce((n, d) => n + d.messages.length, 0);
    expect(total).toBeGreaterThanOrEqual(30);
    expect(f.dialogs.some((d) => d.unreadCount > 0)).toBe(true);
    expect(f.channels.map((c) => c.megagroup).sort()).toEqual([false, true]);
    const media = f.dialogs.flatMap((d) => d.messages.flatMap((m) => (m.media ? [m.media.kind] : [])));
    expect(media).toContain('photo');
    expect(media).toContain('document');
    expect(f.users.some((u) => !u.contact)).toBe(true);
  });

  it('generates media bytes deterministically: a PNG photo and a PDF document', () => {
    const a = new SandboxStore(defaultFixture());
    const b = new SandboxStore(defaultFixture());
    const mediaOf = (s: SandboxStore) =>
      s.dialogList(false).flatMap((d) => s.history(d.peer).flatMap((m) => (m.media ? [m.media] : [])));
    const [x, y] = [mediaOf(a), mediaOf(b)];
    expect(x.length).toBeGreaterThanOrEqual(2);
    expect(x.map((m) => m.bytes.toString('base64'))).toEqual(y.map((m) => m.bytes.toString('base64')));
    const photo = x.find((m) => m.kind === 'photo')!;
    expect(photo.bytes.subarray(1, 4).toString('ascii')).toBe('PNG');
    const pdf = x.find((m) => m.kind === 'document')!;
    expect(pdf.bytes.subarray(0, 5).toString('ascii')).toBe('%PDF-');
  });

  it('seeds per-account message ids 1..N, oldest first across all dialogs, with dates over the last days', () => {
    const now = Date.UTC(2026, 0, 15, 12);
    const store = new SandboxStore(defaultFixture(), now);
    const all = store
      .dialogList(false)
      .filter((d) => !d.peer.startsWith('channel:'))
      .flatMap((d) => store.history(d.peer))
      .sort((a, b) => a.id - b.id);
    expect(all.map((m) => m.id)).toEqual(all.map((_, i) => i + 1));
    for (let i = 1; i < all.length; i++) expect(all[i]!.date).toBeGreaterThanOrEqual(all[i - 1]!.date);
    expect(now / 1000 - all[0]!.date).toBeGreaterThan(2 * 86400);
    expect(all.at(-1)!.date).toBeLessThanOrEqual(now / 1000);
    expect(store.totalUnread()).toBe(13);
    // Each supergroup and channel numbers its own messages from 1.
    for (const c of store.allChannels()) {
      expect(store.history(`channel:${c.id}`).map((m) => m.id)).toEqual(
        store.history(`channel:${c.id}`).map((_, i) => i + 1),
      );
    }
  });
});

describe('fixture validation', () => {
  it('accepts the minimal fixture', () => {
    const f = parseFixture(minimal);
    expect(f.chats).toEqual([]);
    expect(f.users[0]!.contact).toBe(true);
  });

  it.each([
    ['a short username', { ...minimal, users: [{ id: 2002, firstName: 'Bo', username: 'bo' }] }, /5–32/],
    [
      'a sender who is not in the dialog',
      { ...minimal, dialogs: [{ peer: 'user:2002', messages: [{ from: 3003, minutesAgo: 1, text: 'x' }] }] },
      /user 3003 cannot write in user:2002/,
    ],
    [
      'a reply to an unknown key',
      {
        ...minimal,
        dialogs: [
          { peer: 'user:2002', messages: [{ from: 2002, minutesAgo: 1, text: 'x', replyTo: 'nope' }] },
        ],
      },
      /no earlier message with key "nope"/,
    ],
    [
      'messages out of order',
      {
        ...minimal,
        dialogs: [
          {
            peer: 'user:2002',
            messages: [
              { from: 2002, minutesAgo: 1, text: 'new' },
              { from: 2002, minutesAgo: 9, text: 'old' },
            ],
          },
        ],
      },
      /oldest first/,
    ],
    [
      'more unread than incoming',
      { ...minimal, dialogs: [{ ...minimal.dialogs[0]!, unreadCount: 3 }] },
      /only 1 incoming/,
    ],
    [
      'a post in a broadcast channel by someone who is not an admin',
      {
        ...minimal,
        channels: [{ id: 3003, title: 'News', megagroup: false, creatorId: 2002, memberIds: [1001, 2002] }],
        dialogs: [{ peer: 'channel:3003', messages: [{ from: 1001, minutesAgo: 1, text: 'x' }] }],
      },
      /user 1001 cannot write in channel:3003/,
    ],
    [
      'a reaction that is not a standard emoji',
      {
        ...minimal,
        dialogs: [
          {
            peer: 'user:2002',
            messages: [{ from: 2002, minutesAgo: 1, text: 'x', reactions: [{ from: 1001, emoji: '🦖' }] }],
          },
        ],
      },
      /not a standard reaction/,
    ],
    [
      'an empty message without media',
      { ...minimal, dialogs: [{ peer: 'user:2002', messages: [{ from: 2002, minutesAgo: 1, text: ' ' }] }] },
      /needs text/,
    ],
    [
      'a malformed peer',
      { ...minimal, dialogs: [{ ...minimal.dialogs[0]!, peer: 'group:5' }] },
      /user:<id>, chat:<id> or channel:<id>/,
    ],
  ])('refuses %s', (_name, fixture, message) => {
    expect(() => parseFixture(fixture)).toThrow(message);
  });
});

describe('startSandbox options', () => {
  let sandbox: Sandbox | undefined;
  let client: TelegramClient | undefined;

  afterEach(async () => {
    await client?.destroy();
    await sandbox?.stop();
    client = undefined;
    sandbox = undefined;
  });

  it('serves a custom fixture', async () => {
    sandbox = await startSandbox({ fixture: minimal });
    client = createSandboxClient(sandbox);
    await client.connect();
    expect((await client.getMe()).username).toBe('ada_test');
    const [dialog] = await client.getDialogs({});
    expect(dialog?.title).toBe('Bo');
    expect(dialog?.unreadCount).toBe(1);
    const [latest] = await client.getMessages('@bo_tester', { limit: 1 });
    expect(latest?.replyTo?.replyToMsgId).toBe(1);
    expect(sandbox.control.users()).toEqual([{ id: 2002, firstName: 'Bo', username: 'bo_tester' }]);
  });

  it('reports an explicit port that is already in use', async () => {
    sandbox = await startSandbox();
    await expect(startSandbox({ port: sandbox.port })).rejects.toThrow(/EADDRINUSE/);
  });

  it('refuses a port StringSession cannot store', async () => {
    await expect(startSandbox({ port: 40000 })).rejects.toThrow(RangeError);
  });
});
