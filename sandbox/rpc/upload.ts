/**
 * upload.* methods: saving file parts (upload.saveFilePart, upload.saveBigFilePart; rules in `state/uploads.ts`)
 * and downloading photos and documents (upload.getFile) with Telegram's offset/limit rules
 * (core.telegram.org/api/files):
 * - `limit` is a positive multiple of 4 KiB that divides 1 MiB, `offset` a multiple of 4 KiB, and one request
 *   never crosses a 1 MiB boundary;
 * - with `precise`, offset and limit need only be multiples of 1 KiB and limit at most 1 MiB;
 * - reading at or past the end returns no bytes, which is how gramjs's downloader knows it is done.
 */
import { Api } from 'telegram';
import { RpcError } from '../mtproto/rpcError.js';
import { fromTlLong } from '../mtproto/tlWire.js';
import type { MediaRecord } from '../state/media.js';
import type { SandboxStore } from '../state/store.js';
import { type MethodHandler, method } from './context.js';

const KIB = 1024;
const MIB = 1024 * 1024;

/** upload.saveFilePart: one part of a file of at most 10 MiB. @throws 400 FILE_PART_* (see UploadStore.savePart). */
const saveFilePart = method(Api.upload.SaveFilePart, (req, ctx) => {
  ctx.store.uploads.savePart(ctx.session.authKey.id, fromTlLong(req.fileId), req.filePart, Buffer.from(req.bytes));
  return true;
});

/** upload.saveBigFilePart: one part of a file over 10 MiB. @throws 400 FILE_PART_*, FILE_PARTS_INVALID. */
const saveBigFilePart = method(Api.upload.SaveBigFilePart, (req, ctx) => {
  ctx.store.uploads.savePart(
    ctx.session.authKey.id,
    fromTlLong(req.fileId),
    req.filePart,
    Buffer.from(req.bytes),
    req.fileTotalParts,
  );
  return true;
});

/**
 * The photo or document an input location names, checked like Telegram: the id and access hash must match
 * (FILE_ID_INVALID), the file reference must be the current one (FILE_REFERENCE_EXPIRED), and the size asked
 * for must exist (LOCATION_INVALID: photos have one size, the original; documents have no thumbnails here).
 */
function mediaAt(store: SandboxStore, location: unknown): MediaRecord {
  const isPhoto = location instanceof Api.InputPhotoFileLocation;
  if (!isPhoto && !(location instanceof Api.InputDocumentFileLocation)) {
    throw new RpcError(
      400,
      'LOCATION_INVALID',
      `${(location as { className?: string }).className} is not a photo or document location`,
    );
  }
  const media = store.media.get(fromTlLong(location.id));
  const kind = isPhoto ? 'photo' : 'document';
  if (!media || media.kind !== kind || media.accessHash !== fromTlLong(location.accessHash)) {
    throw new RpcError(400, 'FILE_ID_INVALID', `no ${isPhoto ? 'photo' : 'document'} ${location.id.toString()}`);
  }
  if (!media.fileReference.equals(Buffer.from(location.fileReference ?? []))) {
    throw new RpcError(400, 'FILE_REFERENCE_EXPIRED', 'refetch the message for a fresh file reference');
  }
  const size = location.thumbSize ?? '';
  if (media.kind === 'photo' ? size !== media.sizeType : size !== '') {
    throw new RpcError(400, 'LOCATION_INVALID', `no size "${size}"`);
  }
  return media;
}

/** The storage.FileType Telegram reports for a file (by its first bytes' format; a later part is "partial"). */
function fileType(media: MediaRecord, offset: number): Api.storage.TypeFileType {
  if (offset > 0) return new Api.storage.FilePartial();
  const mime = media.kind === 'photo' ? `image/${media.format}` : media.mimeType;
  switch (mime) {
    case 'image/jpeg':
      return new Api.storage.FileJpeg();
    case 'image/png':
      return new Api.storage.FilePng();
    case 'image/gif':
      return new Api.storage.FileGif();
    case 'image/webp':
      return new Api.storage.FileWebp();
    case 'application/pdf':
      return new Api.storage.FilePdf();
    case 'video/mp4':
      return new Api.storage.FileMp4();
    case 'video/quicktime':
      return new Api.storage.FileMov();
    case 'audio/mpeg':
      return new Api.storage.FileMp3();
    default:
      return new Api.storage.FileUnknown();
  }
}

/**
 * upload.getFile: `limit` bytes of a photo or document from `offset` (fewer at the end, none past it).
 * @throws 400 LIMIT_INVALID, OFFSET_INVALID (the rules above), LOCATION_INVALID, FILE_ID_INVALID,
 *   FILE_REFERENCE_EXPIRED.
 */
const getFile = method(Api.upload.GetFile, (req, ctx) => {
  const media = mediaAt(ctx.store, req.location);
  const offset = Number(fromTlLong(req.offset));
  const limit = req.limit;
  if (req.precise) {
    if (!(limit > 0 && limit % KIB === 0 && limit <= MIB)) {
      throw new RpcError(400, 'LIMIT_INVALID', `precise limit ${limit} must be a multiple of 1 KiB, at most 1 MiB`);
    }
    if (!(offset >= 0 && offset % KIB === 0)) {
      throw new RpcError(400, 'OFFSET_INVALID', `precise offset ${offset} must be a multiple of 1 KiB`);
    }
  } else {
    if (!(limit > 0 && limit % (4 * KIB) === 0 && MIB % limit === 0)) {
      throw new RpcError(400, 'LIMIT_INVALID', `limit ${limit} must be a multiple of 4 KiB that divides 1 MiB`);
    }
    if (!(offset >= 0 && offset % (4 * KIB) === 0)) {
      throw new RpcError(400, 'OFFSET_INVALID', `offset ${offset} must be a multiple of 4 KiB`);
    }
    if (Math.floor(offset / MIB) !== Math.floor((offset + limit - 1) / MIB)) {
      throw new RpcError(400, 'LIMIT_INVALID', `offset ${offset} + limit ${limit} crosses a 1 MiB boundary`);
    }
  }
  return new Api.upload.File({
    type: fileType(media, offset),
    mtime: media.date,
    bytes: media.bytes.subarray(Math.min(offset, media.bytes.length), Math.min(offset + limit, media.bytes.length)),
  });
});

/** Handlers of the upload namespace. */
export const uploadMethods: MethodHandler[] = [saveFilePart, saveBigFilePart, getFile];
