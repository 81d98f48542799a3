/**
 * The SecretBox on safeStorage (issue 9): the Linux `basic_text` refusal with an explanation, the opt-in and
 * its standing warning, the async API when Electron has it, and damaged data refused without guessing.
 */
import { describe, expect, it, vi } from 'vitest';
import {
  BASIC_TEXT_WARNING,
  SafeStorageSecretBox,
  SecretStorageUnavailable,
} from '../../main/safeStorageBox.js';
import { CorruptSecretError } from '../../bridge/vault/secretBox.js';
import { recorded, resetElectronMock, safeStorage } from './electronMock.js';

const secret = Buffer.from('1BQANOTEuMTA4LjU2LjE2OQG7+session', 'utf8');

describe('SafeStorageSecretBox', () => {
  it('refuses on Linux with basic_text unless the person opted in, and says why and what to do', async () => {
    resetElectronMock();
    recorded.backend = 'basic_text';
    const box = new SafeStorageSecretBox(safeStorage as never, { platform: 'linux', allowBasicText: false });
    const verdict = box.check();
    expect(verdict.ok).toBe(false);
    const err = await box.seal(secret).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SecretStorageUnavailable);
    expect((err as SecretStorageUnavailable).reason).toBe('basic_text');
    expect((err as Error).message).toMatch(/no keyring .*GNOME Keyring or KWallet.*store it anyway/s);
    await expect(box.open(Buffer.from('TGBSS1enc:x'))).rejects.toBeInstanceOf(SecretStorageUnavailable);
  });

  it('after the opt-in it stores the secret and carries a standing warning', async () => {
    resetElectronMock();
    recorded.backend = 'basic_text';
    const box = new SafeStorageSecretBox(safeStorage as never, { platform: 'linux', allowBasicText: true });
    expect(box.check()).toEqual({ ok: true, warning: BASIC_TEXT_WARNING });
    expect(await box.open(await box.seal(secret))).toEqual(secret);
  });

  it('with a real keyring (or on macOS / Windows) it round-trips without a warning', async () => {
    for (const [platform, backend] of [
      ['linux', 'gnome_libsecret'],
      ['linux', 'kwallet6'],
      ['darwin', 'unknown'],
      ['win32', 'unknown'],
    ] as const) {
      resetElectronMock();
      recorded.backend = backend;
      const box = new SafeStorageSecretBox(safeStorage as never, { platform, allowBasicText: false });
      expect(box.check()).toEqual({ ok: true });
      const sealed = await box.seal(secret);
      expect(sealed.includes(secret)).toBe(false);
      expect(await box.open(sealed)).toEqual(secret);
    }
  });

  it('refuses when the OS offers no encryption at all, pointing to the passphrase vault', async () => {
    resetElectronMock();
    recorded.encryptionAvailable = false;
    const box = new SafeStorageSecretBox(safeStorage as never, { platform: 'darwin', allowBasicText: true });
    await expect(box.seal(secret)).rejects.toThrow(/tg-bridge login.*passphrase/);
  });

  it('uses the async API when this Electron has it', async () => {
    resetElectronMock();
    const encryptStringAsync = vi.fn(async (s: string) => Buffer.from(`async:${s}`));
    const decryptStringAsync = vi.fn(async (b: Buffer) => ({ result: b.toString().slice(6), shouldReEncrypt: false }));
    const storage = { ...safeStorage, encryptStringAsync, decryptStringAsync };
    const box = new SafeStorageSecretBox(storage as never, { platform: 'linux', allowBasicText: false });
    expect(await box.open(await box.seal(secret))).toEqual(secret);
    expect(encryptStringAsync).toHaveBeenCalledOnce();
    expect(decryptStringAsync).toHaveBeenCalledOnce();
  });

  it('refuses data it did not write, or the keyring cannot open, as corrupt', async () => {
    resetElectronMock();
    const box = new SafeStorageSecretBox(safeStorage as never, { platform: 'linux', allowBasicText: false });
    await expect(box.open(Buffer.from('TGBV1 a passphrase vault'))).rejects.toBeInstanceOf(CorruptSecretError);
    await expect(box.open(Buffer.from('TGBSS1garbage'))).rejects.toBeInstanceOf(CorruptSecretError);
    await expect(box.open(Buffer.alloc(0))).rejects.toBeInstanceOf(CorruptSecretError);
  });
});
