/**
 * Owner-only files for secrets and the audit chain (ARCHITECTURE.md "SecretBox"): directories 0700, files
 * 0600, and atomic replacement (write a temp file, fsync, rename, fsync the directory) so a crash leaves
 * either the old or the new content, never a torn file.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** Mode of private directories. */
export const PRIVATE_DIR_MODE = 0o700;
/** Mode of private files. */
export const PRIVATE_FILE_MODE = 0o600;

/**
 * Creates `dir` (and parents) with mode 0700, and narrows an existing one to 0700.
 * @throws the fs error when the directory can't be created or chmod'ed (e.g. not the owner).
 */
export async function ensurePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  const st = await stat(dir);
  if ((st.mode & 0o777) !== PRIVATE_DIR_MODE) await chmod(dir, PRIVATE_DIR_MODE);
}

/**
 * Atomically replaces `path` with `data` (mode 0600), creating the parent directory 0700 if needed.
 * @throws the fs error; the previous content of `path` is then untouched.
 */
export async function writePrivateFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const dir = dirname(path);
  await ensurePrivateDir(dir);
  const tmp = join(dir, `.${randomBytes(6).toString('hex')}.tmp`);
  const fh = await open(tmp, 'wx', PRIVATE_FILE_MODE);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } catch (err) {
    await fh.close();
    await rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  try {
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  await syncDir(dir);
}

async function syncDir(dir: string): Promise<void> {
  // fsync of a directory makes the rename durable; not every platform allows opening one (Windows).
  try {
    const d = await open(dir, 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  } catch {
    /* best effort: the rename itself is already atomic */
  }
}

/**
 * Reads an owner-only file as UTF-8 text.
 * @returns null when there is no such file.
 * @throws Error "`path` is readable by others; run: chmod 600 `path`" when group or others may read it (a secret
 *   there may already have leaked: the person decides, nothing is read), or the fs error.
 */
export async function readPrivateFile(path: string): Promise<string | null> {
  const st = await stat(path).catch(() => null);
  if (!st) return null;
  if ((st.mode & 0o077) !== 0) throw new Error(`${path} is readable by others; run: chmod 600 ${path}`);
  return readFile(path, 'utf8');
}
