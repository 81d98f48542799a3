/** What a send's or edit's answer says Telegram stored (issue 8 §3), for each shape of answer Telegram gives. */
import { Api } from 'telegram';
import { returnBigInt } from 'telegram/Helpers.js';
import { describe, expect, it } from 'vitest';
import { storedMessage } from '../../../bridge/telegram/sendAnswers.js';

const sent = { text: '**a** b', entities: [] };
const bold = new Api.MessageEntityBold({ offset: 0, length: 1 });

describe('storedMessage', () => {
  it('a short answer (private chats) keeps our text and takes the entities Telegram reports', () => {
    const short = new Api.UpdateShortSentMessage({ id: 5, pts: 1, ptsCount: 1, date: 1_700_000_000, entities: [bold] });
    expect(storedMessage(short, 5, sent)).toEqual({
      text: '**a** b',
      entities: [{ type: 'bold', offset: 0, length: 1 }],
      date: 1_700_000_000_000,
    });
    const bare = new Api.UpdateShortSentMessage({ id: 5, pts: 1, ptsCount: 1, date: 1 });
    expect(storedMessage(bare, 5, { text: 'x', entities: [{ type: 'code', offset: 0, length: 1 }] }).entities).toEqual([
      { type: 'code', offset: 0, length: 1 },
    ]);
  });

  it('an updates answer gives the stored message itself: new, channel, or edited', () => {
    const message = new Api.Message({
      id: 9,
      peerId: new Api.PeerChannel({ channelId: returnBigInt(1) }),
      date: 2,
      message: 'a b',
      entities: [bold, new Api.MessageEntityTextUrl({ offset: 2, length: 1, url: 'https://e.org' })],
    });
    const other = new Api.Message({ id: 8, peerId: message.peerId, date: 2, message: 'other' });
    for (const update of [
      new Api.UpdateNewChannelMessage({ message, pts: 1, ptsCount: 1 }),
      new Api.UpdateEditMessage({ message, pts: 1, ptsCount: 1 }),
    ]) {
      const answer = new Api.Updates({
        updates: [new Api.UpdateNewMessage({ message: other, pts: 1, ptsCount: 1 }), update],
        users: [],
        chats: [],
        date: 2,
        seq: 0,
      });
      expect(storedMessage(answer, 9, sent)).toEqual({
        text: 'a b',
        entities: [
          { type: 'bold', offset: 0, length: 1 },
          { type: 'text_url', offset: 2, length: 1, url: 'https://e.org' },
        ],
        date: 2000,
      });
    }
  });

  it('an answer that does not carry the message falls back to what was sent', () => {
    expect(storedMessage(new Api.UpdatesTooLong(), 1, sent)).toMatchObject(sent);
  });
});
