/**
 * The device key: a 32-byte secret only this device holds, from which the audit chain derives (HKDF-SHA-256,
 * RFC 5869) one subkey per purpose — entry MACs, the head record's MAC, keyed peer tags and a public key id.
 *
 * Where the secret lives (decided here, see README "What `audit verify` proves"):
 * - The headless host (`tg-bridge connect`, the demo, the end-to-end tests): `device.key` beside the audit
 *   chain, mode 0600, created once with 32 random bytes and written atomically. Without a SecretBox it is
 *   stored in the clear (`{"v":1,"plain":…}`): it stops anyone who can change the audit files but not read the
 *   key (a restored backup, a sync tool, someone editing an exported copy), not someone who can read every
 *   file of the account on this machine.
 * - With a SecretBox (`box`), the same file holds the secret sealed (`{"v":1,"sealed":…}`): the vault's
 *   passphrase box on the headless host, Electron's `safeStorage` in the desktop app (its main process builds
 *   a SecretBox on `safeStorage` and passes it here, then hands the resulting key to `AuditChain.open`).
 * - Tests and embedders can skip the file and pass any 32-byte secret to {@link DeviceKey.fromSecret}.
 */
import { createHmac, hash as oneShotHash, hkdfSync, randomBytes } from 'node:crypto';
import { link, open, readFile, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { parsePeer } from '../protocol/index.js';
import { ensurePrivateDir, PRIVATE_FILE_MODE } from '../storage/privateFile.js';
import type { SecretBox } from '../vault/secretBox.js';
import { AuditChainError } from './entry.js';
import { ENTRY_MAC_BYTES } from './entryValues.js';
import { syncDirectory } from './fileIo.js';

/** Length of the device secret, in bytes. */
export const DEVICE_SECRET_BYTES = 32;
export { ENTRY_MAC_BYTES };

const HKDF_SALT = Buffer.from('tg-bridge device key v1', 'utf8');

function subkey(secret: Uint8Array, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, HKDF_SALT, Buffer.from(purpose, 'utf8'), 32));
}

/**
 * Subkeys derived from one device secret. Holds no reference to the secret itself.
 */
export class DeviceKey {
  /** 8 hex digits naming this key (a MAC of a constant, not the key): safe to show and store. */
  readonly id: string;
  /** True when the secret was created just now (first run with keying): an unkeyed chain may be adopted. */
  readonly fresh: boolean;
  readonly #entry: Buffer;
  readonly #head: Buffer;
  readonly #peer: Buffer;
  /** The entry-MAC key xor'ed with the HMAC pads, for the fast MAC of verify. */
  readonly #ipad: Buffer;
  readonly #opad: Buffer;
  /** `K ⊕ ipad ‖ value` and `K ⊕ opad ‖ inner digest`, 96 bytes each: the two messages of {@link entryMacHex}. */
  readonly #innerBlock: Buffer;
  readonly #outerBlock: Buffer;

  private constructor(secret: Uint8Array, fresh: boolean) {
    this.#entry = subkey(secret, 'audit entry mac');
    this.#head = subkey(secret, 'audit head mac');
    this.#peer = subkey(secret, 'audit peer tag');
    this.id = createHmac('sha256', subkey(secret, 'key id')).update('id').digest('hex').slice(0, 8);
    this.fresh = fresh;
    this.#ipad = Buffer.alloc(64, 0x36);
    this.#opad = Buffer.alloc(64, 0x5c);
    for (let i = 0; i < 32; i++) {
      this.#ipad[i]! ^= this.#entry[i]!;
      this.#opad[i]! ^= this.#entry[i]!;
    }
    this.#innerBlock = Buffer.concat([this.#ipad, Buffer.alloc(32)]);
    this.#outerBlock = Buffer.concat([this.#opad, Buffer.alloc(32)]);
  }

  /**
   * @param secret exactly 32 bytes of secret randomness.
   * @param opts.fresh whether the secret was created just now (default false).
   * @throws RangeError when `secret` is not 32 bytes.
   */
  static fromSecret(secret: Uint8Array, opts: { fresh?: boolean } = {}): DeviceKey {
    if (secret.length !== DEVICE_SECRET_BYTES)
      throw new RangeError(`a device secret is ${DEVICE_SECRET_BYTES} bytes, got ${secret.length}`);
    return new DeviceKey(secret, opts.fresh ?? false);
  }

