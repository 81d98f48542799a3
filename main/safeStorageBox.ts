/**
 * The SecretBox port on Electron's `safeStorage` (ARCHITECTURE.md "SecretBox"): the OS keychain (macOS
 * Keychain, Windows DPAPI, Linux Secret Service / KWallet) protects the key. Uses the async API when this
 * Electron has it (`encryptStringAsync`), else the sync one, behind the same async interface.
 *
 * Linux without a keyring: Chromium then falls back to `basic_text`, a fixed key compiled into every copy —
 * no protection at all. We refuse that with an explanation unless the person opts in; once they have, the
 * app shows a standing warning. The passphrase vault stays available for the headless host.
 */
import type { SafeStorage } from 'electron';
import { CorruptSecretError, type SecretBox } from '../bridge/vault/secretBox.js';

/** The async methods newer Electron versions add to `safeStorage` (feature-detected). */
type AsyncSafeStorage = SafeStorage & {
  encryptStringAsync?: (plain: string) => Promise<Buffer>;
  decryptStringAsync?: (sealed: Buffer) => Promise<{ result: string; shouldReEncrypt?: boolean } | string>;
};

const MAGIC = Buffer.from('TGBSS1', 'ascii');

/** Why secrets cannot be stored with safeStorage here, in words a person can act on. */
export const BASIC_TEXT_EXPLANATION =
  'This Linux desktop offers no keyring (Secret Service or KWallet) to Electron, so the Telegram session ' +
  'could only be stored with a fixed key built into every copy of the app — readable by anything on this ' +
  'computer. Start or unlock GNOME Keyring or KWallet and restart tg-bridge, or choose to store it anyway.';

/** The standing warning shown while the person has opted into basic_text storage. */
export const BASIC_TEXT_WARNING =
  'Your Telegram session is stored without a keyring (basic_text): anything running as you can read it.';

/** safeStorage refused: no keyring on Linux (`basic_text`) without opt-in, or no encryption at all. */
export class SecretStorageUnavailable extends Error {
  constructor(
    message: string,
    readonly reason: 'basic_text' | 'unavailable',
  ) {
    super(message);
    this.name = 'SecretStorageUnavailable';
  }
}

/** Options of {@link SafeStorageSecretBox}. */
export interface SafeStorageBoxOptions {
  /** `process.platform`. */
  platform: NodeJS.Platform;
  /** The person opted into `basic_text` storage on Linux. */
  allowBasicText: boolean;
}

/** Seals secrets with safeStorage; see the file comment for the Linux `basic_text` rule. */
export class SafeStorageSecretBox implements SecretBox {
  constructor(
    private readonly storage: SafeStorage,
    private readonly options: SafeStorageBoxOptions,
  ) {}

  /**
   * Whether secrets can be stored now, and the standing warning to show if any. Call after `app.whenReady()`
   * (Linux picks the backend then).
   */
  check(): { ok: true; warning?: string } | { ok: false; error: SecretStorageUnavailable } {
    if (!this.storage.isEncryptionAvailable()) {
      return {
        ok: false,
        error: new SecretStorageUnavailable(
          'This computer offers no way to encrypt secrets for apps, so tg-bridge cannot store your Telegram session. ' +
            'Use the headless host (`tg-bridge login`), which encrypts it with a passphrase.',
          'unavailable',
        ),
      };
    }
    if (this.options.platform === 'linux' && this.storage.getSelectedStorageBackend() === 'basic_text') {
      if (!this.options.allowBasicText) {
        return { ok: false, error: new SecretStorageUnavailable(BASIC_TEXT_EXPLANATION, 'basic_text') };
      }
      return { ok: true, warning: BASIC_TEXT_WARNING };
    }
    return { ok: true };
  }

  /** @throws SecretStorageUnavailable (see {@link check}). */
  async seal(plaintext: Buffer): Promise<Buffer> {
    this.#assertUsable();
    const s = this.storage as AsyncSafeStorage;
    const text = plaintext.toString('base64');
    const sealed = s.encryptStringAsync ? await s.encryptStringAsync(text) : s.encryptString(text);
    return Buffer.concat([MAGIC, sealed]);
  }

  /** @throws SecretStorageUnavailable; CorruptSecretError for data we did not write or the keyring cannot open. */
  async open(sealed: Buffer): Promise<Buffer> {
    this.#assertUsable();
    if (sealed.length <= MAGIC.length || !sealed.subarray(0, MAGIC.length).equals(MAGIC)) {
      throw new CorruptSecretError('not a tg-bridge safeStorage secret');
    }
    const body = sealed.subarray(MAGIC.length);
    const s = this.storage as AsyncSafeStorage;
    let text: string;
    try {
      if (s.decryptStringAsync) {
        const r = await s.decryptStringAsync(body);
        text = typeof r === 'string' ? r : r.result;
      } else {
        text = s.decryptString(body);
      }
    } catch {
      throw new CorruptSecretError('the keyring could not decrypt it (another user, or a reset keyring)');
    }
    return Buffer.from(text, 'base64');
  }

  #assertUsable(): void {
    const verdict = this.check();
    if (!verdict.ok) throw verdict.error;
  }
}
