/**
 * Supergroups and broadcast channels as an unmodified gramjs client sees them: dialogs with unread counts and
 * pts, per-channel message ids, history, lookups, sending (and being refused in a channel the account does not
 * run), reading, deleting, pushed channel updates; plus contacts and chat info.
 */
import { Api, type TelegramClient } from 'telegram';
import { NewMessage, type NewMessageEvent, Raw } from 'telegram/events/index.js';
import { describe, expect, it } from 'vitest';
import { eventually, rpcErrorOf, useSandbox } from './harness.js';

const h = useSandbox();

async function channelEntity(client: TelegramClient, title: string): Promise<Api.Channel> {
  const d = (await client.getDialogs({})).find((x) => x.title === title);
  if (!(d?.entity instanceof Api.Channel)) throw new Error(`no channel dialog "${title}"`);
  return d.entity;
}

describe('supergroups and channels in the dialog list', () => {
  it('lists both with unread counts, read marks and the channel’s pts', async () => {
    const client = await h.client();
    const dialogs = await client.getDialogs({});
    const eng = dialogs.find((d) => d.title === 'Acme Engineering')!;
    const gym = dialogs.find((d) => d.title === 'Kreuzberg Boulders')!;
    expect(eng.isGroup && eng.isChannel).toBe(true);
    expect((eng.entity as Api.Channel).megagroup).toBe(true);
    expect(gym.isChannel && !gym.isGroup).toBe(true);
    expect((gym.entity as Api.Channel).broadcast).toBe(true);
    expect(eng.unreadCount).toBe(3);
    expect(gym.unreadCount).toBe(2);
    const engId = h.channel('Acme Engineering').id;
    expect(eng.message?.id).toBe(h.sandbox.control.history(`channel:${engId}`).at(-1)!.id);
    expect(eng.dialog.pts).toBe(h.sandbox.control.pts(`channel:${engId}`));
    expect(eng.dialog.readInboxMaxId).toBe(h.sandbox.control.readState(`channel:${engId}`).readInboxMaxId);
  });

  it('resolves a public channel by username', async () => {
    const client = await h.client();
    const gym = (await client.getEntity('@kreuzberg_boulders')) as Api.Channel;
    expect(gym).toBeInstanceOf(Api.Channel);
    expect(gym.id.toString()).toBe(String(h.channel('Kreuzberg Boulders').id));
    expect(gym.broadcast).toBe(true);
  });
});

