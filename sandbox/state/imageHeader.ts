/**
 * Reading an image's format and pixel size from its first bytes, the way Telegram's photo processing
 * refuses what is not a picture (IMAGE_PROCESS_FAILED). PNG, JPEG, GIF and WebP are recognised.
 */

/** A recognised image format. */
export type ImageFormat = 'jpeg' | 'png' | 'gif' | 'webp';

/** Format and size in pixels. */
export interface ImageHeader {
  format: ImageFormat;
  width: number;
  height: number;
}

/** MIME type of an image format. */
export function imageMimeType(format: ImageFormat): string {
  return `image/${format}`;
}

/** The image's format and size, or undefined when the bytes are not a PNG, JPEG, GIF or WebP image. */
export function readImageHeader(bytes: Buffer): ImageHeader | undefined {
  if (bytes.length >= 24 && bytes.readUInt32BE(0) === 0x89504e47 && bytes.toString('ascii', 12, 16) === 'IHDR') {
    return { format: 'png', width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
  }
  if (bytes.length >= 10 && bytes.toString('ascii', 0, 4) === 'GIF8') {
    return { format: 'gif', width: bytes.readUInt16LE(6), height: bytes.readUInt16LE(8) };
  }
  if (bytes.length >= 30 && bytes.toString('ascii', 0, 4) === 'RIFF' && bytes.toString('ascii', 8, 12) === 'WEBP') {
    return readWebp(bytes);
  }
  if (bytes.length >= 4 && bytes[0] === 0xff && bytes[1] === 0xd8) return readJpeg(bytes);
  return undefined;
}

/** Walks JPEG segments to the first start-of-frame marker (SOF0–SOF15 except DHT, JPG and DAC). */
function readJpeg(bytes: Buffer): ImageHeader | undefined {
  let offset = 2;
  while (offset + 9 < bytes.length) {
    if (bytes[offset] !== 0xff) return undefined;
    const marker = bytes[offset + 1]!;
    if (marker === 0xff) {
      offset++;
      continue;
    }
    const length = bytes.readUInt16BE(offset + 2);
    const isFrame = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isFrame) {
      return { format: 'jpeg', height: bytes.readUInt16BE(offset + 5), width: bytes.readUInt16BE(offset + 7) };
    }
    offset += 2 + length;
  }
  return undefined;
}

function readWebp(bytes: Buffer): ImageHeader | undefined {
  const chunk = bytes.toString('ascii', 12, 16);
  if (chunk === 'VP8X') {
    return { format: 'webp', width: 1 + bytes.readUIntLE(24, 3), height: 1 + bytes.readUIntLE(27, 3) };
  }
  if (chunk === 'VP8 ') {
    return { format: 'webp', width: bytes.readUInt16LE(26) & 0x3fff, height: bytes.readUInt16LE(28) & 0x3fff };
  }
  if (chunk === 'VP8L') {
    const bits = bytes.readUInt32LE(21);
    return { format: 'webp', width: 1 + (bits & 0x3fff), height: 1 + ((bits >> 14) & 0x3fff) };
  }
  return undefined;
}
