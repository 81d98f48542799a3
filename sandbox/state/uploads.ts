/**
 * Files being uploaded: parts collected per (auth key, file_id) until messages.sendMedia names the file, checked
 * against Telegram's rules (core.telegram.org/api/files):
 * - a part is at most 512 KiB; every part but the last has the same size, divisible by 1024, and 512 KiB is
 *   divisible by it; the last part may be smaller;
 * - part numbers run 0–3999;
 * - files over 10 MiB go through upload.saveBigFilePart (which names the total part count on every call) and
 *   are referenced as inputFileBig.
 */
import { createHash } from 'node:crypto';
import { StoreError } from './storeError.js';

/** Largest upload part, bytes. */
export const UPLOAD_PART_MAX = 512 * 1024;
/** Files larger than this (bytes) must be uploaded with upload.saveBigFilePart. */
export const BIG_FILE_THRESHOLD = 10 * 1024 * 1024;
/** Most parts one file may have. */
export const UPLOAD_PARTS_MAX = 4000;

interface PendingUpload {
  big: boolean;
  totalParts?: number;
  parts: Map<number, Buffer>;
  /** Set once the file was used; later uses (a retried sendMedia) get the same bytes. */
  assembled?: Buffer;
}

/** True for a size every part but the last may have: divisible by 1 KiB and dividing 512 KiB. */
function validPartSize(size: number): boolean {
  return size > 0 && size % 1024 === 0 && UPLOAD_PART_MAX % size === 0;
}

/** Uploads in progress, keyed by the uploading auth key and the client's file id. */
export class UploadStore {
  private readonly files = new Map<string, PendingUpload>();

  private key(owner: bigint, fileId: bigint): string {
    return `${owner}:${fileId}`;
  }

  /**
   * Stores one part (a repeated part replaces the earlier copy, as a retried call does).
   * @param totalParts the file's part count for upload.saveBigFilePart; undefined for upload.saveFilePart.
   * @throws StoreError FILE_PART_INVALID (part number out of range), FILE_PART_EMPTY, FILE_PART_TOO_BIG
   *   (> 512 KiB), FILE_PARTS_INVALID (bad or changed total), FILE_PART_SIZE_INVALID (a non-last big-file part
   *   of a size Telegram does not accept), FILE_PART_SIZE_CHANGED (parts of different sizes).
   */
  savePart(owner: bigint, fileId: bigint, part: number, bytes: Buffer, totalParts?: number): void {
    const big = totalParts !== undefined;
    if (!Number.isInteger(part) || part < 0 || part >= UPLOAD_PARTS_MAX) {
      throw new StoreError(400, 'FILE_PART_INVALID', `part ${part} is outside 0–${UPLOAD_PARTS_MAX - 1}`);
    }
    if (bytes.length === 0) throw new StoreError(400, 'FILE_PART_EMPTY', `part ${part} is empty`);
    if (bytes.length > UPLOAD_PART_MAX) {
      const detail = `part ${part} has ${bytes.length} bytes, at most ${UPLOAD_PART_MAX}`;
      throw new StoreError(400, 'FILE_PART_TOO_BIG', detail);
    }
    if (big) {
      if (totalParts < 1 || totalParts > UPLOAD_PARTS_MAX) {
        const detail = `file_total_parts ${totalParts} is outside 1–${UPLOAD_PARTS_MAX}`;
        throw new StoreError(400, 'FILE_PARTS_INVALID', detail);
      }
      if (part >= totalParts) {
        throw new StoreError(400, 'FILE_PART_INVALID', `part ${part} of a file with ${totalParts} parts`);
      }
      if (part < totalParts - 1 && !validPartSize(bytes.length)) {
        throw new StoreError(
          400,
          'FILE_PART_SIZE_INVALID',
          `part ${part} has ${bytes.length} bytes; parts must divide 512 KiB and be a multiple of 1 KiB`,
        );
      }
    }
    const key = this.key(owner, fileId);
    let file = this.files.get(key);
    if (!file || file.assembled) {
      file = { big, parts: new Map(), ...(big ? { totalParts } : {}) };
      this.files.set(key, file);
    }
    if (file.big !== big || file.totalParts !== totalParts) {
      throw new StoreError(400, 'FILE_PARTS_INVALID', `file ${fileId} changed its part count or upload method`);
    }
    if (big && part < totalParts - 1) {
      const other = [...file.parts.entries()].find(([n]) => n < totalParts - 1);
      if (other && other[1].length !== bytes.length) {
        const detail = `part ${part} has ${bytes.length} bytes, part ${other[0]} ${other[1].length}`;
        throw new StoreError(400, 'FILE_PART_SIZE_CHANGED', detail);
      }
    }
    file.parts.set(part, Buffer.from(bytes));
  }

