/**
 * The pure parts of the write tools: id lists, counts and sizes in results, and how the gateway reads new message
 * ids and media descriptions out of Telegram's answers. (How an approval shows messages is in
 * test/bridge/policy/approvalView.test.ts.)
 */
import { Api } from 'telegram';
import { returnBigInt } from 'telegram/Helpers.js';
import { describe, expect, it } from 'vitest';
import { countOf } from '../../../bridge/policy/approvalView.js';
import { mediaInfo, sentMessageIds } from '../../../bridge/telegram/gateway.js';
import { formatSize } from '../../../bridge/tools/sendMedia.js';
import { idList } from '../../../bridge/tools/writeTool.js';

describe('write result helpers', () => {
  it('lists ids and counts', () => {
    expect(idList([41, 42, 43])).toBe('#41, #42, #43');
    expect(idList(Array.from({ length: 25 }, (_, i) => i + 1))).toMatch(/#20 and 5 more$/);
    expect(countOf(1, 'message')).toBe('1 message');
    expect(countOf(3, 'message')).toBe('3 messages');
    expect(formatSize(512)).toBe('512 B');
    expect(formatSize(12_595)).toBe('12.3 KiB');
    expect(formatSize(20 * 1024 * 1024)).toBe('20.0 MiB');
  });
});

describe('sentMessageIds', () => {
  it('maps random ids to new ids through updateMessageID, in the order asked', () => {
    const updates = new Api.Updates({
      updates: [
        new Api.UpdateMessageID({ id: 11, randomId: returnBigInt('222') }),
        new Api.UpdateMessageID({ id: 10, randomId: returnBigInt('111') }),
      ],
      users: [],
      chats: [],
      date: 0,
      seq: 0,
    });
    expect(sentMessageIds(updates, ['111', '222'])).toEqual([10, 11]);
  });

  it('reads updateShortSentMessage, and refuses an answer naming no message', () => {
    expect(
      sentMessageIds(new Api.UpdateShortSentMessage({ id: 7, pts: 1, ptsCount: 1, date: 0 }), ['1']),
    ).toEqual([7]);
    expect(() => sentMessageIds(new Api.UpdatesTooLong(), ['1'])).toThrow(/did not say/);
  });
});

describe('mediaInfo', () => {
  const doc = (attributes: Api.TypeDocumentAttribute[], mimeType = 'application/octet-stream') =>
    new Api.MessageMediaDocument({
      document: new Api.Document({
        id: returnBigInt(1),
        accessHash: returnBigInt(1),
        fileReference: Buffer.alloc(0),
        date: 0,
        mimeType,
        size: returnBigInt(1234),
        dcId: 2,
        attributes,
      }),
    });

  it('types documents by their attributes', () => {
    expect(mediaInfo(doc([new Api.DocumentAttributeFilename({ fileName: 'a.pdf' })], 'application/pdf'))).toEqual({
      media_type: 'document',
      mime_type: 'application/pdf',
      file_name: 'a.pdf',
      size: 1234,
    });
    expect(mediaInfo(doc([new Api.DocumentAttributeAudio({ voice: true, duration: 3 })]))).toMatchObject({
      media_type: 'voice',
      duration: 3,
    });
    expect(
      mediaInfo(doc([new Api.DocumentAttributeVideo({ duration: 2, w: 320, h: 240 }), new Api.DocumentAttributeAnimated()])),
    ).toMatchObject({ media_type: 'animation', width: 320, height: 240 });
    expect(mediaInfo(doc([new Api.DocumentAttributeVideo({ roundMessage: true, duration: 2, w: 1, h: 1 })]))).toMatchObject({
      media_type: 'video_note',
    });
  });

  it('reports a photo by its largest size', () => {
    const photo = new Api.MessageMediaPhoto({
      photo: new Api.Photo({
        id: returnBigInt(1),
        accessHash: returnBigInt(1),
        fileReference: Buffer.alloc(0),
        date: 0,
        dcId: 2,
        sizes: [
          new Api.PhotoSize({ type: 's', w: 90, h: 60, size: 900 }),
          new Api.PhotoSize({ type: 'y', w: 1280, h: 853, size: 99_000 }),
        ],
      }),
    });
    expect(mediaInfo(photo)).toEqual({ media_type: 'photo', mime_type: 'image/jpeg', width: 1280, height: 853, size: 99_000 });
  });
});
