/**
 * Photos and documents the sandbox holds, with their exact bytes. Telegram gives each a 64-bit id, an access
 * hash and a file reference that clients must present to download it (upload.getFile). Unlike Telegram the
 * sandbox does not re-encode photos: the one photo size it offers is the uploaded file itself, so a download
 * returns exactly the bytes that were uploaded.
 */
import { createHash } from 'node:crypto';
import type { ImageFormat } from './imageHeader.js';

/** A document attribute as Telegram describes files (documentAttribute* constructors). */
export type DocumentAttribute =
  | { kind: 'filename'; fileName: string }
  | {
      kind: 'video';
      /** Seconds. */
      duration: number;
      width: number;
      height: number;
      roundMessage: boolean;
      supportsStreaming: boolean;
      nosound: boolean;
    }
  | {
      kind: 'audio';
      voice: boolean;
      /** Whole seconds. */
      duration: number;
      title?: string;
      performer?: string;
      waveform?: Buffer;
    }
  | { kind: 'animated' }
  | { kind: 'imageSize'; width: number; height: number };

/** A photo. `sizeType` is the PhotoSize type Telegram would give a picture this large ('s', 'm', 'x', 'y', 'w'). */
export interface PhotoRecord {
  kind: 'photo';
  id: bigint;
  accessHash: bigint;
  fileReference: Buffer;
  /** Unix seconds. */
  date: number;
  format: ImageFormat;
  width: number;
  height: number;
  sizeType: string;
  bytes: Buffer;
}

/** A document (any file, video, voice note, animation). */
export interface DocumentRecord {
  kind: 'document';
  id: bigint;
  accessHash: bigint;
  fileReference: Buffer;
  /** Unix seconds. */
  date: number;
  mimeType: string;
  attributes: DocumentAttribute[];
  bytes: Buffer;
}

/** A photo or a document. */
export type MediaRecord = PhotoRecord | DocumentRecord;

/**
 * What kind of document this is, as Telegram's clients and search filters tell them apart: a voice note, a
 * round video, a video, an animation (GIF), music, or a plain file.
 */
export type DocumentKind = 'voice' | 'round' | 'video' | 'animation' | 'audio' | 'file';

/** The kind of a document, from its attributes. */
export function documentKind(doc: DocumentRecord): DocumentKind {
  const audio = doc.attributes.find((a) => a.kind === 'audio');
  if (audio?.voice) return 'voice';
  if (doc.attributes.some((a) => a.kind === 'animated')) return 'animation';
  const video = doc.attributes.find((a) => a.kind === 'video');
  if (video?.roundMessage) return 'round';
  if (video) return 'video';
  if (audio) return 'audio';
  return 'file';
}

/** The file name of a document (its documentAttributeFilename), if any. */
export function documentFileName(doc: DocumentRecord): string | undefined {
  const a = doc.attributes.find((x) => x.kind === 'filename');
  return a?.kind === 'filename' ? a.fileName : undefined;
}

/** Telegram's PhotoSize type for a picture whose longer side is `side` pixels. */
export function photoSizeType(side: number): string {
  if (side <= 100) return 's';
  if (side <= 320) return 'm';
  if (side <= 800) return 'x';
  if (side <= 1280) return 'y';
  return 'w';
}

/** Photos and documents by id. Ids, access hashes and file references are deterministic per sandbox run order. */
export class MediaLibrary {
  private readonly items = new Map<bigint, MediaRecord>();
  private counter = 0;

  /** A fresh id, access hash and file reference. */
  private identity(): { id: bigint; accessHash: bigint; fileReference: Buffer } {
    const digest = createHash('sha256').update(`sandbox-media:${++this.counter}`).digest();
    let id = digest.readBigInt64LE(0);
    if (id === 0n || this.items.has(id)) id = BigInt(this.counter) << 20n;
    const fileReference = Buffer.concat([Buffer.from([2]), digest.subarray(16, 32)]);
    return { id, accessHash: digest.readBigInt64LE(8), fileReference };
  }

  /** Stores a photo. */
  addPhoto(input: {
    bytes: Buffer;
    format: ImageFormat;
    width: number;
    height: number;
    date: number;
  }): PhotoRecord {
    const photo: PhotoRecord = {
      kind: 'photo',
      ...this.identity(),
      ...input,
      sizeType: photoSizeType(Math.max(input.width, input.height)),
    };
    this.items.set(photo.id, photo);
    return photo;
  }

  /** Stores a document. */
  addDocument(input: {
    bytes: Buffer;
    mimeType: string;
    attributes: DocumentAttribute[];
    date: number;
  }): DocumentRecord {
    const doc: DocumentRecord = { kind: 'document', ...this.identity(), ...input };
    this.items.set(doc.id, doc);
    return doc;
  }

  /** A photo or document by id, or undefined. */
  get(id: bigint): MediaRecord | undefined {
    return this.items.get(id);
  }
}
