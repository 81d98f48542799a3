/**
 * Several accounts on one sandbox, driven by unmodified gramjs clients: each account has its own view (dialogs,
 * private/basic-group message ids, `out` flags, unread counts), messages between accounts reach the other side's
 * sessions with that side's ids, reading sends a read receipt to the sender, and many clients of several accounts
 * work at once.
 */
import { Api, type TelegramClient } from 'telegram';
import { DeletedMessage, type DeletedMessageEvent } from 'telegram/events/DeletedMessage.js';
import { EditedMessage, type EditedMessageEvent } from 'telegram/events/EditedMessage.js';
import { NewMessage, type NewMessageEvent, Raw } from 'telegram/events/index.js';
import { describe, expect, it } from 'vitest';
import { startControlHttp } from '../../sandbox/controlHttp.js';
import { defaultFixture, type Fixture, parseFixture } from '../../sandbox/index.js';
import { eventually, useSandbox } from './harness.js';

const base = defaultFixture();
const DANA = base.account.id;
const PRIYA = base.users.find((u) => u.username === 'priya_raman')!.id;
const TOMAS = base.users.find((u) => u.username === 'tomas_ortega')!.id;
const GROUP = base.chats[0]!.id;

/** The default world where Priya and Tomas can log in too (Tomas with a 2FA password). */
function multiFixture(): Fixture {
  return { ...defaultFixture(), accounts: [{ id: PRIYA }, { id: TOMAS, password: 'tomas-secret' }] };
}

const h = useSandbox(() => ({ fixture: multiFixture() }));

function listen(client: TelegramClient): NewMessageEvent[] {
  const got: NewMessageEvent[] = [];
  client.addEventHandler((e: NewMessageEvent) => void got.push(e), new NewMessage({}));
  return got;
}

async function dialogOf(client: TelegramClient, userId: number) {
  const dialogs = await client.getDialogs({});
  return dialogs.find((d) => d.entity instanceof Api.User && d.entity.id.toString() === String(userId));
}

describe('fixture accounts[]', () => {
  it('validates: an extra account must be a user with a phone, phones unique', () => {
    const f = defaultFixture();
    expect(() => parseFixture({ ...f, accounts: [{ id: 42 }] })).toThrow('an extra account must be a user');
    const noPhone = f.users.find((u) => !u.phone)!.id;
    expect(() => parseFixture({ ...f, accounts: [{ id: noPhone }] })).toThrow('needs a phone');
    expect(() => parseFixture({ ...f, accounts: [{ id: PRIYA, phone: f.account.phone }] })).toThrow(
      'duplicate account phone',
    );
  });

  it('each account sees its own seeded world; the main account’s view is unchanged', async () => {
    expect(h.sandbox.control.accounts().map((a) => a.id)).toEqual([DANA, PRIYA, TOMAS]);
    const dana = await h.client();
    const priya = await h.client(h.sandbox.mintSession(PRIYA));
    expect((await dana.getMe()).id.toString()).toBe(String(DANA));
    const me = await priya.getMe();
    expect([me.id.toString(), me.username]).toEqual([String(PRIYA), 'priya_raman']);
    const danaDialogs = await dana.getDialogs({});
    expect(danaDialogs.length).toBe(base.dialogs.length);
    const priyaDialogs = await priya.getDialogs({});
    // Priya: her chat with Dana, the basic group, the supergroup she is in.
    expect(Array.from(priyaDialogs, (d) => d.id?.toString()).sort()).toEqual(
      [String(DANA), String(-GROUP), `-100${base.channels[0]!.id}`].sort(),
    );
    expect(priyaDialogs.every((d) => d.unreadCount === 0)).toBe(true);
    // The same private chat from both sides: Dana's outgoing are Priya's incoming.
    const seenByDana = await dana.getMessages('@priya_raman', { limit: 100 });
    const seenByPriya = await priya.getMessages('@dana_whitfield', { limit: 100 });
    expect(Array.from(seenByPriya, (m) => m.message)).toEqual(Array.from(seenByDana, (m) => m.message));
    expect(Array.from(seenByPriya, (m) => m.out)).toEqual(Array.from(seenByDana, (m) => !m.out));
  });
});

