/**
 * The sandbox as gramjs sees it: an unmodified TelegramClient connects with a minted session and uses the
 * account like Telegram (SANDBOX.md). Every client is destroyed after its test (gramjs leaves timers otherwise).
 */
import { createConnection } from 'node:net';
import { Api } from 'telegram';
import { FloodWaitError, RPCError } from 'telegram/errors/index.js';
import { NewMessage, type NewMessageEvent } from 'telegram/events/index.js';
import { generateRandomLong } from 'telegram/Helpers.js';
import { describe, expect, it } from 'vitest';
import { startSandbox } from '../../sandbox/index.js';
import { eventually, useSandbox } from './harness.js';

const h = useSandbox();

describe('sandbox with an unmodified gramjs client', () => {
  it('listens on 127.0.0.1, DC 2, on a port StringSession can store', () => {
    expect(h.sandbox.host).toBe('127.0.0.1');
    expect(h.sandbox.dcId).toBe(2);
    expect(h.sandbox.port).toBeGreaterThanOrEqual(20000);
    expect(h.sandbox.port).toBeLessThanOrEqual(32767);
  });

  it('connects with a minted session and getMe returns the seeded account', async () => {
    const client = await h.client();
    const me = await client.getMe();
    const account = h.sandbox.control.account();
    expect(me.id.toString()).toBe(String(account.id));
    expect(me.firstName).toBe(account.firstName);
    expect(me.lastName).toBe(account.lastName);
    expect(me.username).toBe(account.username);
    expect(me.phone).toBe(account.phone);
    expect(me.self).toBe(true);
    expect(await client.isUserAuthorized()).toBe(true);
  });

  it('getDialogs returns every dialog with its title, unread count and last message, newest first', async () => {
    const client = await h.client();
    const dialogs = await client.getDialogs({});
    const byTitle = new Map(dialogs.map((d) => [d.title, d]));
    const group = h.sandbox.control.chats()[0]!;
    expect(byTitle.get(group.title)?.isGroup).toBe(true);
    expect(byTitle.get(group.title)?.unreadCount).toBe(4);
    expect(byTitle.get('Priya Raman')?.unreadCount).toBe(1);
    expect(byTitle.get('Sam Carter')?.unreadCount).toBe(2);
    expect(byTitle.get('Tomás Ortega')?.unreadCount).toBe(0);
    expect(byTitle.get('Mom')?.isUser).toBe(true);
    for (const d of dialogs) {
      const e = d.entity!;
      const kind = e instanceof Api.Channel ? 'channel' : e instanceof Api.Chat ? 'chat' : 'user';
      const history = h.sandbox.control.history(`${kind}:${e.id}`);
      expect(d.message?.id).toBe(history.at(-1)!.id);
      expect(d.message?.message).toBe(history.at(-1)!.text);
    }
    const dates = Array.from(dialogs, (d) => d.date);
    expect([...dates].sort((a, b) => b - a)).toEqual(dates);
    expect(dialogs.length).toBe(8);
  });

  it('getDialogs pages with offsets without gaps or repeats', async () => {
    const client = await h.client();
    const all = await client.getDialogs({});
    const pages: string[] = [];
    let offsetId = 0;
    let offsetDate = 0;
    for (let i = 0; i < 10; i++) {
      const r = await client.invoke(
        new Api.messages.GetDialogs({ offsetId, offsetDate, offsetPeer: new Api.InputPeerEmpty(), limit: 2 }),
      );
      if (!('dialogs' in r) || r.dialogs.length === 0) break;
      for (const d of r.dialogs) pages.push(String((d as Api.Dialog).topMessage));
      const last = r.messages.at(-1) as Api.Message;
      offsetId = last.id;
      offsetDate = last.date;
      if ('count' in r) expect(r.count).toBe(all.length);
    }
    expect(pages).toEqual(Array.from(all, (d) => String(d.message!.id)));
  });

  it('getMessages pages through a whole dialog with offsetId, newest first, without gaps or repeats', async () => {
    const client = await h.client();
    const group = h.sandbox.control.chats()[0]!;
    const stored = h.sandbox.control.history(`chat:${group.id}`);
    const entity = new Api.PeerChat({
      chatId: (await client.getDialogs({})).find((d) => d.isGroup && !d.isChannel)!.entity!.id,
    });
    const seen: number[] = [];
    let offsetId = 0;
    for (;;) {
      const page = await client.getMessages(entity, { limit: 3, ...(offsetId ? { offsetId } : {}) });
      if (page.length === 0) break;
      expect(page.total).toBe(stored.length);
      seen.push(...Array.from(page, (m) => m.id));
      offsetId = page.at(-1)!.id;
    }
    expect(seen).toEqual(stored.map((m) => m.id).reverse());
    const texts = await client.getMessages(entity, { limit: stored.length });
    expect(Array.from(texts, (m) => m.message)).toEqual(stored.map((m) => m.text).reverse());
  });

  it('getHistory honours add_offset, max_id and min_id', async () => {
    const client = await h.client();
    const sam = h.user('samcarter');
    const ids = h.sandbox.control.history(`user:${sam.id}`).map((m) => m.id);
    const peer = await client.getInputEntity('@samcarter');
    const history = (args: Partial<Api.messages.GetHistory>) =>
      client
        .invoke(
          new Api.messages.GetHistory({
            peer,
            offsetId: 0,
            offsetDate: 0,
            addOffset: 0,
            limit: 100,
            maxId: 0,
            minId: 0,
            ...args,
          }),
        )
        .then((r) => (r as Api.messages.Messages).messages.map((m) => m.id));
    expect(await history({})).toEqual([...ids].reverse());
    expect(await history({ offsetId: ids[4]!, limit: 2 })).toEqual([ids[3], ids[2]]);
    // Negative add_offset reads newer messages (how gramjs pages in reverse).
    expect(await history({ offsetId: ids[2]!, addOffset: -2, limit: 2 })).toEqual([ids[3], ids[2]]);
    expect(await history({ maxId: ids[5]!, minId: ids[1]! })).toEqual([ids[4], ids[3], ids[2]]);
    const reversed = await client.getMessages('@samcarter', { reverse: true, limit: 100 });
    expect(Array.from(reversed, (m) => m.id)).toEqual(ids);
  });

  it('resolves a username with getEntity("@username")', async () => {
    const client = await h.client();
    const priya = h.user('priya_raman');
    const entity = (await client.getEntity('@priya_raman')) as Api.User;
    expect(entity).toBeInstanceOf(Api.User);
    expect(entity.id.toString()).toBe(String(priya.id));
    expect(entity.firstName).toBe('Priya');
    await expect(client.getEntity('@nobody_here')).rejects.toThrow(/nobody_here/);
  });

  it('sendMessage returns the sent message; it appears in sentMessages exactly once with that id', async () => {
    const client = await h.client();
    const tomas = h.user('tomas_ortega');
    const sent = await client.sendMessage('@tomas_ortega', { message: 'Booked the quinta ✅' });
    expect(sent.id).toBeGreaterThan(0);
    expect(sent.out).toBe(true);
    expect(h.sandbox.control.sentMessages()).toEqual([
      { id: sent.id, peer: `user:${tomas.id}`, text: 'Booked the quinta ✅', date: sent.date, kind: 'text' },
    ]);
    expect(h.sandbox.control.history(`user:${tomas.id}`).at(-1)).toMatchObject({
      id: sent.id,
      text: 'Booked the quinta ✅',
    });
    const [latest] = await client.getMessages('@tomas_ortega', { limit: 1 });
    expect(latest?.id).toBe(sent.id);
  });

  it('sendMessage to a basic group with reply_to resolves the Message with its id and reply header', async () => {
    const client = await h.client();
    const group = h.sandbox.control.chats()[0]!;
    const target = h.sandbox.control.history(`chat:${group.id}`).at(-1)!;
    const dialog = (await client.getDialogs({})).find((d) => d.isGroup && !d.isChannel)!;
    const sent = await client.sendMessage(dialog.entity!, {
      message: 'Vegetarian too 🌱',
      replyTo: target.id,
    });
    expect(sent.replyTo?.replyToMsgId).toBe(target.id);
    expect(h.sandbox.control.sentMessages()).toEqual([
      {
        id: sent.id,
        peer: `chat:${group.id}`,
        text: 'Vegetarian too 🌱',
        date: sent.date,
        replyTo: target.id,
        kind: 'text',
      },
    ]);
    // Writing in a chat reads it.
    expect(h.sandbox.control.unreadCount(`chat:${group.id}`)).toBe(0);
  });

  it('a repeated random_id does not send twice', async () => {
    const client = await h.client();
    const peer = await client.getInputEntity('@jonah_kim');
    const first = new Api.messages.SendMessage({ peer, message: 'once' });
    const a = (await client.invoke(first)) as Api.UpdateShortSentMessage;
    const again = new Api.messages.SendMessage({ peer, message: 'once', randomId: first.randomId });
    const b = (await client.invoke(again)) as Api.UpdateShortSentMessage;
    expect(b.id).toBe(a.id);
    expect(h.sandbox.control.sentMessages().map((m) => m.id)).toEqual([a.id]);
  });

  it('an injected incoming message fires NewMessage on a connected client', async () => {
    const client = await h.client();
    await client.getMe();
    const sam = h.user('samcarter');
    const events: NewMessageEvent[] = [];
    client.addEventHandler((e: NewMessageEvent) => void events.push(e), new NewMessage({}));
    const { id } = h.sandbox.control.injectIncomingMessage({
      fromUserId: sam.id,
      text: 'Running late, 10:15?',
    });
    const event = await eventually(() => events[0]);
    expect(event.message.id).toBe(id);
    expect(event.message.message).toBe('Running late, 10:15?');
    expect(event.message.out).toBe(false);
    expect(event.message.senderId?.toString()).toBe(String(sam.id));
    expect(event.isPrivate).toBe(true);
    expect(h.sandbox.control.unreadCount(`user:${sam.id}`)).toBe(3);

    const group = h.sandbox.control.chats()[0]!;
    const jonah = h.user('jonah_kim');
    h.sandbox.control.injectIncomingMessage({ fromUserId: jonah.id, chatId: group.id, text: 'Booked!' });
    const groupEvent = await eventually(() => events[1]);
    expect(groupEvent.isGroup).toBe(true);
    expect(groupEvent.message.senderId?.toString()).toBe(String(jonah.id));
    expect(groupEvent.message.chatId?.toString()).toBe(String(-group.id));
  });

  it('a message sent from one session is pushed to the account’s other sessions', async () => {
    const sender = await h.client();
    const listener = await h.client();
    await listener.getMe();
    const events: NewMessageEvent[] = [];
    listener.addEventHandler((e: NewMessageEvent) => void events.push(e), new NewMessage({}));
    const senderEvents: NewMessageEvent[] = [];
    sender.addEventHandler((e: NewMessageEvent) => void senderEvents.push(e), new NewMessage({}));
    const sent = await sender.sendMessage('@priya_raman', { message: 'calling in 5' });
    const event = await eventually(() => events[0]);
    expect(event.message.id).toBe(sent.id);
    expect(event.message.out).toBe(true);
    expect(senderEvents).toHaveLength(0);
  });

  it('an unimplemented method is rejected with an RPC error, not a hang', async () => {
    const client = await h.client();
    const call = client.invoke(new Api.stickers.SuggestShortName({ title: 'Offsite' }));
    await expect(call).rejects.toBeInstanceOf(RPCError);
    await expect(client.invoke(new Api.stickers.SuggestShortName({ title: 'Offsite' }))).rejects.toThrow(
      /METHOD_NOT_IMPLEMENTED_SANDBOX/,
    );
    // The connection stays usable.
    expect((await client.getMe()).username).toBe(h.sandbox.control.account().username);
  });

  it('garbage bytes on a raw socket close that socket only; clients keep working', async () => {
    const client = await h.client();
    const closed = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ host: h.sandbox.host, port: h.sandbox.port }, () => {
        socket.write(Buffer.from('GET / HTTP/1.1\r\nHost: sandbox\r\n\r\n'));
      });
      socket.on('close', () => resolve(true));
      socket.on('error', () => undefined);
      setTimeout(() => resolve(false), 2000).unref();
    });
    expect(closed).toBe(true);
    expect((await client.getMe()).firstName).toBe('Dana');
    const late = await h.client();
    expect((await late.getDialogs({})).length).toBe(8);
  });

  it('a fresh client runs the auth key exchange; its key is not logged in', async () => {
    const client = await h.client('');
    expect(client.session.getAuthKey()?.getKey()?.length).toBeGreaterThanOrEqual(255);
    const config = await client.invoke(new Api.help.GetConfig());
    expect(config.thisDc).toBe(2);
    expect(config.dcOptions[0]?.port).toBe(h.sandbox.port);
    await expect(client.invoke(new Api.updates.GetState())).rejects.toThrow(/AUTH_KEY_UNREGISTERED/);
    expect(await client.isUserAuthorized()).toBe(false);
  });

  it('answers ping with a pong carrying the ping id', async () => {
    const client = await h.client();
    const pingId = generateRandomLong();
    const pong = (await client.invoke(
      new Api.PingDelayDisconnect({ pingId, disconnectDelay: 60 }),
    )) as Api.Pong;
    expect(pong).toBeInstanceOf(Api.Pong);
    expect(pong.pingId.toString()).toBe(pingId.toString());
  });

  it('concurrent calls (sent in one container) each get their own result', async () => {
    const client = await h.client();
    const [me, state, priya, dialogs] = await Promise.all([
      client.getMe(),
      client.invoke(new Api.updates.GetState()),
      client.getEntity('@priya_raman'),
      client.getDialogs({ limit: 2 }),
    ]);
    expect(me.self).toBe(true);
    expect(state.unreadCount).toBe(13);
    expect((priya as Api.User).username).toBe('priya_raman');
    expect(dialogs).toHaveLength(2);
  });

  it('a restarted sandbox given the same auth keys accepts the old session', async () => {
    const session = h.sandbox.mintSession();
    const first = await h.client(session);
    await first.getMe();
    await first.destroy();
    const { port, authKeys } = h.sandbox;
    await h.sandbox.stop();
    h.sandbox = await startSandbox({ port, authKeys });
    const again = await h.client(session);
    expect((await again.getMe()).username).toBe('dana_whitfield');
  });
});

