/**
 * Auth keys the sandbox knows, by auth_key_id.
 *
 * A key is created by the auth key exchange (unauthorised: `userId` undefined) or minted directly for the
 * account (authorised), which is how tests skip the login flow. A client whose key the server forgot gets
 * transport error -404 and gramjs's `connect()` then hangs forever (SANDBOX.md), so the store can outlive a
 * sandbox: pass the same {@link AuthKeyStore} to the next `startSandbox` to keep sessions valid across restarts.
 */
import { randomBytes } from 'node:crypto';
import { authKeyIdOf } from './messageCrypto.js';

/** What a client said about itself in initConnection (shown in account.getAuthorizations). */
export interface ClientInfo {
  apiId: number;
  deviceModel: string;
  systemVersion: string;
  appVersion: string;
  langCode: string;
}

/** One auth key. `salt`: the server salt the key's sessions must use (signed 64-bit). */
export interface AuthKeyRecord {
  id: bigint;
  key: Buffer;
  salt: bigint;
  /** The account this key is logged in as; undefined until authorised. */
  userId?: number;
  /** When the key was created (ms since epoch). */
  createdAt: number;
  /** When the key was last logged in (ms since epoch); set together with `userId`. */
  authorizedAt?: number;
  /** Id of the key's authorization in account.getAuthorizations (signed 64-bit, new for every login). */
  authorizationHash?: bigint;
  /** The device and app, from the client's initConnection, once seen. */
  client?: ClientInfo;
  /** When a message under this key was last accepted (ms since epoch). */
  activeAt?: number;
  /** The client's address on its latest connection. */
  ip?: string;
}

/** Auth keys by auth_key_id. Safe to share between sandboxes of the same process. */
export class AuthKeyStore {
  private readonly keys = new Map<bigint, AuthKeyRecord>();

  /** The key with this auth_key_id, or undefined. */
  get(id: bigint): AuthKeyRecord | undefined {
    return this.keys.get(id);
  }

  /**
   * Registers a key produced by the DH exchange (unauthorised). `key` is used exactly as given: gramjs builds
   * its key with `getByteArray` of g^ab, which is 255 bytes about once in 256, and both sides must agree.
   * @returns the stored record (the existing one if this key is already known).
   */
  register(key: Buffer, userId?: number): AuthKeyRecord {
    const id = authKeyIdOf(key);
    const existing = this.keys.get(id);
    if (existing) return existing;
    const record: AuthKeyRecord = {
      id,
      key: Buffer.from(key),
      salt: randomBytes(8).readBigInt64LE(0),
      createdAt: Date.now(),
    };
    this.keys.set(id, record);
    if (userId !== undefined) this.authorize(id, userId);
    return record;
  }

  /** Creates a fresh random 2048-bit key already authorised as `userId` (for minted sessions). */
  mint(userId: number): AuthKeyRecord {
    const key = randomBytes(256);
    key[0] = (key[0]! | 0x80) >>> 0;
    return this.register(key, userId);
  }

  /** Marks a key as logged in as `userId`, under a new authorization hash. */
  authorize(id: bigint, userId: number): void {
    const record = this.keys.get(id);
    if (!record) return;
    record.userId = userId;
    record.authorizedAt = Date.now();
    let hash = 0n;
    while (hash === 0n) hash = randomBytes(8).readBigInt64LE(0);
    record.authorizationHash = hash;
  }

  /**
   * Logs a key out (auth.logOut, a terminated session): the key stays known, so its client is not stranded with
   * transport error -404, but every call needing an account now answers 401 AUTH_KEY_UNREGISTERED.
   * @returns false when the key was not logged in.
   */
  unauthorize(id: bigint): boolean {
    const record = this.keys.get(id);
    if (record?.userId === undefined) return false;
    delete record.userId;
    delete record.authorizedAt;
    delete record.authorizationHash;
    return true;
  }

  /** Every key logged in as `userId`, oldest login first. */
  loggedIn(userId: number): AuthKeyRecord[] {
    return [...this.keys.values()]
      .filter((r) => r.userId === userId)
      .sort((a, b) => (a.authorizedAt ?? 0) - (b.authorizedAt ?? 0));
  }

  /** Number of keys held. */
  get size(): number {
    return this.keys.size;
  }
}