describe('two accounts message each other', () => {
  it('A → B gets B’s own id and A as sender; B replies; views, out flags, unread and read receipts', async () => {
    const danaActor = await h.client();
    const danaOther = await h.client();
    const priyaA = await h.client(h.sandbox.mintSession(PRIYA));
    const priyaB = await h.client(h.sandbox.mintSession('+1 555 010 0002'));
    await Promise.all([danaActor.getMe(), danaOther.getMe(), priyaA.getMe(), priyaB.getMe()]);
    expect(h.sandbox.control.sessions(PRIYA)).toHaveLength(2);
    expect(h.sandbox.control.forAccount(PRIYA).sessions()).toHaveLength(2);
    expect(h.sandbox.control.sessions()).toHaveLength(2);
    const heardByPriya = [listen(priyaA), listen(priyaB)];
    const heardByDanaOther = listen(danaOther);
    const receipts: Api.UpdateReadHistoryOutbox[] = [];
    danaActor.addEventHandler(
      (u: Api.UpdateReadHistoryOutbox) => void receipts.push(u),
      new Raw({ types: [Api.UpdateReadHistoryOutbox] }),
    );

    const priyaBefore = await dialogOf(priyaA, DANA);
    const sent = await danaActor.sendMessage('@priya_raman', { message: 'lunch at 1?' });
    for (const heard of heardByPriya) {
      const e = await eventually(() => heard.find((x) => x.message.message === 'lunch at 1?'));
      expect(e.message.out).toBe(false);
      expect(e.message.senderId?.toString()).toBe(String(DANA));
      expect((e.message.peerId as Api.PeerUser).userId.toString()).toBe(String(DANA));
      expect(e.message.id).not.toBe(sent.id); // Priya's box numbers it
    }
    const inPriyaBox = heardByPriya[0]!.find((x) => x.message.message === 'lunch at 1?')!.message.id;
    expect((await eventually(() => heardByDanaOther[0])).message.id).toBe(sent.id);
    expect(h.sandbox.control.sentMessages().map((m) => m.text)).toContain('lunch at 1?');
    expect(h.sandbox.control.forAccount(PRIYA).sentMessages()).toEqual([]);

    // Priya's view: one unread more in her chat with Dana; Dana's view has it as outgoing.
    const priyaAfter = await dialogOf(priyaA, DANA);
    expect(priyaAfter!.unreadCount).toBe(priyaBefore!.unreadCount + 1);
    expect(h.sandbox.control.forAccount(PRIYA).unreadCount(`user:${DANA}`)).toBe(1);
    const [priyaTop] = await priyaA.getMessages('@dana_whitfield', { limit: 1 });
    expect([priyaTop!.id, priyaTop!.out, priyaTop!.message]).toEqual([inPriyaBox, false, 'lunch at 1?']);
    const [danaTop] = await danaActor.getMessages('@priya_raman', { limit: 1 });
    expect([danaTop!.id, danaTop!.out]).toEqual([sent.id, true]);

    // Priya reads: Dana gets a read receipt with Dana's id.
    await priyaA.markAsRead('@dana_whitfield');
    const receipt = await eventually(() => receipts[0]);
    expect((receipt.peer as Api.PeerUser).userId.toString()).toBe(String(PRIYA));
    expect(receipt.maxId).toBe(sent.id);
    expect((await dialogOf(priyaB, DANA))!.unreadCount).toBe(0);
    expect(h.sandbox.control.readState(`user:${PRIYA}`).readOutboxMaxId).toBe(sent.id);

    // Priya replies to it: Dana hears it as incoming, replying to Dana's own id.
    const danaHeard = listen(danaActor);
    const reply = await priyaB.sendMessage('@dana_whitfield', { message: 'yes!', replyTo: inPriyaBox });
    const e = await eventually(() => danaHeard.find((x) => x.message.message === 'yes!'));
    expect(e.message.out).toBe(false);
    expect(e.message.senderId?.toString()).toBe(String(PRIYA));
    expect(e.message.replyTo?.replyToMsgId).toBe(sent.id);
    expect(h.sandbox.control.forAccount(PRIYA).sentMessages().map((m) => [m.id, m.text])).toEqual([
      [reply.id, 'yes!'],
    ]);
    expect((await dialogOf(danaActor, PRIYA))!.unreadCount).toBeGreaterThanOrEqual(1);
    const danaHistory = await danaActor.getMessages('@priya_raman', { limit: 2 });
    expect(Array.from(danaHistory, (m) => [m.message, m.out])).toEqual([
      ['yes!', false],
      ['lunch at 1?', true],
    ]);
    const priyaHistory = await priyaA.getMessages('@dana_whitfield', { limit: 2 });
    expect(Array.from(priyaHistory, (m) => [m.id, m.message, m.out])).toEqual([
      [reply.id, 'yes!', true],
      [inPriyaBox, 'lunch at 1?', false],
    ]);
  });

  it('a basic-group message from one account reaches the other accounts’ sessions', async () => {
    const dana = await h.client();
    const priya1 = await h.client(h.sandbox.mintSession(PRIYA));
    const priya2 = await h.client(h.sandbox.mintSession(PRIYA));
    await Promise.all([dana.getMe(), priya1.getMe(), priya2.getMe()]);
    const heard = [listen(priya1), listen(priya2)];
    const danaHeard = listen(dana);
    const group = await dana.getEntity(new Api.PeerChat({ chatId: BigInt(GROUP) as never }));
    const sent = await dana.sendMessage(group, { message: 'standup moved to 10' });
    for (const list of heard) {
      const e = await eventually(() => list.find((x) => x.message.message === 'standup moved to 10'));
      expect(e.message.senderId?.toString()).toBe(String(DANA));
      expect((e.message.peerId as Api.PeerChat).chatId.toString()).toBe(String(GROUP));
      expect(e.message.out).toBe(false);
    }
    expect(h.sandbox.control.forAccount(PRIYA).history(`chat:${GROUP}`).at(-1)?.text).toBe('standup moved to 10');
    expect(h.sandbox.control.history(`chat:${GROUP}`).at(-1)?.id).toBe(sent.id);
    // And back: Priya's group message reaches Dana as incoming.
    await priya1.sendMessage(new Api.PeerChat({ chatId: BigInt(GROUP) as never }), { message: 'ok' });
    const back = await eventually(() => danaHeard.find((x) => x.message.message === 'ok'));
    expect([back.message.out, back.message.senderId?.toString()]).toEqual([false, String(PRIYA)]);
  });
});

