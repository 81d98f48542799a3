/**
 * Photos and documents as the API carries them (`Api.Photo`, `Api.Document`, `messageMedia*`), and document
 * attributes from a client's request back to store records.
 */
import { Api } from 'telegram';
import { toTlLong } from '../mtproto/tlWire.js';
import {
  type DocumentAttribute,
  type DocumentRecord,
  documentKind,
  type MediaRecord,
  type PhotoRecord,
} from '../state/media.js';

/** The DC media lives on (the sandbox's own). */
const MEDIA_DC_ID = 2;

/** A photo with its one size: the stored bytes themselves. */
export function apiPhoto(p: PhotoRecord): Api.Photo {
  return new Api.Photo({
    id: toTlLong(p.id),
    accessHash: toTlLong(p.accessHash),
    fileReference: p.fileReference,
    date: p.date,
    sizes: [new Api.PhotoSize({ type: p.sizeType, w: p.width, h: p.height, size: p.bytes.length })],
    dcId: MEDIA_DC_ID,
  });
}

/** A document attribute as `documentAttribute*`. */
export function apiDocumentAttribute(a: DocumentAttribute): Api.TypeDocumentAttribute {
  switch (a.kind) {
    case 'filename':
      return new Api.DocumentAttributeFilename({ fileName: a.fileName });
    case 'video':
      return new Api.DocumentAttributeVideo({
        duration: a.duration,
        w: a.width,
        h: a.height,
        roundMessage: a.roundMessage,
        supportsStreaming: a.supportsStreaming,
        nosound: a.nosound,
      });
    case 'audio':
      return new Api.DocumentAttributeAudio({
        voice: a.voice,
        duration: a.duration,
        ...(a.title !== undefined ? { title: a.title } : {}),
        ...(a.performer !== undefined ? { performer: a.performer } : {}),
        ...(a.waveform !== undefined ? { waveform: a.waveform } : {}),
      });
    case 'animated':
      return new Api.DocumentAttributeAnimated();
    case 'imageSize':
      return new Api.DocumentAttributeImageSize({ w: a.width, h: a.height });
  }
}

/** A document. */
export function apiDocument(d: DocumentRecord): Api.Document {
  return new Api.Document({
    id: toTlLong(d.id),
    accessHash: toTlLong(d.accessHash),
    fileReference: d.fileReference,
    date: d.date,
    mimeType: d.mimeType,
    size: toTlLong(d.bytes.length),
    dcId: MEDIA_DC_ID,
    attributes: d.attributes.map(apiDocumentAttribute),
  });
}

/** A message's media: messageMediaPhoto, or messageMediaDocument with its video/round/voice flags. */
export function apiMessageMedia(media: MediaRecord): Api.TypeMessageMedia {
  if (media.kind === 'photo') return new Api.MessageMediaPhoto({ photo: apiPhoto(media) });
  const kind = documentKind(media);
  return new Api.MessageMediaDocument({
    document: apiDocument(media),
    ...(kind === 'video' ? { video: true } : {}),
    ...(kind === 'round' ? { round: true } : {}),
    ...(kind === 'voice' ? { voice: true } : {}),
  });
}

/**
 * A client's document attributes as store records. Attributes the sandbox does not model (stickers, custom
 * emoji, has-stickers) are dropped; durations are kept in the units Telegram uses (video: seconds as a double,
 * audio: whole seconds).
 */
export function documentAttributesFrom(list: Api.TypeDocumentAttribute[]): DocumentAttribute[] {
  const out: DocumentAttribute[] = [];
  for (const a of list) {
    if (a instanceof Api.DocumentAttributeFilename) out.push({ kind: 'filename', fileName: a.fileName });
    else if (a instanceof Api.DocumentAttributeVideo) {
      out.push({
        kind: 'video',
        duration: a.duration,
        width: a.w,
        height: a.h,
        roundMessage: a.roundMessage ?? false,
        supportsStreaming: a.supportsStreaming ?? false,
        nosound: a.nosound ?? false,
      });
    } else if (a instanceof Api.DocumentAttributeAudio) {
      out.push({
        kind: 'audio',
        voice: a.voice ?? false,
        duration: a.duration,
        // Absent flag fields parse as null.
        ...(a.title != null ? { title: a.title } : {}),
        ...(a.performer != null ? { performer: a.performer } : {}),
        ...(a.waveform != null ? { waveform: Buffer.from(a.waveform) } : {}),
      });
    } else if (a instanceof Api.DocumentAttributeAnimated) out.push({ kind: 'animated' });
    else if (a instanceof Api.DocumentAttributeImageSize) out.push({ kind: 'imageSize', width: a.w, height: a.h });
  }
  return out;
}