describe('channel history and lookups', () => {
  it('numbers each channel’s messages from 1 and pages its history (messages.channelMessages)', async () => {
    const client = await h.client();
    const eng = await channelEntity(client, 'Acme Engineering');
    const stored = h.sandbox.control.history(`channel:${eng.id}`);
    expect(stored.map((m) => m.id)).toEqual(stored.map((_, i) => i + 1));
    const seen: number[] = [];
    let offsetId = 0;
    for (;;) {
      const page = await client.getMessages(eng, { limit: 3, ...(offsetId ? { offsetId } : {}) });
      if (page.length === 0) break;
      expect(page.total).toBe(stored.length);
      seen.push(...Array.from(page, (m) => m.id));
      offsetId = page.at(-1)!.id;
    }
    expect(seen).toEqual(stored.map((m) => m.id).reverse());
    const raw = await client.invoke(
      new Api.messages.GetHistory({
        peer: eng,
        limit: 2,
        offsetId: 0,
        offsetDate: 0,
        addOffset: 0,
        maxId: 0,
        minId: 0,
      }),
    );
    expect(raw).toBeInstanceOf(Api.messages.ChannelMessages);
    expect((raw as Api.messages.ChannelMessages).pts).toBe(h.sandbox.control.pts(`channel:${eng.id}`));
    const flame = await client.getMessages(eng, { search: 'flame graphs' });
    expect(Array.from(flame, (m) => m.id)).toEqual(
      stored.filter((m) => /flame graphs/i.test(m.text)).map((m) => m.id).reverse(),
    );
    // Broadcast posts show as the channel's, without a sender.
    const gym = await channelEntity(client, 'Kreuzberg Boulders');
    const [post] = await client.getMessages(gym, { limit: 1 });
    expect(post!.post).toBe(true);
    expect(post!.fromId).toBeNull();
  });

  it('channels.getMessages, getChannels and getFullChannel describe the channel', async () => {
    const client = await h.client();
    const eng = await channelEntity(client, 'Acme Engineering');
    const found = await client.getMessages(eng, { ids: [1, 2, 999] });
    expect(found[0]?.id).toBe(1);
    expect(found[1]?.id).toBe(2);
    expect(found[2]).toBeUndefined();
    const chats = await client.invoke(new Api.channels.GetChannels({ id: [eng] }));
    expect((chats.chats[0] as Api.Channel).title).toBe('Acme Engineering');
    const full = (await client.invoke(new Api.channels.GetFullChannel({ channel: eng }))).fullChat as Api.ChannelFull;
    const key = `channel:${eng.id}`;
    expect(full.about).toBe('Engineering announcements and release coordination.');
    expect(full.participantsCount).toBe(h.channel('Acme Engineering').memberIds.length);
    expect(full.unreadCount).toBe(3);
    expect(full.readInboxMaxId).toBe(h.sandbox.control.readState(key).readInboxMaxId);
    expect(full.pinnedMsgId).toBe(h.sandbox.control.pinned(key).at(-1));
    expect(full.pts).toBe(h.sandbox.control.pts(key));
    const members = await client.getParticipants(eng, {});
    expect(members.length).toBe(h.channel('Acme Engineering').memberIds.length);
    const gym = await channelEntity(client, 'Kreuzberg Boulders');
    expect(await rpcErrorOf(client.getParticipants(gym, {}))).toBe('CHAT_ADMIN_REQUIRED');
  });
});

