/**
 * Message features as an unmodified gramjs client uses them: search in a chat and across chats, forwarding,
 * reactions, pins, deleting for the account only or for everyone, and replies.
 */
import { Api } from 'telegram';
import { Raw } from 'telegram/events/index.js';
import { getInputPeer } from 'telegram/Utils.js';
import { describe, expect, it } from 'vitest';
import { eventually, rpcErrorOf, useSandbox } from './harness.js';

const h = useSandbox();

/** Every message of every dialog the fixture has, with its dialog. */
function allStored() {
  const c = h.sandbox.control;
  const peers = [
    ...c.users().map((u) => `user:${u.id}`),
    ...c.chats().map((g) => `chat:${g.id}`),
    ...c.channels().map((x) => `channel:${x.id}`),
  ];
  return peers.flatMap((peer) => c.history(peer).map((m) => ({ ...m, peer })));
}

async function groupEntity(client: Awaited<ReturnType<typeof h.client>>) {
  return (await client.getDialogs({})).find((d) => d.isGroup && !d.isChannel)!.entity!;
}

describe('search in a chat (messages.search)', () => {
  it('finds messages whose words start with the query, case- and accent-insensitively, newest first', async () => {
    const client = await h.client();
    const group = await groupEntity(client);
    const flights = await client.getMessages(group, { search: 'FLIGHT' });
    const stored = h.sandbox.control.history(`chat:${h.group().id}`);
    const expected = stored.filter((m) => /\bflights?\b/i.test(m.text)).map((m) => m.id).reverse();
    expect(expected.length).toBeGreaterThanOrEqual(3);
    expect(Array.from(flights, (m) => m.id)).toEqual(expected);
    expect(flights.total).toBe(expected.length);
    const tomas = await client.getMessages(group, { search: 'tomas' });
    expect(Array.from(tomas, (m) => m.message)).toEqual([expect.stringContaining('Tomás, can you get a quote')]);
    const sam = await client.getMessages('@samcarter', { search: 'pizza' });
    expect(Array.from(sam, (m) => m.message)).toEqual(["Also, pizza after? Lea's joining."]);
    expect(await client.getMessages('@samcarter', { search: 'nothing-like-this' })).toHaveLength(0);
  });

  it('pages with offset_id and limit without gaps or repeats, and filters by sender', async () => {
    const client = await h.client();
    const peer = getInputPeer(await groupEntity(client));
    const all = (await client.invoke(
      new Api.messages.Search({ peer, q: 'the', filter: new Api.InputMessagesFilterEmpty(), limit: 100 }),
    )) as Api.messages.Messages;
    expect(all.messages.length).toBeGreaterThan(3);
    const seen: number[] = [];
    let offsetId = 0;
    for (let i = 0; i < 50; i++) {
      const page = (await client.invoke(
        new Api.messages.Search({ peer, q: 'the', filter: new Api.InputMessagesFilterEmpty(), offsetId, limit: 2 }),
      )) as Api.messages.MessagesSlice;
      if (page.messages.length === 0) break;
      expect(page.count).toBe(all.messages.length);
      seen.push(...page.messages.map((m) => m.id));
      offsetId = page.messages.at(-1)!.id;
    }
    expect(seen).toEqual(all.messages.map((m) => m.id));

    const priya = h.user('priya_raman');
    const fromPriya = await client.getMessages(peer, { search: 'the', fromUser: '@priya_raman' });
    expect(fromPriya.length).toBeGreaterThan(0);
    for (const m of fromPriya) expect(m.senderId?.toString()).toBe(String(priya.id));
  });
});

