/**
 * `send_media`'s `file_path` source (issue 5 "Media safety"): only regular files, at most 20 MiB, inside the
 * media folder the person chose, and never from a secret location — checked on the path as given AND after
 * resolving every symlink with realpath, so a link inside the media folder that points into `~/.ssh` is refused.
 *
 * The file is opened once (no symlink following on the last component, non-blocking so a FIFO can't hang the
 * engine), checked again on the open descriptor (same inode as the path that passed, still a regular file), and
 * read into memory; what is uploaded is exactly those bytes. Residual limit: a hard link to a secret file placed
 * inside the media folder can't be told apart from an ordinary file by its path.
 *
 * tg-bridge's own data folder (vault, audit chain, control socket) is never served, even when the media folder
 * contains it or is it (issue 8 §7); only a media folder chosen *inside* the data folder serves its own files.
 */
import { constants } from 'node:fs';
import { open, realpath, stat } from 'node:fs/promises';
import { basename, isAbsolute, relative, resolve, sep } from 'node:path';
import { MAX_MEDIA_BYTES, ToolErrorCode, ToolError } from '../protocol/index.js';

/**
 * Path components that mark a secret location (issue 5): keys, cloud credentials, password stores, dotenv
 * files. Compared case-insensitively (macOS and Windows file systems are case-insensitive); `.env.*` files
 * such as `.env.local` count as `.env`.
 */
export const SECRET_PATH_NAMES = [
  '.ssh',
  '.gnupg',
  '.aws',
  '.kube',
  '.docker',
  'gcloud',
  '.password-store',
  '.env',
  '.netrc',
  '.git-credentials',
  '.pgpass',
] as const;

/**
 * The secret component of `path`, or null. Every component counts, directories and the file name alike.
 * @param path an absolute or relative path; both `/` and `\` separate components.
 */
export function secretComponent(path: string): string | null {
  for (const part of path.split(/[\\/]+/)) {
    const p = part.toLowerCase();
    if ((SECRET_PATH_NAMES as readonly string[]).includes(p)) return part;
    if (p.startsWith('.env.')) return part;
  }
  return null;
}

/** A file read for upload: its bytes, its real name (after symlinks), and its size in bytes. */
export interface MediaFile {
  bytes: Buffer;
  fileName: string;
  size: number;
}

/**
 * Reads a file for `send_media`.
 * @param filePath the AI's `file_path`: relative to `mediaDir`, or absolute (then it must still lie inside).
 * @param opts.mediaDir the media folder the person chose; absent → file paths are refused.
 * @param opts.maxBytes size cap in bytes (default {@link MAX_MEDIA_BYTES}, 20 MiB).
 * @param opts.dataDir tg-bridge's data folder (vault, audit chain, control socket): nothing in it is served,
 *   unless the media folder itself lies strictly inside it.
 * @throws ToolError `invalid_arguments` starting `file_path:` when: no media folder is configured; the path or
 *   its real path has a secret component; the real path is outside the real media folder (`..`, absolute
 *   paths, symlinks out); it is in tg-bridge's data folder; it does not exist; it is not a regular file; it is
 *   larger than `maxBytes`; or it changed between the checks and the read.
 */
export async function readMediaFile(
  filePath: string,
  opts: { mediaDir?: string | undefined; maxBytes?: number; dataDir?: string | undefined },
): Promise<MediaFile> {
  const maxBytes = opts.maxBytes ?? MAX_MEDIA_BYTES;
  if (!opts.mediaDir) {
    throw refused(
      'sending files from disk is off because the person has not chosen a media folder. They can choose one ' +
        'in tg-bridge (the `mediaDir` setting); until then send the bytes as file_base64',
    );
  }
  if (filePath.includes('\0')) throw refused('the path contains a NUL character');
  const target = resolve(opts.mediaDir, filePath);
  const lexicalSecret = secretComponent(filePath) ?? secretComponent(target);
  if (lexicalSecret) throw secret(lexicalSecret);

  let realDir: string;
  try {
    realDir = await realpath(opts.mediaDir);
  } catch {
    throw refused('the media folder the person chose does not exist any more; ask them to choose it again');
  }
  const dirSecret = secretComponent(realDir);
  if (dirSecret) throw secret(dirSecret);

  let realFile: string;
  try {
    realFile = await realpath(target);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw refused(
      code === 'ENOENT' || code === 'ENOTDIR'
        ? 'no such file in the media folder'
        : `the file can't be opened (${code ?? 'error'})`,
    );
  }
  const realSecret = secretComponent(realFile);
  if (realSecret) throw secret(realSecret);
  const rel = relative(realDir, realFile);
  if (rel === '') throw refused('that is the media folder itself, not a file');
  if (rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
    throw refused('the file is outside the media folder the person chose (after resolving links)');
  }
  if (opts.dataDir && (await inDataFolder(realFile, realDir, opts.dataDir))) {
    throw refused(
      "that is inside tg-bridge's own data folder (vault, audit chain, control socket), which is never sent; " +
        'choose a media folder that does not contain it',
    );
  }

  const before = await stat(realFile);
  if (!before.isFile()) throw refused(`not a regular file (${kindOf(before)})`);
  if (before.size > maxBytes) throw tooBig(before.size, maxBytes);

  const flags = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);
  let handle;
  try {
    handle = await open(realFile, flags);
  } catch (err) {
    throw refused(`the file can't be opened (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  try {
    const st = await handle.stat();
    if (!st.isFile() || st.ino !== before.ino || st.dev !== before.dev) {
      throw refused('the file changed while it was being checked; try again');
    }
    if (st.size > maxBytes) throw tooBig(st.size, maxBytes);
    // Read at most maxBytes + 1: a file that grew past the cap after the checks is refused, not truncated.
    const buf = Buffer.alloc(Math.min(st.size, maxBytes) + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buf, length, buf.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > maxBytes) throw tooBig(length, maxBytes);
      if (length === buf.length) break;
    }
    return { bytes: buf.subarray(0, length), fileName: basename(realFile), size: length };
  } finally {
    await handle.close();
  }
}

/** True when `realFile` lies in the data folder and the media folder `realDir` is not a folder strictly inside it. */
async function inDataFolder(realFile: string, realDir: string, dataDir: string): Promise<boolean> {
  let realData: string;
  try {
    realData = await realpath(dataDir);
  } catch {
    return false; // no data folder yet: nothing of it to protect
  }
  const within = (base: string, p: string) => {
    const rel = relative(base, p);
    return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
  };
  if (!within(realData, realFile)) return false;
  return !(within(realData, realDir) && relative(realData, realDir) !== '');
}

function kindOf(st: Awaited<ReturnType<typeof stat>>): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a named pipe';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  return 'not a plain file';
}

function refused(why: string): ToolError {
  return new ToolError(ToolErrorCode.invalidArguments, `file_path: ${why}; nothing was sent`);
}

function secret(component: string): ToolError {
  return refused(
    `refused: the path goes through "${component}", a location that holds keys or credentials, which ` +
      'tg-bridge never sends',
  );
}

function tooBig(size: number, max: number): ToolError {
  return refused(`the file is ${size} bytes, more than the ${max}-byte (${Math.round(max / 1048576)} MiB) limit`);
}