describe('writing in supergroups and channels', () => {
  it('sends into a supergroup with the channel’s next id; other sessions get updateNewChannelMessage', async () => {
    const sender = await h.client();
    const listener = await h.client();
    await listener.getMe();
    const events: NewMessageEvent[] = [];
    listener.addEventHandler((e: NewMessageEvent) => void events.push(e), new NewMessage({}));
    const eng = await channelEntity(sender, 'Acme Engineering');
    const key = `channel:${eng.id}`;
    const accountPts = h.sandbox.control.pts();
    const channelPts = h.sandbox.control.pts(key);
    const last = h.sandbox.control.history(key).at(-1)!;
    const sent = await sender.sendMessage(eng, { message: 'Merged the retry fix 🎯', replyTo: last.id });
    expect(sent.id).toBe(last.id + 1);
    expect(sent.replyTo?.replyToMsgId).toBe(last.id);
    expect(h.sandbox.control.sentMessages().at(-1)).toMatchObject({ id: sent.id, peer: key, kind: 'text' });
    expect(h.sandbox.control.pts(key)).toBe(channelPts + 1);
    expect(h.sandbox.control.pts()).toBe(accountPts);
    const event = await eventually(() => events[0]);
    expect(event.message.id).toBe(sent.id);
    expect(event.message.chatId?.toString()).toBe(`-100${eng.id}`);
    expect(h.sandbox.control.unreadCount(key)).toBe(0);
  });

  it('refuses to post in a broadcast channel the account does not run', async () => {
    const client = await h.client();
    const gym = await channelEntity(client, 'Kreuzberg Boulders');
    expect(await rpcErrorOf(client.sendMessage(gym, { message: 'hi' }))).toBe('CHAT_WRITE_FORBIDDEN');
    expect(h.sandbox.control.sentMessages()).toEqual([]);
  });

  it('an injected post arrives as a channel post; only admins can post', async () => {
    const client = await h.client();
    await client.getMe();
    const events: NewMessageEvent[] = [];
    client.addEventHandler((e: NewMessageEvent) => void events.push(e), new NewMessage({}));
    const gym = h.channel('Kreuzberg Boulders');
    const nina = h.user('nina_vogt');
    const sam = h.user('samcarter');
    const { id } = h.sandbox.control.injectIncomingMessage({
      fromUserId: nina.id,
      channelId: gym.id,
      text: 'Closed Monday.',
    });
    const event = await eventually(() => events[0]);
    expect(event.message.id).toBe(id);
    expect(event.message.post).toBe(true);
    expect(h.sandbox.control.unreadCount(`channel:${gym.id}`)).toBe(3);
    expect(() =>
      h.sandbox.control.injectIncomingMessage({ fromUserId: sam.id, channelId: gym.id, text: 'me too' }),
    ).toThrow(/CHAT_WRITE_FORBIDDEN/);
  });

  it('channels.readHistory reads the channel and tells other sessions (updateReadChannelInbox)', async () => {
    const actor = await h.client();
    const listener = await h.client();
    await listener.getMe();
    const heard: Api.UpdateReadChannelInbox[] = [];
    listener.addEventHandler(
      (u: Api.UpdateReadChannelInbox) => void heard.push(u),
      new Raw({ types: [Api.UpdateReadChannelInbox] }),
    );
    const eng = await channelEntity(actor, 'Acme Engineering');
    const key = `channel:${eng.id}`;
    expect(await actor.markAsRead(eng)).toBe(true);
    expect(h.sandbox.control.readState(key)).toMatchObject({
      unreadCount: 0,
      readInboxMaxId: h.sandbox.control.history(key).at(-1)!.id,
    });
    const update = await eventually(() => heard[0]);
    expect(update.channelId.toString()).toBe(String(eng.id));
    expect(update.stillUnreadCount).toBe(0);
    const dialog = (await actor.getDialogs({})).find((d) => d.title === 'Acme Engineering');
    expect(dialog?.unreadCount).toBe(0);
  });

  it('channels.deleteMessages deletes for everyone (the account is an admin); other sessions hear it', async () => {
    const actor = await h.client();
    const listener = await h.client();
    await listener.getMe();
    const heard: Api.UpdateDeleteChannelMessages[] = [];
    listener.addEventHandler(
      (u: Api.UpdateDeleteChannelMessages) => void heard.push(u),
      new Raw({ types: [Api.UpdateDeleteChannelMessages] }),
    );
    const eng = await channelEntity(actor, 'Acme Engineering');
    const key = `channel:${eng.id}`;
    const theirs = h.sandbox.control.history(key).find((m) => !m.out)!;
    const [affected] = await actor.deleteMessages(eng, [theirs.id], { revoke: true });
    expect(affected?.ptsCount).toBe(1);
    expect(h.sandbox.control.history(key).map((m) => m.id)).not.toContain(theirs.id);
    expect(h.sandbox.control.deletions().at(-1)).toMatchObject({ peer: key, ids: [theirs.id], revoke: true });
    expect((await eventually(() => heard[0])).messages).toEqual([theirs.id]);
  });
});

describe('contacts and chat info', () => {
  it('contacts.getContacts lists the fixture’s contacts only', async () => {
    const client = await h.client();
    const r = (await client.invoke(new Api.contacts.GetContacts({}))) as Api.contacts.Contacts;
    const names = r.users.map((u) => (u as Api.User).firstName).sort();
    expect(names).toEqual(['Jonah', 'Mom', 'Priya', 'Sam', 'Tomás']);
    expect(r.users.every((u) => (u as Api.User).contact)).toBe(true);
  });

  it('users.getFullUser counts common groups and supergroups; messages.getFullChat lists members', async () => {
    const client = await h.client();
    const full = await client.invoke(new Api.users.GetFullUser({ id: '@priya_raman' }));
    expect(full.fullUser.commonChatsCount).toBe(2);
    expect(full.chats.map((c) => (c as Api.Chat | Api.Channel).title).sort()).toEqual([
      'Acme Engineering',
      'Lisbon offsite planning',
    ]);
    const group = h.group();
    const chat = await client.invoke(new Api.messages.GetFullChat({ chatId: group.id as never }));
    const participants = (chat.fullChat as Api.ChatFull).participants as Api.ChatParticipants;
    expect(participants.participants.length).toBe(h.sandbox.control.chats()[0]!.memberIds.length);
  });
});