  /**
   * The uploaded file's bytes, for an inputFile (`big` false, with its `md5Checksum`, "" when not given) or
   * inputFileBig naming `parts` parts.
   * @throws StoreError FILE_PART_<n>_MISSING, FILE_PARTS_INVALID (wrong count, or a file over 10 MiB uploaded
   *   with upload.saveFilePart), FILE_PART_SIZE_INVALID / FILE_PART_SIZE_CHANGED (part sizes break the rules),
   *   MD5_CHECKSUM_INVALID.
   */
  take(owner: bigint, fileId: bigint, parts: number, big: boolean, md5Checksum = ''): Buffer {
    const file = this.files.get(this.key(owner, fileId));
    if (!file) throw new StoreError(400, 'FILE_PART_0_MISSING', `nothing was uploaded as file ${fileId}`);
    if (file.assembled) return file.assembled;
    if (!Number.isInteger(parts) || parts < 1 || parts > UPLOAD_PARTS_MAX) {
      throw new StoreError(400, 'FILE_PARTS_INVALID', `${parts} parts`);
    }
    if (file.big !== big || (big && file.totalParts !== parts)) {
      const as = big ? 'inputFileBig' : 'inputFile';
      throw new StoreError(400, 'FILE_PARTS_INVALID', `file ${fileId} was not uploaded as ${as} with ${parts} parts`);
    }
    const list: Buffer[] = [];
    for (let i = 0; i < parts; i++) {
      const part = file.parts.get(i);
      if (!part) {
        throw new StoreError(400, `FILE_PART_${i}_MISSING`, `part ${i} of file ${fileId} was never uploaded`);
      }
      list.push(part);
    }
    if ([...file.parts.keys()].some((n) => n >= parts)) {
      throw new StoreError(400, 'FILE_PARTS_INVALID', `file ${fileId} has parts beyond the ${parts} named`);
    }
    const partSize = list[0]!.length;
    if (parts > 1) {
      if (!validPartSize(partSize)) {
        const detail = `parts of ${partSize} bytes; parts must divide 512 KiB and be a multiple of 1 KiB`;
        throw new StoreError(400, 'FILE_PART_SIZE_INVALID', detail);
      }
      const odd = list.findIndex((p, i) => (i < parts - 1 ? p.length !== partSize : p.length > partSize));
      if (odd >= 0) {
        const detail = `part ${odd} has ${list[odd]!.length} bytes, part 0 ${partSize}`;
        throw new StoreError(400, 'FILE_PART_SIZE_CHANGED', detail);
      }
    }
    const bytes = Buffer.concat(list);
    if (!big && bytes.length > BIG_FILE_THRESHOLD) {
      const detail = `${bytes.length} bytes: files over 10 MiB must be uploaded with upload.saveBigFilePart`;
      throw new StoreError(400, 'FILE_PARTS_INVALID', detail);
    }
    if (md5Checksum && createHash('md5').update(bytes).digest('hex') !== md5Checksum.toLowerCase()) {
      throw new StoreError(400, 'MD5_CHECKSUM_INVALID', `md5 of file ${fileId} does not match`);
    }
    file.assembled = bytes;
    file.parts.clear();
    return bytes;
  }
}
