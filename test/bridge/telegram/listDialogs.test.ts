/**
 * The gateway's dialog list (issue 12: `messages.getDialogs` asked directly instead of gramjs's `getDialogs`
 * helper): on an account with more dialogs than one page holds, it returns exactly what gramjs's helper returns —
 * same chats in the same order (pinned first), same unread counts, read marks and dates — paging one request per
 * 100 dialogs; a title search pages on until enough chats match (up to MAX_SEARCHED_DIALOGS), so an old chat
 * is found by its name too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GramjsGateway, MAX_SEARCHED_DIALOGS } from '../../../bridge/telegram/gateway.js';
import { createSandboxClient } from '../../../sandbox/client.js';
import { defaultFixture } from '../../../sandbox/fixture.js';
import { type Sandbox, startSandbox } from '../../../sandbox/index.js';
import { sandboxGateway } from '../../helpers/sandboxGateway.js';

/** Extra contacts, one dialog each: with the fixture's own, well over two pages of 100. */
const EXTRA = 230;

let sandbox: Sandbox;
let gateway: GramjsGateway;
beforeAll(async () => {
  const f = defaultFixture();
  const users = Array.from({ length: EXTRA }, (_, i) => ({ id: 700_000_000 + i, firstName: `Extra ${i}`, contact: false }));
  const dialogs = users.map((u, i) => ({
    peer: `user:${u.id}`,
    unreadCount: i % 2,
    pinned: i === 7 || i === 150,
    // Every fifth dialog shares its minute with the one before, so paging must order ties by peer and id too.
    messages: [{ from: u.id, text: `hello from ${i}`, minutesAgo: 10 + Math.floor(i - (i % 5 === 0 ? 1 : 0)) * 7 }],
  }));
  sandbox = await startSandbox({ fixture: { ...f, users: [...f.users, ...users], dialogs: [...f.dialogs, ...dialogs] } });
  gateway = sandboxGateway(sandbox);
}, 60_000);
afterAll(async () => {
  await gateway?.close();
  await sandbox?.stop();
});

/** What gramjs's own `getDialogs` helper lists, in the gateway's terms. */
async function gramjsList(limit: number) {
  const client = createSandboxClient(sandbox, sandbox.mintSession());
  await client.connect();
  try {
    const dialogs = [...(await client.getDialogs({ limit }))];
    return dialogs
      .filter((d) => d.entity)
      .map((d) => ({
        ref: `${d.isUser ? 'user' : d.isChannel ? 'channel' : 'chat'}:${d.entity!.id.toString()}`,
        unreadCount: d.unreadCount,
        readInboxMaxId: 'readInboxMaxId' in d.dialog ? d.dialog.readInboxMaxId : 0,
        lastMessageDate: d.date ? d.date * 1000 : null,
        title: d.title ?? '',
      }));
  } finally {
    await client.destroy();
  }
}

describe('gateway dialog list', () => {
  it.each([1, 20, 100, 101, 200])('limit %i: the same dialogs, order and counts as gramjs getDialogs', async (limit) => {
    const mine = await gateway.listDialogs({ limit });
    const theirs = (await gramjsList(limit)).map(({ title: _title, ...rest }) => rest);
    expect(mine).toHaveLength(Math.min(limit, defaultFixture().dialogs.length + EXTRA));
    expect(
      mine.map((d) => ({ ref: d.peer.ref, unreadCount: d.unreadCount, readInboxMaxId: d.readInboxMaxId, lastMessageDate: d.lastMessageDate })),
    ).toEqual(theirs);
  });

  it('pages one messages.getDialogs request per 100 dialogs', async () => {
    sandbox.control.resetRpcCounts();
    await gateway.listDialogs({ limit: 200 });
    expect(sandbox.control.rpcCounts()['messages.GetDialogs']).toBe(2);
    sandbox.control.resetRpcCounts();
    await gateway.listDialogs({ limit: 20 });
    expect(sandbox.control.rpcCounts()['messages.GetDialogs']).toBe(1);
  });

  it('pinned dialogs lead the list once, never repeated on a later page', async () => {
    const refs = (await gateway.listDialogs({ limit: 200 })).map((d) => d.peer.ref);
    expect(new Set(refs).size).toBe(refs.length);
    expect(refs.slice(0, 4)).toEqual(expect.arrayContaining([`user:${700_000_007}`, `user:${700_000_150}`]));
  });

  it('a title search pages on until enough chats match, finding the oldest chat by its name', async () => {
    const all = await gramjsList(500);
    for (const [limit, query] of [[30, 'extra 11'], [2, 'EXTRA 11'], [5, 'extra 229'], [50, 'nobody has this name']] as const) {
      const expected = all.filter((d) => d.title.toLowerCase().includes(query.toLowerCase())).slice(0, limit);
      const hits = await gateway.listDialogs({ limit, query });
      expect(hits.map((d) => d.peer.ref)).toEqual(expected.map((d) => d.ref));
    }
    expect((await gateway.listDialogs({ limit: 5, query: 'extra 229' })).map((d) => d.peer.title)).toEqual(['Extra 229']);
  });

  it('a search stops asking once enough chats matched, and reads at most MAX_SEARCHED_DIALOGS', async () => {
    sandbox.control.resetRpcCounts();
    await gateway.listDialogs({ limit: 1, query: 'extra 1' });
    expect(sandbox.control.rpcCounts()['messages.GetDialogs']).toBe(1);
    sandbox.control.resetRpcCounts();
    await gateway.listDialogs({ limit: 50, query: 'nobody has this name' });
    // 238 dialogs: three pages (100, 100, 38), then the list ended.
    expect(sandbox.control.rpcCounts()['messages.GetDialogs']).toBe(3);
  });

  it(`a search looks through the newest ${MAX_SEARCHED_DIALOGS} dialogs, no more`, async () => {
    // An account with more chats than that: the newest MAX_SEARCHED_DIALOGS are searched, older ones are not.
    const count = MAX_SEARCHED_DIALOGS + 50;
    const f = defaultFixture();
    const users = Array.from({ length: count }, (_, i) => ({ id: 710_000_000 + i, firstName: `Many ${i}`, contact: false }));
    const big = await startSandbox({
      fixture: {
        ...f,
        users: [...f.users, ...users],
        dialogs: users.map((u, i) => ({ peer: `user:${u.id}`, messages: [{ from: u.id, text: 'hi', minutesAgo: 10 + i }] })),
      },
    });
    const g = sandboxGateway(big);
    try {
      big.control.resetRpcCounts();
      expect(await g.listDialogs({ limit: 5, query: `many ${count - 1}` })).toEqual([]);
      expect(big.control.rpcCounts()['messages.GetDialogs']).toBe(MAX_SEARCHED_DIALOGS / 100);
      const found = await g.listDialogs({ limit: 5, query: `many ${MAX_SEARCHED_DIALOGS - 1}` });
      expect(found.map((d) => d.peer.title)).toEqual([`Many ${MAX_SEARCHED_DIALOGS - 1}`]);
    } finally {
      await g.close();
      await big.stop();
    }
  }, 60_000);
});