describe('edits and deletions follow to the other account', () => {
  it('an edit and a delete-for-everyone reach the recipient with its own ids; delete-for-me does not', async () => {
    const dana = await h.client();
    const priya = await h.client(h.sandbox.mintSession(PRIYA));
    await Promise.all([dana.getMe(), priya.getMe()]);
    const news = listen(priya);
    const edits: EditedMessageEvent[] = [];
    const deletes: DeletedMessageEvent[] = [];
    priya.addEventHandler((e: EditedMessageEvent) => void edits.push(e), new EditedMessage({}));
    priya.addEventHandler((e: DeletedMessageEvent) => void deletes.push(e), new DeletedMessage({}));
    const a = await dana.sendMessage('@priya_raman', { message: 'draft' });
    const b = await dana.sendMessage('@priya_raman', { message: 'keep me' });
    const copyA = (await eventually(() => news.find((x) => x.message.message === 'draft'))).message.id;
    const copyB = (await eventually(() => news.find((x) => x.message.message === 'keep me'))).message.id;
    await dana.editMessage('@priya_raman', { message: a.id, text: 'final' });
    const edited = await eventually(() => edits[0]);
    expect([edited.message.id, edited.message.message, edited.message.out]).toEqual([copyA, 'final', false]);
    await dana.deleteMessages('@priya_raman', [b.id], { revoke: false });
    await dana.deleteMessages('@priya_raman', [a.id], { revoke: true });
    expect((await eventually(() => deletes[0])).deletedIds).toEqual([copyA]);
    const view = h.sandbox.control.forAccount(PRIYA).history(`user:${DANA}`).map((m) => m.id);
    expect(view).toContain(copyB);
    expect(view).not.toContain(copyA);
    expect(h.sandbox.control.forAccount(PRIYA).deletions()).toEqual([]);
  });

  it('reading seeded messages sends a read receipt too; inject from an account shows as its outgoing', async () => {
    const priya = await h.client(h.sandbox.mintSession(PRIYA));
    await priya.getMe();
    const priyaControl = h.sandbox.control.forAccount(PRIYA);
    const { id } = h.sandbox.control.injectIncomingMessage({ fromUserId: PRIYA, text: 'sent from my phone' });
    const mine = priyaControl.history(`user:${DANA}`).at(-1)!;
    expect([mine.text, mine.out]).toEqual(['sent from my phone', true]);
    expect(mine.id).not.toBe(id);
    await priya.sendMessage('@dana_whitfield', { message: 'and one more' });
    const dana = await h.client();
    await dana.markAsRead('@priya_raman');
    const newest = priyaControl.history(`user:${DANA}`).at(-1)!.id;
    expect(priyaControl.readState(`user:${DANA}`).readOutboxMaxId).toBe(newest);
  });
});