  /**
   * MAC of an entry: HMAC-SHA-256(entry key, the entry's 32 hash bytes), first 16 bytes. Since the hash chains
   * over every earlier entry, a valid MAC on entry n vouches for entries 1…n.
   * @param hash the entry's hash, 32 bytes.
   * @returns 16 bytes.
   */
  entryMac(hash: Uint8Array): Buffer {
    return createHmac('sha256', this.#entry).update(hash).digest().subarray(0, ENTRY_MAC_BYTES);
  }

  /**
   * {@link entryMac} from and to hex, for the writer: the same HMAC (RFC 2104) computed as two one-shot SHA-256
   * calls over the key's pads and reused buffers, a third of the cost of a `createHmac` per entry.
   * @param hashHex the entry's hash, 64 hex digits.
   * @returns 32 lower-case hex digits.
   */
  entryMacHex(hashHex: string): string {
    const inner = this.#innerBlock;
    inner.write(hashHex, 64, 'hex');
    this.#outerBlock.write(oneShotHash('sha256', inner, 'binary'), 64, 'latin1');
    return oneShotHash('sha256', this.#outerBlock, 'hex').slice(0, 2 * ENTRY_MAC_BYTES);
  }

  /** The pads of the entry-MAC key (RFC 2104), for verify's allocation-free MAC. Internal to bridge/audit. */
  entryMacPads(): { ipad: Buffer; opad: Buffer } {
    return { ipad: this.#ipad, opad: this.#opad };
  }

  /**
   * MAC of the head record's fields, 64 hex digits.
   * @param text the canonical text of the head fields (see headAnchor.ts).
   */
  headMac(text: string): string {
    return createHmac('sha256', this.#head).update(text, 'utf8').digest('hex');
  }

  /**
   * Keyed peer tag (issue 8 §6): `<kind>#<8 hex>` where the hex is HMAC-SHA-256(peer key, the canonical peer),
   * so a list of candidate ids or usernames can't be matched against tags without this device's key. Same shape
   * as `redactPeer`; the same peer always gets the same tag on this device.
   * @param ref a canonical peer ref (`user:123`, `@name`) or any accepted peer form; other strings get `peer#…`.
   */
  peerTag(ref: string): string {
    const parsed = parsePeer(ref);
    const kind = parsed === null ? 'peer' : parsed.kind;
    const key = parsed === null ? ref : parsed.kind === 'username' ? parsed.username.toLowerCase() : `${parsed.kind}:${parsed.id}`;
    return `${kind}#${createHmac('sha256', this.#peer).update(key, 'utf8').digest('hex').slice(0, 8)}`;
  }
}

/** Default place of the device key: `device.key` in the folder of the audit chain. */
export function deviceKeyPathFor(auditPath: string): string {
  return join(dirname(auditPath), 'device.key');
}

const KeyFile = z.union([
  z.strictObject({ v: z.literal(1), plain: z.base64() }),
  z.strictObject({ v: z.literal(1), sealed: z.base64() }),
]);

/**
 * Loads the device key from `path`, creating it (32 random bytes, 0600, atomically, in a 0700 folder) when it
 * doesn't exist and `create` is true.
 * @param opts.box seals a new key and opens a sealed one (the vault's box, or Electron's safeStorage).
 * @param opts.create create the file when missing (default false).
 * @returns the key, or null when there is no file and `create` is false.
 * @throws AuditChainError when the file is not a device key file, is sealed and no `box` was given, or holds a
 *   secret of the wrong length; the SecretBox's errors (e.g. WrongPassphraseError) as is; fs errors as is.
 */
export async function loadDeviceKey(
  path: string,
  opts: { box?: SecretBox; create?: boolean } = {},
): Promise<DeviceKey | null> {
  let raw: string;
  try {
    raw = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    if (!opts.create) return null;
    return createDeviceKey(path, opts.box);
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    json = undefined;
  }
  const parsed = KeyFile.safeParse(json);
  if (!parsed.success) throw new AuditChainError(`${path} is not a tg-bridge device key file`);
  let secret: Buffer;
  if ('plain' in parsed.data) secret = Buffer.from(parsed.data.plain, 'base64');
  else {
    if (!opts.box)
      throw new AuditChainError(`the device key in ${path} is sealed: it needs the vault passphrase to open`);
    secret = await opts.box.open(Buffer.from(parsed.data.sealed, 'base64'));
  }
  if (secret.length !== DEVICE_SECRET_BYTES) throw new AuditChainError(`${path} holds a key of the wrong length`);
  return DeviceKey.fromSecret(secret);
}

async function createDeviceKey(path: string, box: SecretBox | undefined): Promise<DeviceKey> {
  const secret = randomBytes(DEVICE_SECRET_BYTES);
  const body = box
    ? { v: 1, sealed: (await box.seal(secret)).toString('base64') }
    : { v: 1, plain: secret.toString('base64') };
  const dir = dirname(path);
  await ensurePrivateDir(dir);
  // Written in full to a temporary file, then hard-linked into place: `link` fails when the name exists, so
  // two processes starting at once can't each create a different key, and no one ever reads a partial file.
  const tmp = join(dir, `.device-key.${randomBytes(6).toString('hex')}.tmp`);
  const fh = await open(tmp, 'wx', PRIVATE_FILE_MODE);
  try {
    await fh.writeFile(`${JSON.stringify(body)}\n`);
    await fh.sync();
    await fh.close();
    await link(tmp, path);
  } catch (err) {
    await fh.close().catch(() => undefined);
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return (await loadDeviceKey(path, box ? { box } : {}))!;
    throw err;
  } finally {
    await rm(tmp, { force: true });
  }
  await syncDirectory(dir);
  return DeviceKey.fromSecret(secret, { fresh: true });
}
