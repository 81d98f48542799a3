/**
 * `send_media` file_path rules against a real file tree in a temp folder: a fake home with `.ssh`, `.aws` and
 * `.env`, and a media folder with good files, links into the secrets, and escapes.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readMediaFile, secretComponent } from '../../../bridge/media/mediaFile.js';
import { MAX_MEDIA_BYTES } from '../../../bridge/protocol/index.js';

let root: string;
let home: string;
let media: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'tgb-media-'));
  home = join(root, 'home');
  media = join(home, 'Pictures', 'to-send');
  await mkdir(join(home, '.ssh'), { recursive: true });
  await mkdir(join(home, '.aws'), { recursive: true });
  await mkdir(join(media, 'album'), { recursive: true });
  await writeFile(join(home, '.ssh', 'id_ed25519'), 'PRIVATE KEY');
  await writeFile(join(home, '.aws', 'credentials'), 'aws_secret_access_key=x');
  await writeFile(join(home, 'notes.txt'), 'outside the media folder');
  await writeFile(join(media, 'cat.jpg'), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]));
  await writeFile(join(media, 'album', 'dog.png'), 'png bytes');
  await writeFile(join(media, '.env'), 'TOKEN=secret');
  await writeFile(join(media, '.env.local'), 'TOKEN=secret');
  await symlink(join(home, '.ssh', 'id_ed25519'), join(media, 'holiday.jpg'));
  await symlink(join(home, '.ssh'), join(media, 'keys'));
  await symlink(join(home, '.aws', 'credentials'), join(media, 'receipt.pdf'));
  await symlink(join(home, 'notes.txt'), join(media, 'notes-link.txt'));
  await symlink(join(media, 'cat.jpg'), join(media, 'album', 'cat-again.jpg'));
  await writeFile(join(media, 'exactly-20MiB.bin'), '');
  await truncate(join(media, 'exactly-20MiB.bin'), MAX_MEDIA_BYTES);
  await writeFile(join(media, 'too-big.bin'), '');
  await truncate(join(media, 'too-big.bin'), MAX_MEDIA_BYTES + 1);
});

afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

describe('readMediaFile', () => {
  it('reads a regular file inside the media folder, by relative or absolute path', async () => {
    const rel = await readMediaFile('cat.jpg', { mediaDir: media });
    expect(rel).toMatchObject({ fileName: 'cat.jpg', size: 7 });
    expect(rel.bytes.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
    const abs = await readMediaFile(join(media, 'album', 'dog.png'), { mediaDir: media });
    expect(abs.bytes.toString()).toBe('png bytes');
  });

  it('follows a link that stays inside the media folder', async () => {
    const f = await readMediaFile('album/cat-again.jpg', { mediaDir: media });
    expect(f).toMatchObject({ fileName: 'cat.jpg', size: 7 });
  });

  it('refuses every path when the person chose no media folder, and says how to set one', async () => {
    await expect(readMediaFile('cat.jpg', {})).rejects.toMatchObject({
      code: 'invalid_arguments',
      message: expect.stringMatching(/^file_path: .*media folder.*mediaDir.*file_base64/),
    });
  });

  it('refuses a symlink inside the media folder that points into ~/.ssh', async () => {
    await expect(readMediaFile('holiday.jpg', { mediaDir: media })).rejects.toMatchObject({
      code: 'invalid_arguments',
      message: expect.stringMatching(/file_path: refused: .*"\.ssh"/),
    });
    await expect(readMediaFile('keys/id_ed25519', { mediaDir: media })).rejects.toMatchObject({
      message: expect.stringMatching(/"\.ssh"/),
    });
    await expect(readMediaFile('receipt.pdf', { mediaDir: media })).rejects.toMatchObject({
      message: expect.stringMatching(/"\.aws"/),
    });
  });

  it('refuses secret names given directly, in any case, and dotenv files', async () => {
    for (const p of [join(home, '.ssh', 'id_ed25519'), join(home, '.SSH', 'x'), '.env', '.env.local']) {
      await expect(readMediaFile(p, { mediaDir: media })).rejects.toMatchObject({
        message: expect.stringMatching(/file_path: refused/),
      });
    }
  });

  it('refuses `..` escapes, absolute paths and links that leave the media folder', async () => {
    for (const p of ['../../notes.txt', 'album/../../../notes.txt', join(home, 'notes.txt'), 'notes-link.txt']) {
      await expect(readMediaFile(p, { mediaDir: media })).rejects.toMatchObject({
        code: 'invalid_arguments',
        message: expect.stringMatching(/outside the media folder/),
      });
    }
  });

  it('refuses directories and the media folder itself', async () => {
    await expect(readMediaFile('album', { mediaDir: media })).rejects.toMatchObject({
      message: expect.stringMatching(/not a regular file \(a directory\)/),
    });
    await expect(readMediaFile('.', { mediaDir: media })).rejects.toMatchObject({
      message: expect.stringMatching(/media folder itself/),
    });
  });

  it.skipIf(process.platform === 'win32')('refuses a named pipe without blocking on it', async () => {
    const fifo = join(media, 'pipe.jpg');
    execFileSync('mkfifo', [fifo]);
    await expect(readMediaFile('pipe.jpg', { mediaDir: media })).rejects.toMatchObject({
      message: expect.stringMatching(/named pipe/),
    });
  });

  it('takes exactly 20 MiB and refuses 20 MiB + 1 byte', async () => {
    const ok = await readMediaFile('exactly-20MiB.bin', { mediaDir: media });
    expect(ok.size).toBe(MAX_MEDIA_BYTES);
    await expect(readMediaFile('too-big.bin', { mediaDir: media })).rejects.toMatchObject({
      message: expect.stringMatching(new RegExp(`${MAX_MEDIA_BYTES + 1} bytes, more than`)),
    });
  });

  it('refuses everything when the media folder itself is a secret location', async () => {
    await expect(readMediaFile('id_ed25519', { mediaDir: join(home, '.ssh') })).rejects.toMatchObject({
      message: expect.stringMatching(/"\.ssh"/),
    });
  });

  it('says so when the file does not exist', async () => {
    await expect(readMediaFile('nope.jpg', { mediaDir: media })).rejects.toMatchObject({
      message: expect.stringMatching(/no such file/),
    });
  });
});

describe('secretComponent', () => {
  it.each([
    ['/home/a/.ssh/id_rsa', '.ssh'],
    ['C:\\Users\\a\\.aws\\credentials', '.aws'],
    ['/home/a/.config/gcloud/creds.json', 'gcloud'],
    ['/home/a/.password-store/x.gpg', '.password-store'],
    ['/srv/app/.env.production', '.env.production'],
    ['/home/a/.netrc', '.netrc'],
    ['/home/a/.git-credentials', '.git-credentials'],
    ['/home/a/.pgpass', '.pgpass'],
    ['/home/a/.kube/config', '.kube'],
    ['/home/a/.docker/config.json', '.docker'],
    ['/home/a/.gnupg/pubring.kbx', '.gnupg'],
  ])('%s → %s', (path, name) => {
    expect(secretComponent(path)).toBe(name);
  });
  it('passes ordinary paths', () => {
    expect(secretComponent('/home/a/Pictures/ssh-tunnel.png')).toBeNull();
    expect(secretComponent('/home/a/environment.txt')).toBeNull();
  });
});

describe("tg-bridge's own data folder is never served (issue 8 §7)", () => {
  let top: string;
  let data: string;
  beforeAll(async () => {
    top = join(root, 'whole-home');
    data = join(top, 'tg-data');
    await mkdir(join(data, 'media-inside'), { recursive: true });
    await writeFile(join(data, 'vault.bin'), 'sealed session');
    await writeFile(join(data, 'audit.jsonl'), '{"seq":1}\n');
    await writeFile(join(data, 'media-inside', 'ok.png'), 'png bytes');
    await writeFile(join(top, 'photo.jpg'), 'jpeg bytes');
    await symlink(join(data, 'vault.bin'), join(top, 'innocent.jpg'));
  });
  const refusedAsData = { code: 'invalid_arguments', message: expect.stringMatching(/^file_path: that is inside tg-bridge's own data folder/) };

  it('refuses the vault, the audit chain and links to them when the media folder contains the data folder', async () => {
    for (const path of ['tg-data/vault.bin', 'tg-data/audit.jsonl', 'innocent.jpg', join(data, 'vault.bin'), 'tg-data/media-inside/ok.png']) {
      await expect(readMediaFile(path, { mediaDir: top, dataDir: data })).rejects.toMatchObject(refusedAsData);
    }
    await expect(readMediaFile('photo.jpg', { mediaDir: top, dataDir: data })).resolves.toMatchObject({ fileName: 'photo.jpg' });
  });

  it('refuses everything when the media folder is the data folder, and serves a media folder chosen inside it', async () => {
    await expect(readMediaFile('vault.bin', { mediaDir: data, dataDir: data })).rejects.toMatchObject(refusedAsData);
    await expect(readMediaFile('ok.png', { mediaDir: join(data, 'media-inside'), dataDir: data })).resolves.toMatchObject({
      fileName: 'ok.png',
    });
    await expect(readMediaFile('../vault.bin', { mediaDir: join(data, 'media-inside'), dataDir: data })).rejects.toMatchObject({
      message: expect.stringMatching(/outside the media folder/),
    });
  });
});