describe('pins, reactions and channels are shared', () => {
  it('a pin and a reaction in a private chat reach the other side; a supergroup message keeps its id', async () => {
    const dana = await h.client();
    const priya = await h.client(h.sandbox.mintSession(PRIYA));
    await Promise.all([dana.getMe(), priya.getMe()]);
    const pins: Api.UpdatePinnedMessages[] = [];
    const reactions: Api.UpdateMessageReactions[] = [];
    const channelNews: Api.UpdateNewChannelMessage[] = [];
    priya.addEventHandler(
      (u: Api.UpdatePinnedMessages) => void pins.push(u),
      new Raw({ types: [Api.UpdatePinnedMessages] }),
    );
    priya.addEventHandler(
      (u: Api.UpdateMessageReactions) => void reactions.push(u),
      new Raw({ types: [Api.UpdateMessageReactions] }),
    );
    priya.addEventHandler(
      (u: Api.UpdateNewChannelMessage) => void channelNews.push(u),
      new Raw({ types: [Api.UpdateNewChannelMessage] }),
    );
    const news = listen(priya);
    const sent = await dana.sendMessage('@priya_raman', { message: 'pin me' });
    const copy = (await eventually(() => news.find((x) => x.message.message === 'pin me'))).message.id;
    await dana.pinMessage('@priya_raman', sent.id, { notify: true });
    expect((await eventually(() => pins[0])).messages).toEqual([copy]);
    const priyaControl = h.sandbox.control.forAccount(PRIYA);
    expect(priyaControl.pinned(`user:${DANA}`)).toEqual([copy]);
    expect(priyaControl.history(`user:${DANA}`).at(-1)?.service).toBe('pin');
    await dana.invoke(
      new Api.messages.SendReaction({
        peer: await dana.getInputEntity('@priya_raman'),
        msgId: sent.id,
        reaction: [new Api.ReactionEmoji({ emoticon: '👍' })],
      }),
    );
    const r = await eventually(() => reactions[0]);
    expect(r.msgId).toBe(copy);
    expect(priyaControl.reactions(`user:${DANA}`, copy).map((x) => x.emoji)).toEqual(['👍']);

    const channel = base.channels.find((c) => c.memberIds.includes(PRIYA) && c.megagroup)!;
    const posted = h.sandbox.control.injectIncomingMessage({
      fromUserId: TOMAS,
      channelId: channel.id,
      text: 'hi all',
    });
    const channelDialog = (await dana.getDialogs({})).find(
      (d) => d.entity instanceof Api.Channel && d.entity.id.toString() === String(channel.id),
    )!;
    const viaDana = await dana.sendMessage(channelDialog.entity!, { message: 'hello channel' });
    const heard = await eventually(() => channelNews.find((u) => (u.message as Api.Message).message === 'hi all'));
    expect(heard.message.id).toBe(posted.id);
    const got = await eventually(() =>
      channelNews.find((u) => (u.message as Api.Message).message === 'hello channel'),
    );
    expect(got.message.id).toBe(viaDana.id);
    expect(priyaControl.pts(`channel:${channel.id}`)).toBe(h.sandbox.control.pts(`channel:${channel.id}`));
  });
});

