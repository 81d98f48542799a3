/**
 * Updates across the account's sessions and catching up after a gap, with two unmodified gramjs clients of the
 * same account: one acts, the other hears NewMessage / EditedMessage / DeletedMessage / read updates live; a
 * client that was away asks updates.getDifference (and updates.getChannelDifference per channel) and gets
 * exactly what it missed.
 */
import { Api, type TelegramClient } from 'telegram';
import { DeletedMessage, type DeletedMessageEvent } from 'telegram/events/DeletedMessage.js';
import { EditedMessage, type EditedMessageEvent } from 'telegram/events/EditedMessage.js';
import { NewMessage, type NewMessageEvent, Raw } from 'telegram/events/index.js';
import { describe, expect, it } from 'vitest';
import { eventually, rpcErrorOf, useSandbox } from './harness.js';

const h = useSandbox();

async function state(client: TelegramClient): Promise<Api.updates.State> {
  return client.invoke(new Api.updates.GetState());
}

function difference(client: TelegramClient, pts: number, extra: Partial<Api.updates.GetDifference> = {}) {
  return client.invoke(new Api.updates.GetDifference({ pts, date: Math.floor(Date.now() / 1000), qts: 0, ...extra }));
}

describe('live updates to every session of the account', () => {
  it('new, edited, deleted messages and reads done in one session reach the other', async () => {
    const actor = await h.client();
    const listener = await h.client();
    await listener.getMe();
    const news: NewMessageEvent[] = [];
    const edits: EditedMessageEvent[] = [];
    const deletes: DeletedMessageEvent[] = [];
    const reads: Api.UpdateReadHistoryInbox[] = [];
    listener.addEventHandler((e: NewMessageEvent) => void news.push(e), new NewMessage({}));
    listener.addEventHandler((e: EditedMessageEvent) => void edits.push(e), new EditedMessage({}));
    listener.addEventHandler((e: DeletedMessageEvent) => void deletes.push(e), new DeletedMessage({}));
    listener.addEventHandler(
      (u: Api.UpdateReadHistoryInbox) => void reads.push(u),
      new Raw({ types: [Api.UpdateReadHistoryInbox] }),
    );

    const sent = await actor.sendMessage('@samcarter', { message: 'on my way' });
    expect((await eventually(() => news[0])).message.id).toBe(sent.id);
    await actor.editMessage('@samcarter', { message: sent.id, text: 'on my way, 10 min' });
    const edited = await eventually(() => edits[0]);
    expect([edited.message.id, edited.message.message]).toEqual([sent.id, 'on my way, 10 min']);
    await actor.deleteMessages('@samcarter', [sent.id], { revoke: true });
    expect((await eventually(() => deletes[0])).deletedIds).toEqual([sent.id]);
    await actor.markAsRead('@priya_raman');
    const read = await eventually(() => reads[0]);
    expect((read.peer as Api.PeerUser).userId.toString()).toBe(String(h.user('priya_raman').id));
    expect(read.stillUnreadCount).toBe(0);
  });

  it('a read receipt (the other side read the account’s messages) reaches every session', async () => {
    const a = await h.client();
    const b = await h.client();
    await Promise.all([a.getMe(), b.getMe()]);
    const heard: Api.UpdateReadHistoryOutbox[][] = [[], []];
    [a, b].forEach((c, i) =>
      c.addEventHandler(
        (u: Api.UpdateReadHistoryOutbox) => void heard[i]!.push(u),
        new Raw({ types: [Api.UpdateReadHistoryOutbox] }),
      ),
    );
    const jonah = h.user('jonah_kim');
    const sent = await a.sendMessage('@jonah_kim', { message: 'see you at 10:30' });
    expect(h.sandbox.control.markReadByPeer(`user:${jonah.id}`)).toBe(true);
    for (const list of heard) expect((await eventually(() => list[0])).maxId).toBe(sent.id);
    expect(h.sandbox.control.readState(`user:${jonah.id}`).readOutboxMaxId).toBe(sent.id);
    expect(h.sandbox.control.markReadByPeer(`user:${jonah.id}`)).toBe(false);
  });
});

