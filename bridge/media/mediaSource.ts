/**
 * Where `send_media`'s bytes come from (PROTOCOL.md `send_media`: exactly one of `file_path`, `file_base64`,
 * `file_url`) and what the person chose to allow (issue 5 "Media safety"): file paths only inside their media
 * folder, URLs only when they turned them on. Every source ends as bytes in memory, at most 20 MiB, which are
 * what the person approves and what is uploaded.
 */
import { extname } from 'node:path';
import { MAX_MEDIA_BYTES, ToolErrorCode, ToolError } from '../protocol/index.js';
import { readMediaFile } from './mediaFile.js';
import { fetchMediaUrl, previewMediaUrl, type UrlFetchOptions } from './mediaUrl.js';

/** The person's media settings (engine options). */
export interface MediaOptions {
  /** The folder `file_path` is confined to; absent → `file_path` is refused with a hint to set it. */
  mediaDir?: string;
  /** Lets `send_media` fetch `file_url` (default false, issue 5: "off by default"). */
  allowFileUrl?: boolean;
  /** tg-bridge's data folder (vault, audit chain, control socket): never served through `file_path`. */
  dataDir?: string;
  /** Fetch tuning and TEST HOOKS (resolver, allowed test address); the product leaves it unset. */
  urlFetch?: Omit<UrlFetchOptions, 'signal' | 'maxBytes'>;
}

/** Kinds of media `send_media` sends. */
export type SendMediaKind = 'photo' | 'video' | 'document' | 'animation' | 'voice';

/** What `send_media` asked for, as parsed by its schema. */
export interface MediaSourceArgs {
  media_type: SendMediaKind;
  file_path?: string | undefined;
  file_base64?: string | undefined;
  file_url?: string | undefined;
  file_name?: string | undefined;
}

/** Bytes ready to upload, with the file name Telegram will show and a MIME type. `size` in bytes. */
export interface LoadedMedia {
  bytes: Buffer;
  fileName: string;
  mimeType: string;
  size: number;
  source: 'file_path' | 'file_base64' | 'file_url';
}

/**
 * Loads the one source `args` names, under `options`.
 * @throws ToolError `invalid_arguments` naming the field (`file_path:`, `file_base64:`, `file_url:`) when the
 *   source is refused or unreadable (see readMediaFile, fetchMediaUrl, decodeMediaBase64).
 */
export async function loadMedia(
  args: MediaSourceArgs,
  options: MediaOptions,
  signal?: AbortSignal,
): Promise<LoadedMedia> {
  let bytes: Buffer;
  let sourceName: string | null = null;
  let sourceMime: string | null = null;
  let source: LoadedMedia['source'];
  if (args.file_path !== undefined) {
    const file = await readMediaFile(args.file_path, {
      mediaDir: options.mediaDir,
      dataDir: options.dataDir,
      maxBytes: MAX_MEDIA_BYTES,
    });
    bytes = file.bytes;
    sourceName = file.fileName;
    source = 'file_path';
  } else if (args.file_base64 !== undefined) {
    bytes = decodeMediaBase64(args.file_base64);
    source = 'file_base64';
  } else if (args.file_url !== undefined) {
    checkUrlsAllowed(options);
    const fetched = await fetchMediaUrl(args.file_url, {
      ...options.urlFetch,
      maxBytes: MAX_MEDIA_BYTES,
      ...(signal ? { signal } : {}),
    });
    bytes = fetched.bytes;
    sourceName = fetched.fileName;
    sourceMime = fetched.mimeType;
    source = 'file_url';
  } else {
    throw new ToolError(ToolErrorCode.invalidArguments, 'file_path: give exactly one of file_path, file_base64, file_url');
  }
  if (bytes.length === 0) {
    throw new ToolError(ToolErrorCode.invalidArguments, `${source}: the file is empty; nothing was sent`);
  }
  const fileName = cleanFileName(args.file_name ?? sourceName) ?? defaultFileName(args.media_type);
  return {
    bytes,
    fileName,
    mimeType: mimeTypeFor(args.media_type, fileName, sourceMime),
    size: bytes.length,
    source,
  };
}

/** What a dry run reports about the file: like {@link LoadedMedia} without the bytes; `size` null = not fetched. */
export interface MediaPreview {
  fileName: string;
  mimeType: string;
  size: number | null;
  source: LoadedMedia['source'];
}

/**
 * What `send_media` in dry run may know about its file (issue 8 §7): `file_path` and `file_base64` are loaded and
 * checked as for a send (they are already on this computer); `file_url` is checked offline only and NEVER fetched
 * (no DNS, no request), so its size is null and its MIME type is guessed from the name.
 * @throws ToolError `invalid_arguments` as {@link loadMedia}, for the checks a preview can make.
 */
