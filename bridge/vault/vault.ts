/**
 * The vault: named secrets (the Telegram session, the bridge token) sealed with a {@link SecretBox} in one
 * owner-only file, replaced atomically. A wrong passphrase is an error that changes nothing on disk.
 */
import { readFile, rm } from 'node:fs/promises';
import { z } from 'zod';
import { writePrivateFileAtomic } from '../storage/privateFile.js';
import { CorruptSecretError, type SecretBox } from './secretBox.js';

/** What the vault holds. `session` is a gramjs StringSession; all fields are secrets. */
export const VaultContents = z.strictObject({
  session: z.string().min(1).optional(),
  apiId: z.number().int().positive().optional(),
  apiHash: z
    .string()
    .regex(/^[0-9a-f]{32}$/i)
    .optional(),
  bridgeToken: z.string().min(1).optional(),
});
export type VaultContents = z.infer<typeof VaultContents>;

/** A sealed file of {@link VaultContents}. */
export class Vault {
  constructor(
    readonly path: string,
    private readonly box: SecretBox,
  ) {}

  /**
   * Reads and decrypts the vault.
   * @returns the contents, or `{}` when no vault file exists yet.
   * @throws WrongPassphraseError / CorruptSecretError (see secretBox.ts).
   */
  async load(): Promise<VaultContents> {
    let sealed: Buffer;
    try {
      sealed = await readFile(this.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw err;
    }
    const plain = await this.box.open(sealed);
    const parsed = VaultContents.safeParse(safeJson(plain.toString('utf8')));
    if (!parsed.success) throw new CorruptSecretError('unexpected contents');
    return parsed.data;
  }

  /**
   * Merges `patch` into the vault and writes it back atomically (0600). Loading first means a wrong passphrase
   * fails here, before anything is overwritten.
   */
  async update(patch: Partial<VaultContents>): Promise<VaultContents> {
    const next = VaultContents.parse({ ...(await this.load()), ...patch });
    await writePrivateFileAtomic(this.path, await this.box.seal(Buffer.from(JSON.stringify(next))));
    return next;
  }

  /** Deletes the vault file (logout). Missing file is fine. */
  async wipe(): Promise<void> {
    await rm(this.path, { force: true });
  }
}

function safeJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}