describe('catching up with updates.getDifference', () => {
  it('returns exactly the messages and changes a disconnected session missed', async () => {
    const session = h.sandbox.mintSession();
    const away = await h.client(session);
    const before = await state(away);
    await away.destroy();

    const actor = await h.client();
    const sam = h.user('samcarter');
    const priya = h.user('priya_raman');
    const older = h.sandbox.control.history(`user:${sam.id}`).find((m) => m.out)!;
    const a = await actor.sendMessage('@samcarter', { message: 'first' });
    const b = await actor.sendMessage('@samcarter', { message: 'second' });
    await actor.editMessage('@samcarter', { message: b.id, text: 'second (edited)' });
    await actor.editMessage('@samcarter', { message: older.id, text: 'Might be 25 min late, dentist at 9.' });
    await actor.deleteMessages('@samcarter', [a.id], { revoke: true });
    const { id: incoming } = h.sandbox.control.injectIncomingMessage({ fromUserId: priya.id, text: 'call me?' });
    await actor.markAsRead('@priya_raman');
    const after = await state(actor);

    const back = await h.client(session);
    const diff = (await difference(back, before.pts)) as Api.updates.Difference;
    expect(diff).toBeInstanceOf(Api.updates.Difference);
    // b in its edited form and Priya's message; a was deleted before the session came back.
    expect(diff.newMessages.map((m) => [m.id, (m as Api.Message).message])).toEqual([
      [b.id, 'second (edited)'],
      [incoming, 'call me?'],
    ]);
    expect(diff.otherUpdates.map((u) => u.className)).toEqual([
      'UpdateEditMessage',
      'UpdateDeleteMessages',
      'UpdateReadHistoryInbox',
    ]);
    const [edit, del, read] = diff.otherUpdates as [
      Api.UpdateEditMessage,
      Api.UpdateDeleteMessages,
      Api.UpdateReadHistoryInbox,
    ];
    expect(edit.message.id).toBe(older.id);
    expect((edit.message as Api.Message).message).toBe('Might be 25 min late, dentist at 9.');
    expect(del.messages).toEqual([a.id]);
    expect(read.maxId).toBe(incoming);
    expect(diff.state.pts).toBe(after.pts);
    expect(diff.state.pts).toBe(h.sandbox.control.pts());
    const userIds = diff.users.map((u) => u.id.toString());
    expect(userIds).toEqual(expect.arrayContaining([String(sam.id), String(priya.id)]));
    // Caught up: nothing more.
    expect(await difference(back, diff.state.pts)).toBeInstanceOf(Api.updates.DifferenceEmpty);
  });

  it('slices a long gap, refuses a pts from the future, and says too long past pts_total_limit', async () => {
    const client = await h.client();
    const start = (await state(client)).pts;
    const sam = h.user('samcarter');
    for (let i = 0; i < 5; i++) h.sandbox.control.injectIncomingMessage({ fromUserId: sam.id, text: `ping ${i}` });
    const slice = (await difference(client, start, { ptsLimit: 2 })) as Api.updates.DifferenceSlice;
    expect(slice).toBeInstanceOf(Api.updates.DifferenceSlice);
    expect(slice.newMessages.map((m) => (m as Api.Message).message)).toEqual(['ping 0', 'ping 1']);
    expect(slice.intermediateState.pts).toBe(start + 2);
    const rest = (await difference(client, slice.intermediateState.pts)) as Api.updates.Difference;
    expect(rest.newMessages.map((m) => (m as Api.Message).message)).toEqual(['ping 2', 'ping 3', 'ping 4']);
    expect(await difference(client, start, { ptsTotalLimit: 3 })).toBeInstanceOf(Api.updates.DifferenceTooLong);
    expect(await rpcErrorOf(difference(client, start + 100))).toBe('PERSISTENT_TIMESTAMP_INVALID');
  });
});

describe('catching up a channel with updates.getChannelDifference', () => {
  it('returns the channel’s missed messages, edits and deletions from the dialog’s pts', async () => {
    const session = h.sandbox.mintSession();
    const away = await h.client(session);
    const dialog = (await away.getDialogs({})).find((d) => d.title === 'Acme Engineering')!;
    const eng = dialog.entity as Api.Channel;
    const pts = dialog.dialog.pts!;
    await away.destroy();

    const actor = await h.client();
    const key = `channel:${eng.id}`;
    const lea = h.user('lea_fischer');
    const mine = h.sandbox.control.history(key).find((m) => m.out)!;
    const sent = await actor.sendMessage(eng, { message: 'Release notes draft is up' });
    const { id: injected } = h.sandbox.control.injectIncomingMessage({
      fromUserId: lea.id,
      channelId: Number(eng.id),
      text: 'Thanks!',
    });
    await actor.editMessage(eng, { message: mine.id, text: 'Huge, congrats Lea! Flame graphs please 🙏' });
    const victim = h.sandbox.control.history(key)[1]!;
    await actor.deleteMessages(eng, [victim.id], { revoke: true });

    const back = await h.client(session);
    const input = new Api.InputChannel({ channelId: eng.id, accessHash: eng.accessHash! });
    const channelDifference = (fromPts: number, limit: number) =>
      back.invoke(
        new Api.updates.GetChannelDifference({
          channel: input,
          filter: new Api.ChannelMessagesFilterEmpty(),
          pts: fromPts,
          limit,
        }),
      );
    const diff = (await channelDifference(pts, 100)) as Api.updates.ChannelDifference;
    expect(diff).toBeInstanceOf(Api.updates.ChannelDifference);
    expect(diff.final).toBe(true);
    expect(diff.newMessages.map((m) => m.id)).toEqual([sent.id, injected]);
    expect(diff.otherUpdates.map((u) => u.className)).toEqual([
      'UpdateEditChannelMessage',
      'UpdateDeleteChannelMessages',
    ]);
    expect((diff.otherUpdates[1] as Api.UpdateDeleteChannelMessages).messages).toEqual([victim.id]);
    expect(diff.pts).toBe(h.sandbox.control.pts(key));
    expect(await channelDifference(diff.pts, 100)).toBeInstanceOf(Api.updates.ChannelDifferenceEmpty);
    // In steps: one message at a time, final only at the end.
    const first = (await channelDifference(pts, 1)) as Api.updates.ChannelDifference;
    expect([first.final, first.pts, first.newMessages.map((m) => m.id)]).toEqual([false, pts + 1, [sent.id]]);
  });
});