export async function previewMedia(args: MediaSourceArgs, options: MediaOptions): Promise<MediaPreview> {
  if (args.file_url === undefined) {
    const { bytes: _bytes, ...rest } = await loadMedia(args, options);
    return rest;
  }
  checkUrlsAllowed(options);
  const { fileName: sourceName } = previewMediaUrl(args.file_url, options.urlFetch ?? {});
  const fileName = cleanFileName(args.file_name ?? sourceName) ?? defaultFileName(args.media_type);
  return { fileName, mimeType: mimeTypeFor(args.media_type, fileName), size: null, source: 'file_url' };
}

/** @throws ToolError `invalid_arguments` (`file_url:`) unless the person turned URL fetching on. */
function checkUrlsAllowed(options: MediaOptions): void {
  if (!options.allowFileUrl) {
    throw new ToolError(
      ToolErrorCode.invalidArguments,
      'file_url: fetching files from URLs is off on this device (the person can turn it on with the ' +
        '`allowFileUrl` setting); download the file yourself and send it as file_base64',
    );
  }
}

/**
 * Decodes `file_base64`: standard or URL-safe alphabet, padding optional, whitespace ignored, an optional
 * `data:<mime>;base64,` prefix accepted. The decoded size is computed BEFORE decoding, so an oversized string
 * never allocates its buffer.
 * @param maxBytes cap on the decoded size in bytes (default 20 MiB).
 * @throws ToolError `invalid_arguments` starting `file_base64:` for characters outside base64, a length no
 *   base64 encoding has, or a decoded size above `maxBytes`.
 */
export function decodeMediaBase64(input: string, maxBytes: number = MAX_MEDIA_BYTES): Buffer {
  let s = input.replace(/^data:[^,]{0,200};base64,/i, '').replace(/\s+/g, '');
  const bad = /[^A-Za-z0-9+/\-_=]/.exec(s);
  if (bad) {
    throw new ToolError(
      ToolErrorCode.invalidArguments,
      `file_base64: not valid base64 (character ${JSON.stringify(bad[0])} at ${bad.index}); nothing was sent`,
    );
  }
  const padding = /=*$/.exec(s)![0].length;
  s = s.slice(0, s.length - padding);
  if (padding > 2 || s.includes('=') || s.length % 4 === 1) {
    throw new ToolError(ToolErrorCode.invalidArguments, 'file_base64: not valid base64 (bad length or padding); nothing was sent');
  }
  const size = Math.floor((s.length * 3) / 4);
  if (size > maxBytes) {
    throw new ToolError(
      ToolErrorCode.invalidArguments,
      `file_base64: the file is ${size} bytes, more than the ${maxBytes}-byte (${Math.round(maxBytes / 1048576)} MiB) limit; nothing was sent`,
    );
  }
  return Buffer.from(s.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
}

/** A file name safe to show and send: no path separators or control characters, at most 255 characters. */
function cleanFileName(name: string | null | undefined): string | null {
  const clean = (name ?? '').replace(/[\\/\p{Cc}\u202a-\u202e\u2066-\u2069]/gu, '').trim().slice(0, 255);
  return clean && clean !== '.' && clean !== '..' ? clean : null;
}

const DEFAULT_NAMES: Record<SendMediaKind, string> = {
  photo: 'photo.jpg',
  video: 'video.mp4',
  animation: 'animation.mp4',
  voice: 'voice.ogg',
  document: 'document.bin',
};

function defaultFileName(kind: SendMediaKind): string {
  return DEFAULT_NAMES[kind];
}

/** MIME types by file extension, for the kinds Telegram treats specially. */
const MIME_BY_EXTENSION: Record<string, string> = {
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.heic': 'image/heic',
  '.mp4': 'video/mp4',
  '.m4v': 'video/mp4',
  '.mov': 'video/quicktime',
  '.webm': 'video/webm',
  '.mkv': 'video/x-matroska',
  '.ogg': 'audio/ogg',
  '.oga': 'audio/ogg',
  '.opus': 'audio/ogg',
  '.mp3': 'audio/mpeg',
  '.m4a': 'audio/mp4',
  '.wav': 'audio/wav',
  '.pdf': 'application/pdf',
  '.txt': 'text/plain',
  '.csv': 'text/csv',
  '.json': 'application/json',
  '.zip': 'application/zip',
  '.docx': 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  '.xlsx': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

const DEFAULT_MIME: Record<SendMediaKind, string> = {
  photo: 'image/jpeg',
  video: 'video/mp4',
  animation: 'video/mp4',
  voice: 'audio/ogg',
  document: 'application/octet-stream',
};

/** The MIME type to declare: by extension, else the server's Content-Type, else the kind's usual type. */
export function mimeTypeFor(kind: SendMediaKind, fileName: string, fromServer: string | null = null): string {
  return MIME_BY_EXTENSION[extname(fileName).toLowerCase()] ?? fromServer ?? DEFAULT_MIME[kind];
}