describe('global search (messages.searchGlobal)', () => {
  it('searches every dialog, newest first, and pages by next_rate / offset_peer / offset_id', async () => {
    const client = await h.client();
    const expected = allStored().filter((m) => /(^|[^\p{L}\p{N}])quinta/iu.test(m.text));
    expect(new Set(expected.map((m) => m.peer)).size).toBeGreaterThanOrEqual(2);
    const found = await client.getMessages(undefined, { search: 'quinta', limit: 100 });
    expect(found.length).toBe(expected.length);
    expect(new Set(Array.from(found, (m) => `${m.chatId}:${m.id}`)).size).toBe(expected.length);
    const dates = Array.from(found, (m) => m.date);
    expect([...dates].sort((a, b) => b - a)).toEqual(dates);

    const seen: string[] = [];
    let offsetRate = 0;
    let offsetPeer: Api.TypeInputPeer = new Api.InputPeerEmpty();
    let offsetId = 0;
    for (let i = 0; i < 50; i++) {
      const r = (await client.invoke(
        new Api.messages.SearchGlobal({
          q: 'quinta',
          filter: new Api.InputMessagesFilterEmpty(),
          offsetRate,
          offsetPeer,
          offsetId,
          limit: 2,
        }),
      )) as Api.messages.MessagesSlice;
      const page = r.messages as Api.Message[];
      seen.push(...page.map((m) => `${JSON.stringify(m.peerId.toJSON())}:${m.id}`));
      if (!r.nextRate) break;
      const last = page.at(-1)!;
      const p = last.peerId;
      const peerId = 'userId' in p ? p.userId : 'chatId' in p ? p.chatId : p.channelId;
      const entity = [...r.users, ...r.chats].find((e) => e.id.toString() === peerId.toString())!;
      offsetRate = r.nextRate;
      offsetPeer = getInputPeer(entity);
      offsetId = last.id;
    }
    expect(seen.length).toBe(expected.length);
    expect(new Set(seen).size).toBe(expected.length);
  });

  it('refuses an empty query without a filter', async () => {
    const client = await h.client();
    const call = client.invoke(
      new Api.messages.SearchGlobal({
        q: '',
        filter: new Api.InputMessagesFilterEmpty(),
        offsetPeer: new Api.InputPeerEmpty(),
        limit: 10,
      }),
    );
    expect(await rpcErrorOf(call)).toBe('SEARCH_QUERY_EMPTY');
  });
});

describe('forwarding (messages.forwardMessages)', () => {
  it('copies messages with a fwd_from header naming the original author and date', async () => {
    const client = await h.client();
    const sam = h.user('samcarter');
    const jonah = h.user('jonah_kim');
    const originals = h.sandbox.control.history(`user:${sam.id}`).filter((m) => m.fromId === sam.id).slice(-2);
    const [sent] = (await client.forwardMessages('@jonah_kim', {
      messages: originals.map((m) => m.id),
      fromPeer: '@samcarter',
    })) as unknown as Api.Message[][];
    expect(sent).toHaveLength(2);
    sent!.forEach((m, i) => {
      expect(m.message).toBe(originals[i]!.text);
      expect(m.out).toBe(true);
      expect((m.fwdFrom?.fromId as Api.PeerUser).userId.toString()).toBe(String(sam.id));
      expect(m.fwdFrom?.date).toBe(originals[i]!.date);
    });
    expect(h.sandbox.control.sentMessages()).toEqual(
      sent!.map((m, i) => ({
        id: m.id,
        peer: `user:${jonah.id}`,
        text: originals[i]!.text,
        date: m.date,
        kind: 'forward',
        forwardedFrom: { peer: `user:${sam.id}`, id: originals[i]!.id },
      })),
    );
    expect(h.sandbox.control.history(`user:${jonah.id}`).at(-1)?.forwardedFrom).toEqual({
      from: `user:${sam.id}`,
      date: originals[1]!.date,
    });
    // Forwarding a forward keeps the first origin.
    const [again] = (await client.forwardMessages('@priya_raman', {
      messages: [sent![0]!.id],
      fromPeer: '@jonah_kim',
    })) as unknown as Api.Message[][];
    expect((again![0]!.fwdFrom?.fromId as Api.PeerUser).userId.toString()).toBe(String(sam.id));
  });

  it('into Saved Messages records where it came from; a repeated random_id forwards once', async () => {
    const client = await h.client();
    const sam = h.user('samcarter');
    const original = h.sandbox.control.history(`user:${sam.id}`).at(-1)!;
    const request = () =>
      new Api.messages.ForwardMessages({
        fromPeer: '@samcarter',
        toPeer: 'me',
        id: [original.id],
        randomId: [BigInt(777) as never],
      });
    const first = (await client.invoke(request())) as Api.Updates;
    const second = (await client.invoke(request())) as Api.Updates;
    const idOf = (u: Api.Updates) =>
      (u.updates.find((x) => x instanceof Api.UpdateMessageID) as Api.UpdateMessageID).id;
    expect(idOf(second)).toBe(idOf(first));
    expect(h.sandbox.control.sentMessages()).toHaveLength(1);
    const saved = (first.updates.find((x) => x instanceof Api.UpdateNewMessage) as Api.UpdateNewMessage)
      .message as Api.Message;
    expect((saved.fwdFrom?.savedFromPeer as Api.PeerUser).userId.toString()).toBe(String(sam.id));
    expect(saved.fwdFrom?.savedFromMsgId).toBe(original.id);
  });

  it('refuses a message that is not in from_peer and forwards nothing', async () => {
    const client = await h.client();
    const call = client.forwardMessages('@jonah_kim', { messages: [99_999], fromPeer: '@samcarter' });
    expect(await rpcErrorOf(call)).toBe('MESSAGE_ID_INVALID');
    expect(h.sandbox.control.sentMessages()).toEqual([]);
  });
});

