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
  });

  it('seeds per-account message ids 1..N, oldest first across all dialogs, with dates over the last days', () => {
    const now = Date.UTC(2026, 0, 15, 12);
    const store = new SandboxStore(defaultFixture(), now);
    const all = store
      .dialogList(false)
      .flatMap((d) => store.history(d.peer))
      .sort((a, b) => a.id - b.id);
    expect(all.map((m) => m.id)).toEqual(all.map((_, i) => i + 1));
    for (let i = 1; i < all.length; i++) expect(all[i]!.date).toBeGreaterThanOrEqual(all[i - 1]!.date);
    expect(now / 1000 - all[0]!.date).toBeGreaterThan(2 * 86400);
    expect(all.at(-1)!.date).toBeLessThanOrEqual(now / 1000);
    expect(store.totalUnread()).toBe(8);
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
      'a malformed peer',
      { ...minimal, dialogs: [{ ...minimal.dialogs[0]!, peer: 'channel:5' }] },
      /user:<id> or chat:<id>/,
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
