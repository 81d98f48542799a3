/**
 * Media through an unmodified gramjs client: sendFile (upload.saveFilePart / saveBigFilePart +
 * messages.sendMedia) for photos, documents, videos, voice notes and animations, downloadMedia (upload.getFile)
 * byte for byte up to 20 MiB, the fixture's photo and PDF, and Telegram's upload and download rules.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Api } from 'telegram';
import { CustomFile } from 'telegram/client/uploads.js';
import { generateRandomLong } from 'telegram/Helpers.js';
import { describe, expect, it } from 'vitest';
import { fixturePng } from '../../sandbox/state/fixtureMedia.js';
import { rpcErrorOf, useSandbox } from './harness.js';

const h = useSandbox();

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const file = (name: string, bytes: Buffer) => new CustomFile(name, bytes.length, '', bytes);

describe('sending media (messages.sendMedia)', () => {
  it('a photo: messageMediaPhoto with its size; the download is byte for byte', async () => {
    const client = await h.client();
    const priya = h.user('priya_raman');
    const png = fixturePng(400, 300, 'floor plan');
    const sent = await client.sendFile('@priya_raman', { file: file('plan.png', png), caption: 'Floor plan 📐' });
    const media = sent.media as Api.MessageMediaPhoto;
    expect(media).toBeInstanceOf(Api.MessageMediaPhoto);
    const size = (media.photo as Api.Photo).sizes[0] as Api.PhotoSize;
    expect([size.w, size.h, size.size]).toEqual([400, 300, png.length]);
    expect(sent.message).toBe('Floor plan 📐');
    expect(h.sandbox.control.sentMessages()).toEqual([
      {
        id: sent.id,
        peer: `user:${priya.id}`,
        text: 'Floor plan 📐',
        date: sent.date,
        kind: 'media',
        media: { type: 'photo', mimeType: 'image/png', size: png.length, width: 400, height: 300 },
      },
    ]);
    expect(h.sandbox.control.media(`user:${priya.id}`, sent.id)!.bytes.equals(png)).toBe(true);
    const [fetched] = await client.getMessages('@priya_raman', { ids: [sent.id] });
    const downloaded = (await client.downloadMedia(fetched!)) as Buffer;
    expect(downloaded.equals(png)).toBe(true);
  });

  it('documents, videos, voice notes and animations keep MIME type and attributes; filters find them', async () => {
    const client = await h.client();
    const tomas = h.user('tomas_ortega');
    const peer = `user:${tomas.id}`;
    const notes = Buffer.from('Quinta: Inês, +351 …, check-in 15:00\n');
    const doc = await client.sendFile('@tomas_ortega', { file: file('notes.txt', notes), forceDocument: true });
    const video = await client.sendFile('@tomas_ortega', {
      file: file('clip.mp4', randomBytes(5000)),
      attributes: [new Api.DocumentAttributeVideo({ duration: 3, w: 640, h: 360, supportsStreaming: true })],
    });
    const voice = await client.sendFile('@tomas_ortega', {
      file: file('voice.ogg', randomBytes(3000)),
      voiceNote: true,
      attributes: [new Api.DocumentAttributeAudio({ voice: true, duration: 4 })],
    });
    const gif = await client.sendFile('@tomas_ortega', {
      file: file('loop.mp4', randomBytes(2000)),
      attributes: [
        new Api.DocumentAttributeAnimated(),
        new Api.DocumentAttributeVideo({ duration: 1, w: 200, h: 200 }),
      ],
    });
    const docMedia = (doc.media as Api.MessageMediaDocument).document as Api.Document;
    expect(docMedia.mimeType).toBe('text/plain');
    const fileName = docMedia.attributes.find((a) => a instanceof Api.DocumentAttributeFilename);
    expect(fileName).toMatchObject({ fileName: 'notes.txt' });
    expect((video.media as Api.MessageMediaDocument).video).toBe(true);
    expect((voice.media as Api.MessageMediaDocument).voice).toBe(true);
    const kinds = h.sandbox.control.history(peer).slice(-4).map((m) => m.media?.kind);
    expect(kinds).toEqual(['file', 'video', 'voice', 'animation']);
    expect(h.sandbox.control.media(peer, video.id)).toMatchObject({
      kind: 'video',
      mimeType: 'video/mp4',
      duration: 3,
      width: 640,
    });
    const ids = async (filter: Api.TypeMessagesFilter) =>
      Array.from(await client.getMessages('@tomas_ortega', { filter }), (m) => m.id);
    expect(await ids(new Api.InputMessagesFilterDocument())).toEqual([doc.id]);
    expect(await ids(new Api.InputMessagesFilterVideo())).toEqual([video.id]);
    expect(await ids(new Api.InputMessagesFilterVoice())).toEqual([voice.id]);
    expect(await ids(new Api.InputMessagesFilterGif())).toEqual([gif.id]);
    expect(((await client.downloadMedia(doc)) as Buffer).equals(notes)).toBe(true);
  });

  it('a 20 MiB file goes up with saveBigFilePart and comes back identical', async () => {
    const client = await h.client();
    const sam = h.user('samcarter');
    const big = randomBytes(20 * 1024 * 1024);
    // gramjs reads files over 20 MB from disk, not from a buffer.
    const dir = await mkdtemp(join(tmpdir(), 'sandbox-media-'));
    const path = join(dir, 'climbing.mp4');
    await writeFile(path, big);
    const sent = await client
      .sendFile('@samcarter', { file: new CustomFile('climbing.mp4', big.length, path), forceDocument: true, workers: 4 })
      .finally(() => rm(dir, { recursive: true, force: true }));
    const stored = h.sandbox.control.media(`user:${sam.id}`, sent.id)!;
    expect(stored.size).toBe(big.length);
    expect(sha256(stored.bytes)).toBe(sha256(big));
    const downloaded = (await client.downloadMedia(sent)) as Buffer;
    expect(downloaded.length).toBe(big.length);
    expect(sha256(downloaded)).toBe(sha256(big));
  });

  it('the fixture’s photo and PDF download byte for byte', async () => {
    const client = await h.client();
    const eng = h.channel('Acme Engineering');
    const engEntity = (await client.getDialogs({})).find((d) => d.title === eng.title)!.entity!;
    const [photoMessage] = await client.getMessages(engEntity, { filter: new Api.InputMessagesFilterPhotos() });
    const expectedPhoto = h.sandbox.control.media(`channel:${eng.id}`, photoMessage!.id)!;
    expect(expectedPhoto.type).toBe('photo');
    expect(((await client.downloadMedia(photoMessage!)) as Buffer).equals(expectedPhoto.bytes)).toBe(true);

    const group = (await client.getDialogs({})).find((d) => d.isGroup && !d.isChannel)!.entity!;
    const [pdfMessage] = await client.getMessages(group, { filter: new Api.InputMessagesFilterDocument() });
    const expectedPdf = h.sandbox.control.media(`chat:${h.group().id}`, pdfMessage!.id)!;
    expect(expectedPdf).toMatchObject({ fileName: 'quinta-quote.pdf', mimeType: 'application/pdf' });
    expect(((await client.downloadMedia(pdfMessage!)) as Buffer).equals(expectedPdf.bytes)).toBe(true);
  });
});

describe('upload and download rules', () => {
  it('refuses oversized, odd-sized and missing parts, and files over 10 MiB sent as small files', async () => {
    const client = await h.client();
    const peer = await client.getInputEntity('@samcarter');
    const save = (fileId: ReturnType<typeof generateRandomLong>, filePart: number, bytes: Buffer) =>
      client.invoke(new Api.upload.SaveFilePart({ fileId, filePart, bytes }));
    expect(await rpcErrorOf(save(generateRandomLong(), 0, Buffer.alloc(512 * 1024 + 1)))).toBe('FILE_PART_TOO_BIG');
    expect(await rpcErrorOf(save(generateRandomLong(), 4000, Buffer.alloc(1024)))).toBe('FILE_PART_INVALID');
    const big = (filePart: number, total: number, size: number) =>
      client.invoke(
        new Api.upload.SaveBigFilePart({
          fileId: generateRandomLong(),
          filePart,
          fileTotalParts: total,
          bytes: Buffer.alloc(size),
        }),
      );
    expect(await rpcErrorOf(big(0, 3, 1000))).toBe('FILE_PART_SIZE_INVALID');

    const sendUploaded = (fileId: ReturnType<typeof generateRandomLong>, parts: number) =>
      client.invoke(
        new Api.messages.SendMedia({
          peer,
          message: '',
          media: new Api.InputMediaUploadedDocument({
            file: new Api.InputFile({ id: fileId, parts, name: 'x.bin', md5Checksum: '' }),
            mimeType: 'application/octet-stream',
            attributes: [],
          }),
        }),
      );
    const gappy = generateRandomLong();
    await save(gappy, 0, Buffer.alloc(4096, 1));
    await save(gappy, 2, Buffer.alloc(100, 1));
    expect(await rpcErrorOf(sendUploaded(gappy, 3))).toBe('FILE_PART_1_MISSING');

    const tooBig = generateRandomLong();
    const part = Buffer.alloc(512 * 1024, 7);
    for (let i = 0; i < 21; i++) await save(tooBig, i, part);
    expect(await rpcErrorOf(sendUploaded(tooBig, 21))).toBe('FILE_PARTS_INVALID');

    const notImage = generateRandomLong();
    await save(notImage, 0, Buffer.from('not a picture'));
    const photo = client.invoke(
      new Api.messages.SendMedia({
        peer,
        message: '',
        media: new Api.InputMediaUploadedPhoto({
          file: new Api.InputFile({ id: notImage, parts: 1, name: 'a.jpg', md5Checksum: '' }),
        }),
      }),
    );
    expect(await rpcErrorOf(photo)).toBe('IMAGE_PROCESS_FAILED');
    expect(h.sandbox.control.sentMessages()).toEqual([]);
  });

  it('upload.getFile enforces offset/limit alignment and the file reference', async () => {
    const client = await h.client();
    const sent = await client.sendFile('@samcarter', { file: file('a.bin', randomBytes(3 * 1024 * 1024)), forceDocument: true });
    const doc = (sent.media as Api.MessageMediaDocument).document as Api.Document;
    const get = (offset: number, limit: number, fileReference = doc.fileReference, precise = false) =>
      client.invoke(
        new Api.upload.GetFile({
          location: new Api.InputDocumentFileLocation({
            id: doc.id,
            accessHash: doc.accessHash,
            fileReference,
            thumbSize: '',
          }),
          offset: BigInt(offset) as never,
          limit,
          precise,
        }),
      );
    expect(await rpcErrorOf(get(0, 1000))).toBe('LIMIT_INVALID');
    expect(await rpcErrorOf(get(0, 3 * 4096))).toBe('LIMIT_INVALID');
    expect(await rpcErrorOf(get(1000, 4096))).toBe('OFFSET_INVALID');
    expect(await rpcErrorOf(get(1024 * 1024 - 4096, 8192))).toBe('LIMIT_INVALID');
    expect(await rpcErrorOf(get(0, 4096, Buffer.from('stale')))).toBe('FILE_REFERENCE_EXPIRED');
    const precise = (await get(1024 * 1024 - 1024, 2048, doc.fileReference, true)) as Api.upload.File;
    expect(precise.bytes.length).toBe(2048);
    const tail = (await get(3 * 1024 * 1024, 4096)) as Api.upload.File;
    expect(tail.bytes.length).toBe(0);
  });
});
