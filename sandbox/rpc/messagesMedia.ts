/**
 * messages.sendMedia: a photo or document message from an uploaded file (inputMediaUploadedPhoto /
 * inputMediaUploadedDocument — documents include videos (documentAttributeVideo), voice notes
 * (documentAttributeAudio with `voice`) and animations (documentAttributeAnimated)), or re-sending a photo or
 * document the sandbox already has (inputMediaPhoto / inputMediaDocument). The stored message carries
 * messageMediaPhoto / messageMediaDocument with sizes, attributes and MIME type; the caption is the message text.
 */
import { Api } from 'telegram';
import { RpcError } from '../mtproto/rpcError.js';
import { fromTlLong } from '../mtproto/tlWire.js';
import { readImageHeader } from '../state/imageHeader.js';
import type { DocumentAttribute, MediaRecord } from '../state/media.js';
import { entitiesFromInput } from './apiEntities.js';
import { documentAttributesFrom } from './apiMedia.js';
import { peerFromInput } from './apiObjects.js';
import { type AuthorizedContext, type MethodHandler, method } from './context.js';
import { replayedNewMessage, sentUpdates } from './messages.js';

/** Longest caption, characters (Telegram's caption_length_max for non-premium accounts). */
const CAPTION_MAX = 1024;

/**
 * The bytes of an uploaded file (inputFile / inputFileBig) the caller's auth key uploaded.
 * @throws RpcError 400 FILE_PART_<n>_MISSING, FILE_PARTS_INVALID, FILE_PART_SIZE_*, MD5_CHECKSUM_INVALID.
 */
function uploaded(ctx: AuthorizedContext, file: Api.TypeInputFile): { bytes: Buffer; name: string } {
  const owner = ctx.session.authKey.id;
  if (file instanceof Api.InputFile) {
    return {
      bytes: ctx.store.uploads.take(owner, fromTlLong(file.id), file.parts, false, file.md5Checksum),
      name: file.name,
    };
  }
  if (file instanceof Api.InputFileBig) {
    return { bytes: ctx.store.uploads.take(owner, fromTlLong(file.id), file.parts, true), name: file.name };
  }
  throw new RpcError(400, 'FILE_PARTS_INVALID', `${file.className} is not an uploaded file`);
}

/** An existing photo or document named by id, access hash and file reference. */
function existing(
  ctx: AuthorizedContext,
  input: Api.TypeInputPhoto | Api.TypeInputDocument,
  kind: MediaRecord['kind'],
): MediaRecord {
  if (!(input instanceof Api.InputPhoto) && !(input instanceof Api.InputDocument)) {
    throw new RpcError(400, 'MEDIA_EMPTY', 'no photo or document given');
  }
  const media = ctx.store.media.get(fromTlLong(input.id));
  if (!media || media.kind !== kind || media.accessHash !== fromTlLong(input.accessHash)) {
    throw new RpcError(400, 'MEDIA_INVALID', `no ${kind} ${input.id.toString()}`);
  }
  if (!media.fileReference.equals(Buffer.from(input.fileReference ?? []))) {
    throw new RpcError(400, 'FILE_REFERENCE_EXPIRED', 'refetch the message for a fresh file reference');
  }
  return media;
}

/**
 * The media a request names, stored.
 * @throws RpcError 400 IMAGE_PROCESS_FAILED (an uploaded "photo" that is not a PNG/JPEG/GIF/WebP image),
 *   PHOTO_INVALID_DIMENSIONS (sides more than 20:1), MEDIA_INVALID, MEDIA_NOT_IMPLEMENTED_SANDBOX (other media
 *   kinds: geo, contacts, polls, …), and the upload errors of {@link uploaded}.
 */
function mediaFromInput(ctx: AuthorizedContext, input: Api.TypeInputMedia): MediaRecord {
  const store = ctx.store;
  const date = Math.floor(Date.now() / 1000);
  if (input instanceof Api.InputMediaUploadedPhoto) {
    const { bytes } = uploaded(ctx, input.file);
    const header = readImageHeader(bytes);
    if (!header || header.width === 0 || header.height === 0) {
      throw new RpcError(400, 'IMAGE_PROCESS_FAILED', 'the uploaded photo is not a PNG, JPEG, GIF or WebP image');
    }
    const ratio = Math.max(header.width, header.height) / Math.min(header.width, header.height);
    if (ratio > 20) throw new RpcError(400, 'PHOTO_INVALID_DIMENSIONS', `${header.width}×${header.height}`);
    return store.media.addPhoto({ bytes, format: header.format, width: header.width, height: header.height, date });
  }
  if (input instanceof Api.InputMediaUploadedDocument) {
    const { bytes, name } = uploaded(ctx, input.file);
    let attributes: DocumentAttribute[] = documentAttributesFrom(input.attributes);
    if (input.nosoundVideo) attributes = attributes.map((a) => (a.kind === 'video' ? { ...a, nosound: true } : a));
    const voice = attributes.some((a) => a.kind === 'audio' && a.voice);
    if (!voice && name && !attributes.some((a) => a.kind === 'filename')) {
      attributes.push({ kind: 'filename', fileName: name });
    }
    const mimeType = input.mimeType || 'application/octet-stream';
    return store.media.addDocument({ bytes, mimeType, attributes, date });
  }
  if (input instanceof Api.InputMediaPhoto) return existing(ctx, input.id, 'photo');
  if (input instanceof Api.InputMediaDocument) return existing(ctx, input.id, 'document');
  throw new RpcError(400, 'MEDIA_NOT_IMPLEMENTED_SANDBOX', `${input.className} is not implemented`);
}

/**
 * messages.sendMedia. Answers `updates` with updateMessageID and updateNewMessage / updateNewChannelMessage (as
 * Telegram does even in private chats); other sessions get the new message pushed. A repeated random_id returns
 * the first send's message.
 * @throws 400 MEDIA_CAPTION_TOO_LONG (> 1024 characters), the media errors of {@link mediaFromInput}, and the
 *   peer and reply errors of sendMessage; 403 CHAT_WRITE_FORBIDDEN.
 */
const sendMedia = method(Api.messages.SendMedia, (req, ctx) => {
  const store = ctx.store;
  const peer = peerFromInput(store, req.peer);
  const randomId = fromTlLong(req.randomId ?? 0);
  const previous = store.messageForRandomId(randomId.toString());
  if (previous) return sentUpdates(ctx, [{ message: previous, randomId }], [replayedNewMessage(ctx, previous)]);
  if (req.scheduleDate) throw new RpcError(400, 'SCHEDULED_MESSAGES_NOT_IMPLEMENTED_SANDBOX');
  const caption = req.message ?? '';
  if (caption.length > CAPTION_MAX) {
    throw new RpcError(400, 'MEDIA_CAPTION_TOO_LONG', `${caption.length} characters, at most ${CAPTION_MAX}`);
  }
  const entities = entitiesFromInput(caption, req.entities);
  store.assertCanWrite(peer, store.account.id);
  const media = mediaFromInput(ctx, req.media);
  const replyTo = req.replyTo instanceof Api.InputReplyToMessage ? req.replyTo.replyToMsgId : undefined;
  const { message, change } = store.appendMessage({
    peer,
    fromId: store.account.id,
    text: caption,
    entities,
    source: 'mtproto',
    randomId: randomId.toString(),
    silent: req.silent ?? false,
    media,
    ...(replyTo ? { replyTo } : {}),
  });
  return sentUpdates(ctx, [{ message, randomId }], ctx.feed.publish([change], ctx.session));
});

/** Handlers of messages.sendMedia. */
export const messagesMediaMethods: MethodHandler[] = [sendMedia];