describe('sandbox message box beyond sending', () => {
  it('markAsRead clears the unread count and the next getDialogs shows it', async () => {
    const client = await h.client();
    const sam = h.user('samcarter');
    expect(h.sandbox.control.unreadCount(`user:${sam.id}`)).toBe(2);
    expect(await client.markAsRead('@samcarter')).toBe(true);
    expect(h.sandbox.control.unreadCount(`user:${sam.id}`)).toBe(0);
    const dialog = (await client.getDialogs({})).find((d) => d.title === 'Sam Carter');
    expect(dialog?.unreadCount).toBe(0);
    const state = await client.invoke(new Api.updates.GetState());
    expect(state.unreadCount).toBe(11);
  });

  it('readHistory with max_id reads only up to that message', async () => {
    const client = await h.client();
    const group = h.sandbox.control.chats()[0]!;
    const history = h.sandbox.control.history(`chat:${group.id}`);
    const peer = new Api.InputPeerChat({
      chatId: (await client.getDialogs({})).find((d) => d.isGroup && !d.isChannel)!.entity!.id,
    });
    await client.invoke(new Api.messages.ReadHistory({ peer, maxId: history.at(-3)!.id }));
    expect(h.sandbox.control.unreadCount(`chat:${group.id}`)).toBe(2);
  });

  it('editMessage changes an own message; editing someone else’s is refused', async () => {
    const client = await h.client();
    const tomas = h.user('tomas_ortega');
    const sent = await client.sendMessage('@tomas_ortega', { message: 'Booked the quinta' });
    const edited = await client.editMessage('@tomas_ortega', {
      message: sent.id,
      text: 'Booked the quinta for 3 nights',
    });
    expect(edited.id).toBe(sent.id);
    expect(edited.message).toBe('Booked the quinta for 3 nights');
    expect(edited.editDate).toBeGreaterThan(0);
    expect(h.sandbox.control.history(`user:${tomas.id}`).at(-1)?.text).toBe('Booked the quinta for 3 nights');
    expect(h.sandbox.control.sentMessages()[0]?.text).toBe('Booked the quinta');
    const theirs = h.sandbox.control.history(`user:${tomas.id}`).find((m) => m.fromId === tomas.id)!;
    await expect(client.editMessage('@tomas_ortega', { message: theirs.id, text: 'nope' })).rejects.toThrow(
      /MESSAGE_AUTHOR_REQUIRED/,
    );
  });

  it('deleteMessages removes messages from the dialog', async () => {
    const client = await h.client();
    const jonah = h.user('jonah_kim');
    const before = h.sandbox.control.history(`user:${jonah.id}`);
    const affected = await client.deleteMessages('@jonah_kim', [before[1]!.id], { revoke: true });
    expect(affected[0]?.ptsCount).toBe(1);
    expect(h.sandbox.control.history(`user:${jonah.id}`).map((m) => m.id)).toEqual([
      before[0]!.id,
      before[2]!.id,
    ]);
    const left = await client.getMessages('@jonah_kim', { limit: 10 });
    expect(Array.from(left, (m) => m.id)).toEqual([before[2]!.id, before[0]!.id]);
  });

  it('failNext makes the next call fail with FLOOD_WAIT_X, then calls succeed again', async () => {
    const client = await h.client();
    h.sandbox.control.failNext('messages.sendMessage', 'FLOOD_WAIT_5', 2);
    for (let i = 0; i < 2; i++) {
      const err = await client
        .sendMessage('@samcarter', { message: 'see you there' })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(FloodWaitError);
      expect((err as FloodWaitError).seconds).toBe(5);
    }
    expect(h.sandbox.control.sentMessages()).toEqual([]);
    const sent = await client.sendMessage('@samcarter', { message: 'see you there' });
    expect(h.sandbox.control.sentMessages().map((m) => m.id)).toEqual([sent.id]);
  });
});