describe('reactions (messages.sendReaction)', () => {
  it('sets, reports and removes the account’s reaction; other sessions hear updateMessageReactions', async () => {
    const actor = await h.client();
    const listener = await h.client();
    await listener.getMe();
    const heard: Api.UpdateMessageReactions[] = [];
    listener.addEventHandler(
      (u: Api.UpdateMessageReactions) => void heard.push(u),
      new Raw({ types: [Api.UpdateMessageReactions] }),
    );
    const priya = h.user('priya_raman');
    const target = h.sandbox.control.history(`user:${priya.id}`).at(-1)!;
    const peer = await actor.getInputEntity('@priya_raman');
    const result = (await actor.invoke(
      new Api.messages.SendReaction({
        peer,
        msgId: target.id,
        reaction: [new Api.ReactionEmoji({ emoticon: '👍' })],
      }),
    )) as Api.Updates;
    const update = result.updates[0] as Api.UpdateMessageReactions;
    expect(update).toBeInstanceOf(Api.UpdateMessageReactions);
    expect(update.msgId).toBe(target.id);
    expect(update.reactions.results[0]).toMatchObject({ count: 1, chosenOrder: 0 });
    expect(h.sandbox.control.reactions(`user:${priya.id}`, target.id)).toEqual([
      { emoji: '👍', count: 1, userIds: [h.sandbox.control.account().id], mine: true },
    ]);
    const [fetched] = await actor.getMessages('@priya_raman', { ids: [target.id] });
    expect((fetched!.reactions!.results[0]!.reaction as Api.ReactionEmoji).emoticon).toBe('👍');
    expect((await eventually(() => heard[0])).msgId).toBe(target.id);

    await actor.invoke(new Api.messages.SendReaction({ peer, msgId: target.id, reaction: [] }));
    expect(h.sandbox.control.reactions(`user:${priya.id}`, target.id)).toEqual([]);
  });

  it('refuses unknown emoji and more than one reaction; reactions by others show in the message', async () => {
    const client = await h.client();
    const priya = h.user('priya_raman');
    const target = h.sandbox.control.history(`user:${priya.id}`).at(-1)!;
    const peer = await client.getInputEntity('@priya_raman');
    const send = (...emoticons: string[]) =>
      client.invoke(
        new Api.messages.SendReaction({
          peer,
          msgId: target.id,
          reaction: emoticons.map((emoticon) => new Api.ReactionEmoji({ emoticon })),
        }),
      );
    expect(await rpcErrorOf(send('🦖'))).toBe('REACTION_INVALID');
    expect(await rpcErrorOf(send('👍', '🔥'))).toBe('REACTIONS_TOO_MANY');
    h.sandbox.control.react({ peer: `user:${priya.id}`, id: target.id, fromUserId: priya.id, emoji: '❤️' });
    await send('❤️');
    const [m] = await client.getMessages('@priya_raman', { ids: [target.id] });
    const counts = m!.reactions!.results.map((r) => [(r.reaction as Api.ReactionEmoji).emoticon, r.count]);
    expect(counts).toEqual([['❤', 2]]);
    expect(m!.reactions!.recentReactions).toHaveLength(2);
  });
});

