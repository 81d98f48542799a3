/**
 * File primitives of the audit chain: making a rename durable, replacing a small file atomically, and reading
 * the end of a JSON Lines file without reading all of it.
 */
import { randomBytes } from 'node:crypto';
import { type FileHandle, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Byte value of `\n`. */
export const NEWLINE = 0x0a;

/** Makes a rename or a file creation in `dir` durable (POSIX; Windows has no directory fsync). */
export async function syncDirectory(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  const dh = await open(dir, 'r');
  try {
    await dh.sync();
  } finally {
    await dh.close();
  }
}

/**
 * Replaces `path` with `data` atomically: a temporary file (mode 0600) in the same folder, `fdatasync`, then
 * `rename`. A crash leaves the old or the new content, never a mix.
 * @param opts.syncDir also fsync the folder so the rename itself survives a power loss (one more fsync).
 * @throws fs errors (the temporary file is removed; `path` keeps its old content).
 */
export async function replaceFileAtomic(
  path: string,
  data: string | Uint8Array,
  opts: { syncDir?: boolean } = {},
): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const fh = await open(tmp, 'wx', 0o600);
  try {
    await fh.writeFile(data);
    await fh.datasync();
    await fh.close();
    await rename(tmp, path);
  } catch (err) {
    await fh.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw err;
  }
  if (opts.syncDir) await syncDirectory(dir);
}

/** How far back {@link readTail} looks at first, in bytes; entries are well under 1 KiB. */
const TAIL_CHUNK = 64 * 1024;

/**
 * Reads the end of a file: the last complete line and where complete lines end.
 * @param size the file's size in bytes.
 * @returns `lastLine` (without newline) or null when there is no complete line; `completeEnd`, the byte offset
 *   just after the last newline; `tail`, the bytes after it.
 */
export async function readTail(
  fh: FileHandle,
  size: number,
): Promise<{ lastLine: Uint8Array | null; completeEnd: number; tail: Uint8Array }> {
  for (let chunk = TAIL_CHUNK; ; chunk *= 2) {
    const start = Math.max(0, size - chunk);
    const buf = Buffer.alloc(size - start);
    let got = 0;
    while (got < buf.length) {
      const { bytesRead } = await fh.read(buf, got, buf.length - got, start + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    const data = buf.subarray(0, got);
    const lastNl = data.lastIndexOf(NEWLINE);
    if (lastNl === -1) {
      if (start === 0) return { lastLine: null, completeEnd: 0, tail: data };
      continue;
    }
    const prevNl = lastNl === 0 ? -1 : data.lastIndexOf(NEWLINE, lastNl - 1);
    if (prevNl === -1 && start > 0) continue;
    return {
      lastLine: data.subarray(prevNl + 1, lastNl),
      completeEnd: start + lastNl + 1,
      tail: data.subarray(lastNl + 1),
    };
  }
}

/**
 * Calls `onLine` for every complete line of `path` (without its newline), reading in chunks so memory stays
 * bounded (two buffers of `chunkBytes`, plus a single line longer than that), then `onTail` with the bytes
 * after the last newline (possibly empty). The next chunk is read while the current one is processed.
 * `onLine` returns false to stop early (then `onTail` is not called).
 * The slices are views into reused buffers: valid only during the call.
 * @param opts.chunkBytes read size in bytes (default 1 MiB).
 * @param opts.start, opts.end the byte range to read (default the whole file); `start` must begin a line.
 * @returns the byte offset just after the last line `onLine` accepted (or after all complete lines).
 * @throws fs errors (e.g. ENOENT) as is.
 */
export async function streamLines(
  path: string,
  onLine: (buf: Buffer, start: number, end: number) => boolean,
  onTail: (tail: Buffer) => void,
  opts: { chunkBytes?: number; start?: number; end?: number } = {},
): Promise<number> {
  const fh = await open(path, 'r');
  try {
    const from = opts.start ?? 0;
    const to = Math.min(opts.end ?? Infinity, (await fh.stat()).size);
    const size = Math.max(1, Math.min(opts.chunkBytes ?? 1024 * 1024, to - from + 1));
    const buffers = [Buffer.allocUnsafe(size), Buffer.allocUnsafe(size)];
    let which = 0;
    let offset = from; // file offset of the next read
    const readInto = async (buf: Buffer): Promise<number> => {
      const want = Math.min(buf.length, to - offset);
      if (want <= 0) return 0;
      const { bytesRead } = await fh.read(buf, 0, want, offset);
      offset += bytesRead;
      return bytesRead;
    };
    let next = readInto(buffers[0]!);
    let carry: Buffer | null = null; // an incomplete line continued from the previous chunk (a copy)
    let chunkAt = from; // file offset of the current chunk's first byte
    let accepted = from;
    for (;;) {
      const got = await next;
      const buf = buffers[which]!;
      if (got === 0) {
        onTail(carry ?? Buffer.alloc(0));
        return accepted;
      }
      which ^= 1;
      const reading = offset;
      next = readInto(buffers[which]!);
      let start = 0;
      if (carry !== null) {
        const nl = buf.indexOf(NEWLINE);
        if (nl === -1 || nl >= got) {
          carry = Buffer.concat([carry, buf.subarray(0, got)]);
          chunkAt = reading;
          continue;
        }
        const line: Buffer = Buffer.concat([carry, buf.subarray(0, nl)]);
        if (!onLine(line, 0, line.length)) {
          await next.catch(() => undefined);
          return accepted;
        }
        accepted = chunkAt + nl + 1;
        carry = null;
        start = nl + 1;
      }
      for (;;) {
        const nl = buf.indexOf(NEWLINE, start);
        if (nl === -1 || nl >= got) break;
        if (!onLine(buf, start, nl)) {
          await next.catch(() => undefined);
          return accepted;
        }
        start = nl + 1;
        accepted = chunkAt + start;
      }
      if (start < got) carry = Buffer.from(buf.subarray(start, got));
      chunkAt = reading;
      // The read of the other buffer must not be overwritten while this one is processed: it isn't, since the
      // next iteration awaits it before reading into this buffer again.
    }
  } finally {
    await fh.close();
  }
}
