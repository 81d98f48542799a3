/** Vault and SecretBox: round trip, wrong passphrase changes nothing, tampering detected, owner-only modes. */
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writePrivateFileAtomic } from '../../../bridge/storage/privateFile.js';
import {
  CorruptSecretError,
  PassphraseSecretBox,
  WrongPassphraseError,
} from '../../../bridge/vault/secretBox.js';
import { Vault } from '../../../bridge/vault/vault.js';

const FAST = { logN: 10, r: 8, p: 1 }; // cheap scrypt for tests; production uses SCRYPT_PARAMS
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tgb-vault-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('PassphraseSecretBox', () => {
  it('round-trips and never stores the plaintext', async () => {
    const box = new PassphraseSecretBox('correct horse battery', FAST);
    const sealed = await box.seal(Buffer.from('1BVtsOK-secret-session'));
    expect(sealed.includes(Buffer.from('secret-session'))).toBe(false);
    expect((await box.open(sealed)).toString()).toBe('1BVtsOK-secret-session');
  });

  it('a wrong passphrase is a clear error', async () => {
    const sealed = await new PassphraseSecretBox('correct horse battery', FAST).seal(Buffer.from('x'));
    await expect(new PassphraseSecretBox('wrong horse battery', FAST).open(sealed)).rejects.toBeInstanceOf(
      WrongPassphraseError,
    );
  });

  it('detects any changed byte, including the header, and rejects foreign files', async () => {
    const box = new PassphraseSecretBox('correct horse battery', FAST);
    const sealed = await box.seal(Buffer.from('session'));
    for (const i of [0, 6, 10, 30, sealed.length - 1]) {
      const bad = Buffer.from(sealed);
      bad[i] = bad[i]! ^ 0x01;
      await expect(box.open(bad)).rejects.toThrow(/wrong passphrase|unreadable/);
    }
    await expect(box.open(Buffer.from('hello'))).rejects.toBeInstanceOf(CorruptSecretError);
  });

  it('refuses short passphrases', () => {
    expect(() => new PassphraseSecretBox('short')).toThrow(/at least 8/);
  });
});

describe('Vault', () => {
  it('stores secrets 0600 in a 0700 directory and merges updates', async () => {
    const path = join(dir, 'home', 'vault.bin');
    const vault = new Vault(path, new PassphraseSecretBox('correct horse battery', FAST));
    expect(await vault.load()).toEqual({});
    await vault.update({ session: 'S1', apiId: 12345 });
    await vault.update({ bridgeToken: 'T1' });
    expect(await vault.load()).toEqual({ session: 'S1', apiId: 12345, bridgeToken: 'T1' });
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'home'))).mode & 0o777).toBe(0o700);
  });

  it('a wrong passphrase changes nothing on disk', async () => {
    const path = join(dir, 'vault.bin');
    await new Vault(path, new PassphraseSecretBox('correct horse battery', FAST)).update({ session: 'S1' });
    const before = await readFile(path);
    const intruder = new Vault(path, new PassphraseSecretBox('not the passphrase', FAST));
    await expect(intruder.update({ session: 'EVIL' })).rejects.toBeInstanceOf(WrongPassphraseError);
    expect((await readFile(path)).equals(before)).toBe(true);
  });

  it('wipe removes the file', async () => {
    const path = join(dir, 'vault.bin');
    const vault = new Vault(path, new PassphraseSecretBox('correct horse battery', FAST));
    await vault.update({ session: 'S1' });
    await vault.wipe();
    expect(await vault.load()).toEqual({});
  });
});

describe('writePrivateFileAtomic', () => {
  it('replaces content atomically with mode 0600, narrowing a wider existing file', async () => {
    const path = join(dir, 'f');
    await writeFile(path, 'old', { mode: 0o644 });
    await writePrivateFileAtomic(path, 'new');
    expect(await readFile(path, 'utf8')).toBe('new');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });
});