describe('HTTP control API for several accounts', () => {
  it('GET /accounts lists them; POST /sessions/mint {account} logs in as that account', async () => {
    const http = await startControlHttp(h.sandbox);
    try {
      const call = async (path: string, body?: unknown) => {
        const res = await fetch(`${http.url}${path}`, {
          method: body === undefined ? 'GET' : 'POST',
          headers: { authorization: `Bearer ${http.token}`, 'content-type': 'application/json' },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        return { status: res.status, json: (await res.json()) as { session?: string; error?: string } };
      };
      const accounts = (await call('/accounts')).json as unknown as Array<{ id: number }>;
      expect(accounts.map((a) => a.id)).toEqual([DANA, PRIYA, TOMAS]);
      const minted = await call('/sessions/mint', { account: TOMAS });
      const tomas = await h.client(minted.json.session!);
      expect((await tomas.getMe()).id.toString()).toBe(String(TOMAS));
      expect((await call('/sessions/mint', { account: 12345 })).status).toBe(400);
    } finally {
      await http.close();
    }
  });
});

describe('logging in as another account', () => {
  it('phone code (and 2FA for an account that has it) logs in as that account', async () => {
    const { createSandboxClient } = await import('../../sandbox/index.js');
    const s = h.sandbox;
    const phone = s.control.accounts().find((a) => a.id === TOMAS)!.phone;
    const client = createSandboxClient(s, '');
    try {
      await client.connect();
      await client.start({
        phoneNumber: async () => `+${phone}`,
        phoneCode: async () => s.control.lastLoginCode(phone)!,
        password: async () => 'tomas-secret',
        onError: async (err) => {
          throw err;
        },
      });
      const me = await client.getMe();
      expect([me.id.toString(), me.username]).toEqual([String(TOMAS), 'tomas_ortega']);
      expect(s.control.sessions(TOMAS)).toHaveLength(1);
      expect(s.control.sessions()).toHaveLength(0);
      const auths = await client.invoke(new Api.account.GetAuthorizations());
      expect(auths.authorizations).toHaveLength(1);
    } finally {
      await client.destroy();
    }
  });
});

describe('many clients of several accounts at once', () => {
  it('10 clients across 3 accounts call getDialogs and send concurrently', async () => {
    const who = [DANA, DANA, DANA, DANA, PRIYA, PRIYA, PRIYA, TOMAS, TOMAS, TOMAS];
    const clients = await Promise.all(who.map((id) => h.client(h.sandbox.mintSession(id))));
    const results = await Promise.all(
      clients.map(async (c, i) => {
        const dialogs = await c.getDialogs({});
        const target = who[i] === DANA ? '@tomas_ortega' : '@dana_whitfield';
        const m = await c.sendMessage(target, { message: `hello ${i}` });
        return { dialogs: dialogs.length, id: m.id };
      }),
    );
    expect(results.every((r) => r.dialogs > 0 && r.id > 0)).toBe(true);
    // Every message is in both sides' views.
    const danaToTomas = h.sandbox.control.history(`user:${TOMAS}`).map((m) => m.text);
    const tomasView = h.sandbox.control.forAccount(TOMAS).history(`user:${DANA}`).map((m) => m.text);
    for (let i = 0; i < 10; i++) {
      if (who[i] === PRIYA) continue;
      expect(danaToTomas).toContain(`hello ${i}`);
      expect(tomasView).toContain(`hello ${i}`);
    }
    const priyaView = h.sandbox.control.forAccount(PRIYA).history(`user:${DANA}`).map((m) => m.text);
    const danaView = h.sandbox.control.history(`user:${PRIYA}`).map((m) => m.text);
    for (const i of [4, 5, 6]) {
      expect(priyaView).toContain(`hello ${i}`);
      expect(danaView).toContain(`hello ${i}`);
    }
    // Ids within each account's box are unique.
    const ids = h.sandbox.control.history(`user:${TOMAS}`).map((m) => m.id);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