describe('pins (messages.updatePinnedMessage)', () => {
  it('pins with a service message, shows in search and full chat, tells other sessions; unpins', async () => {
    const actor = await h.client();
    const listener = await h.client();
    await listener.getMe();
    const heard: Api.UpdatePinnedMessages[] = [];
    listener.addEventHandler(
      (u: Api.UpdatePinnedMessages) => void heard.push(u),
      new Raw({ types: [Api.UpdatePinnedMessages] }),
    );
    const group = await groupEntity(actor);
    const key = `chat:${h.group().id}`;
    const target = h.sandbox.control.history(key).find((m) => m.text.startsWith('Drafting it now'))!;
    const service = (await actor.pinMessage(group, target.id, { notify: true })) as unknown as Api.MessageService;
    expect(service).toBeInstanceOf(Api.MessageService);
    expect(service.action).toBeInstanceOf(Api.MessageActionPinMessage);
    expect(service.replyTo?.replyToMsgId).toBe(target.id);
    expect(h.sandbox.control.pinned(key)).toEqual([target.id]);
    expect(h.sandbox.control.history(key).at(-1)).toMatchObject({ service: 'pin', replyTo: target.id });
    const pinnedUpdate = await eventually(() => heard[0]);
    expect(pinnedUpdate.messages).toEqual([target.id]);
    expect(pinnedUpdate.pinned).toBe(true);

    const found = await actor.getMessages(group, { filter: new Api.InputMessagesFilterPinned() });
    expect(Array.from(found, (m) => m.id)).toEqual([target.id]);
    expect(found[0]!.pinned).toBe(true);
    const full = (await actor.invoke(new Api.messages.GetFullChat({ chatId: group.id }))).fullChat as Api.ChatFull;
    expect(full.pinnedMsgId).toBe(target.id);
    // Pinning again changes nothing.
    expect(await actor.pinMessage(group, target.id)).toBeUndefined();

    await actor.unpinMessage(group, target.id);
    expect(h.sandbox.control.pinned(key)).toEqual([]);
    expect(await eventually(() => heard.find((u) => !u.pinned))).toBeDefined();
  });

  it('pins in Saved Messages without a service message; unpinAll clears a dialog', async () => {
    const client = await h.client();
    const me = h.sandbox.control.account();
    const note = await client.sendMessage('me', { message: 'passport in the blue folder' });
    expect(await client.pinMessage('me', note.id)).toBeUndefined();
    expect(h.sandbox.control.pinned(`user:${me.id}`)).toEqual([note.id]);
    const tomas = h.user('tomas_ortega');
    const ids = h.sandbox.control.history(`user:${tomas.id}`).slice(0, 2).map((m) => m.id);
    for (const id of ids) await client.pinMessage('@tomas_ortega', id, { pmOneSide: true });
    expect(h.sandbox.control.pinned(`user:${tomas.id}`)).toEqual(ids);
    const affected = await client.unpinMessage('@tomas_ortega');
    expect(affected).toMatchObject({ ptsCount: 2 });
    expect(h.sandbox.control.pinned(`user:${tomas.id}`)).toEqual([]);
  });
});

describe('deleting (messages.deleteMessages)', () => {
  it('deletes for the account only or for everyone, as the revoke flag says', async () => {
    const client = await h.client();
    const jonah = h.user('jonah_kim');
    const [a, b] = h.sandbox.control.history(`user:${jonah.id}`);
    await client.deleteMessages('@jonah_kim', [a!.id], { revoke: false });
    await client.deleteMessages('@jonah_kim', [b!.id], { revoke: true });
    expect(h.sandbox.control.deletions()).toEqual([
      { peer: `user:${jonah.id}`, ids: [a!.id], revoke: false, date: expect.any(Number) },
      { peer: `user:${jonah.id}`, ids: [b!.id], revoke: true, date: expect.any(Number) },
    ]);
    expect(h.sandbox.control.history(`user:${jonah.id}`).map((m) => m.id)).not.toContain(a!.id);
  });

  it('refuses to delete someone else’s group message for everyone unless the account created the group', async () => {
    const client = await h.client();
    const key = `chat:${h.group().id}`;
    const theirs = h.sandbox.control.history(key).find((m) => !m.out)!;
    const mine = h.sandbox.control.history(key).find((m) => m.out)!;
    const group = await groupEntity(client);
    expect(await rpcErrorOf(client.deleteMessages(group, [theirs.id], { revoke: true }))).toBe('MESSAGE_DELETE_FORBIDDEN');
    await client.deleteMessages(group, [mine.id], { revoke: true });
    await client.deleteMessages(group, [theirs.id], { revoke: false });
    const left = h.sandbox.control.history(key).map((m) => m.id);
    expect(left).not.toContain(theirs.id);
    expect(left).not.toContain(mine.id);
  });
});

describe('replies', () => {
  it('refuses reply_to naming a message of another dialog', async () => {
    const client = await h.client();
    const sam = h.user('samcarter');
    const samMessage = h.sandbox.control.history(`user:${sam.id}`)[0]!;
    const call = client.sendMessage('@jonah_kim', { message: 'hm', replyTo: samMessage.id });
    expect(await rpcErrorOf(call)).toBe('REPLY_MESSAGE_ID_INVALID');
  });
});
