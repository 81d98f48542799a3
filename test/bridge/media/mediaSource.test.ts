/** `send_media` sources: base64 decoding and caps, the file_url switch, file names and MIME types. */
import { describe, expect, it } from 'vitest';
import { decodeMediaBase64, loadMedia, mimeTypeFor } from '../../../bridge/media/mediaSource.js';
import { MAX_MEDIA_BYTES, SendMediaArgs } from '../../../bridge/protocol/index.js';

describe('decodeMediaBase64', () => {
  const bytes = Buffer.from([0, 1, 2, 250, 251, 252, 253, 254, 255, 10]);
  it('decodes standard, URL-safe, unpadded, wrapped and data: URL forms to the same bytes', () => {
    const std = bytes.toString('base64');
    for (const form of [
      std,
      bytes.toString('base64url'),
      std.replace(/=+$/, ''),
      `${std.slice(0, 4)}\n${std.slice(4)}`,
      `data:image/png;base64,${std}`,
    ]) {
      expect(decodeMediaBase64(form)).toEqual(bytes);
    }
  });

  it.each(['abc$', 'ab=c', 'a', 'abcde', 'YQ===', '😀'])('refuses %j as not base64', (s) => {
    expect(() => decodeMediaBase64(s)).toThrow(/^file_base64: not valid base64/);
  });

  it('takes exactly 20 MiB and refuses 20 MiB + 1 byte by its length, before decoding', () => {
    expect(decodeMediaBase64(Buffer.alloc(MAX_MEDIA_BYTES, 7).toString('base64'))).toHaveLength(MAX_MEDIA_BYTES);
    const over = Buffer.alloc(MAX_MEDIA_BYTES + 1, 7).toString('base64');
    expect(() => decodeMediaBase64(over)).toThrow(new RegExp(`file_base64: the file is ${MAX_MEDIA_BYTES + 1} bytes`));
    expect(() => decodeMediaBase64(Buffer.alloc(11).toString('base64'), 10)).toThrow(/11 bytes, more than the 10-byte/);
  });
});

describe('loadMedia', () => {
  it('names base64 media by file_name, or by kind, and types it', async () => {
    const data = Buffer.from('hello').toString('base64');
    const named = await loadMedia({ media_type: 'document', file_base64: data, file_name: 'notes.txt' }, {});
    expect(named).toMatchObject({ fileName: 'notes.txt', mimeType: 'text/plain', size: 5, source: 'file_base64' });
    const plain = await loadMedia({ media_type: 'voice', file_base64: data }, {});
    expect(plain).toMatchObject({ fileName: 'voice.ogg', mimeType: 'audio/ogg' });
  });

  it('refuses file_url while the person has not turned it on (the default)', async () => {
    await expect(
      loadMedia({ media_type: 'photo', file_url: 'https://example.com/a.jpg' }, {}),
    ).rejects.toMatchObject({ code: 'invalid_arguments', message: expect.stringMatching(/^file_url: .*off.*allowFileUrl/) });
  });

  it('checks file_url addresses when it is on', async () => {
    await expect(
      loadMedia({ media_type: 'photo', file_url: 'http://169.254.169.254/x.jpg' }, { allowFileUrl: true }),
    ).rejects.toMatchObject({ message: expect.stringMatching(/link-local/) });
  });

  it('refuses an empty file', async () => {
    await expect(loadMedia({ media_type: 'photo', file_base64: '' }, {})).rejects.toMatchObject({
      message: expect.stringMatching(/empty/),
    });
  });
});

describe('send_media arguments', () => {
  const base = { peer: '@alice_demo', media_type: 'photo', mode: 'send' };
  it('need exactly one source, naming the field', () => {
    const none = SendMediaArgs.safeParse(base);
    expect(none.success).toBe(false);
    expect(none.error?.issues[0]).toMatchObject({ path: ['file_path'], message: expect.stringMatching(/exactly one/) });
    const two = SendMediaArgs.safeParse({ ...base, file_path: 'a.jpg', file_url: 'https://x.example/a.jpg' });
    expect(two.error?.issues[0]).toMatchObject({ path: ['file_url'], message: expect.stringMatching(/file_path and file_url/) });
    expect(SendMediaArgs.safeParse({ ...base, file_base64: 'AAAA' }).success).toBe(true);
  });
  it('refuse unknown media types, long captions and file names with slashes', () => {
    expect(SendMediaArgs.safeParse({ ...base, file_base64: 'AAAA', media_type: 'sticker' }).success).toBe(false);
    expect(SendMediaArgs.safeParse({ ...base, file_base64: 'AAAA', caption: 'x'.repeat(1025) }).success).toBe(false);
    expect(SendMediaArgs.safeParse({ ...base, file_base64: 'AAAA', file_name: '../a.jpg' }).success).toBe(false);
  });
});

describe('mimeTypeFor', () => {
  it('prefers the extension, then the server, then the kind', () => {
    expect(mimeTypeFor('photo', 'a.PNG')).toBe('image/png');
    expect(mimeTypeFor('document', 'a.unknown', 'application/x-thing')).toBe('application/x-thing');
    expect(mimeTypeFor('video', 'clip')).toBe('video/mp4');
  });
});
