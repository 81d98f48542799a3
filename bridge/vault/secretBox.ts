/**
 * The SecretBox port (ARCHITECTURE.md): encrypt/decrypt secrets at rest. Electron uses `safeStorage`; the
 * headless host uses {@link PassphraseSecretBox}: scrypt → AES-256-GCM.
 */
import {
  createCipheriv,
  createDecipheriv,
  randomBytes,
  type ScryptOptions,
  scrypt as scryptCb,
} from 'node:crypto';

/** Encrypts and decrypts small secrets (session strings, tokens). Both sides are async (safeStorage is). */
export interface SecretBox {
  /** Encrypts `plaintext`; the output is self-describing (format, parameters, salt, nonce, tag). */
  seal(plaintext: Buffer): Promise<Buffer>;
  /** Decrypts what `seal` produced. @throws {@link WrongPassphraseError} or {@link CorruptSecretError}. */
  open(sealed: Buffer): Promise<Buffer>;
}

/** The passphrase does not open this secret (GCM authentication failed). Nothing was changed. */
export class WrongPassphraseError extends Error {
  constructor() {
    super('wrong passphrase: the stored secret could not be decrypted (nothing was changed)');
    this.name = 'WrongPassphraseError';
  }
}

/** The stored secret is not in a format we wrote (truncated, another program's file, a newer version). */
export class CorruptSecretError extends Error {
  constructor(why: string) {
    super(`the stored secret is unreadable: ${why}`);
    this.name = 'CorruptSecretError';
  }
}

const MAGIC = Buffer.from('TGBV1', 'ascii');
const SALT_BYTES = 16;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
/** scrypt cost: N = 2^15, r = 8, p = 1 (≈ 32 MiB, ≈ 50–100 ms) — OWASP's minimum recommendation for scrypt. */
export const SCRYPT_PARAMS = { logN: 15, r: 8, p: 1 } as const;

function scrypt(
  passphrase: string,
  salt: Buffer,
  params: { logN: number; r: number; p: number },
): Promise<Buffer> {
  const N = 2 ** params.logN;
  const options: ScryptOptions = { N, r: params.r, p: params.p, maxmem: 256 * N * params.r };
  return new Promise((resolve, reject) =>
    scryptCb(passphrase.normalize('NFKC'), salt, 32, options, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

/**
 * Passphrase-based SecretBox for the headless host. Layout of a sealed blob:
 * `"TGBV1" ‖ logN(u8) ‖ r(u8) ‖ p(u8) ‖ salt(16) ‖ nonce(12) ‖ ciphertext ‖ tag(16)`; the header is
 * authenticated as GCM additional data, so changing the parameters is detected too.
 */
export class PassphraseSecretBox implements SecretBox {
  /**
   * @param passphrase at least 8 characters. @throws Error when shorter.
   * @param params scrypt cost (tests lower it; stored in each blob so old blobs still open).
   */
  constructor(
    private readonly passphrase: string,
    private readonly params: { logN: number; r: number; p: number } = SCRYPT_PARAMS,
  ) {
    if (passphrase.length < 8) throw new Error('the passphrase must be at least 8 characters');
  }

  async seal(plaintext: Buffer): Promise<Buffer> {
    const salt = randomBytes(SALT_BYTES);
    const nonce = randomBytes(NONCE_BYTES);
    const header = Buffer.concat([
      MAGIC,
      Buffer.from([this.params.logN, this.params.r, this.params.p]),
      salt,
      nonce,
    ]);
    const key = await scrypt(this.passphrase, salt, this.params);
    const cipher = createCipheriv('aes-256-gcm', key, nonce);
    cipher.setAAD(header);
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Buffer.concat([header, body, cipher.getAuthTag()]);
  }

  async open(sealed: Buffer): Promise<Buffer> {
    const headerLen = MAGIC.length + 3 + SALT_BYTES + NONCE_BYTES;
    if (sealed.length < headerLen + TAG_BYTES) throw new CorruptSecretError('too short');
    if (!sealed.subarray(0, MAGIC.length).equals(MAGIC))
      throw new CorruptSecretError('not a tg-bridge vault file');
    const [logN, r, p] = sealed.subarray(MAGIC.length, MAGIC.length + 3);
    if (!logN || !r || !p || logN > 22 || logN < 10)
      throw new CorruptSecretError('bad key-derivation parameters');
    const salt = sealed.subarray(MAGIC.length + 3, MAGIC.length + 3 + SALT_BYTES);
    const nonce = sealed.subarray(MAGIC.length + 3 + SALT_BYTES, headerLen);
    const tag = sealed.subarray(sealed.length - TAG_BYTES);
    const key = await scrypt(this.passphrase, salt, { logN, r, p });
    const decipher = createDecipheriv('aes-256-gcm', key, nonce);
    decipher.setAAD(sealed.subarray(0, headerLen));
    decipher.setAuthTag(tag);
    try {
      return Buffer.concat([
        decipher.update(sealed.subarray(headerLen, sealed.length - TAG_BYTES)),
        decipher.final(),
      ]);
    } catch {
      throw new WrongPassphraseError();
    }
  }
}
