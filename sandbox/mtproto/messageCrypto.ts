/**
 * MTProto 2.0 encrypted messages (https://core.telegram.org/mtproto/description), server side.
 *
 * Wire form: `auth_key_id:long msg_key:int128 encrypted_data`. Plaintext:
 * `salt:long session_id:long msg_id:long seq_no:int length:int body padding(12–1024 bytes)`.
 * msg_key = middle 16 bytes of SHA-256(auth_key[88+x : 120+x] ‖ plaintext), x = 0 from the client, 8 from the
 * server; the AES-256-IGE key and iv come from msg_key and auth_key (gramjs `MTProtoState._calcKey`).
 */
import { createHash, randomBytes } from 'node:crypto';
import { IGE } from 'telegram/crypto/IGE.js';

/** A decrypted client message, before its body is parsed. */
export interface PlainMessage {
  salt: bigint;
  sessionId: bigint;
  msgId: bigint;
  seqNo: number;
  body: Buffer;
}

/** The payload cannot be a message under this auth key (wrong msg_key, bad length); drop the connection. */
export class MessageCryptoError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MessageCryptoError';
  }
}

function sha256(...parts: Buffer[]): Buffer {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
}

/** AES key and iv for a msg_key; `x` is 0 for client→server, 8 for server→client. */
function aesKeyIv(authKey: Buffer, msgKey: Buffer, x: 0 | 8): { key: Buffer; iv: Buffer } {
  const a = sha256(msgKey, authKey.subarray(x, x + 36));
  const b = sha256(authKey.subarray(40 + x, 76 + x), msgKey);
  return {
    key: Buffer.concat([a.subarray(0, 8), b.subarray(8, 24), a.subarray(24, 32)]),
    iv: Buffer.concat([b.subarray(0, 8), a.subarray(8, 24), b.subarray(24, 32)]),
  };
}

/**
 * Decrypts a client packet (auth_key_id already matched to `authKey`).
 * @throws MessageCryptoError when msg_key does not match or the lengths are inconsistent.
 */
export function decryptClientMessage(authKey: Buffer, packet: Buffer): PlainMessage {
  if (packet.length < 24 + 32 || (packet.length - 24) % 16 !== 0) {
    throw new MessageCryptoError(`encrypted packet of ${packet.length} bytes`);
  }
  const msgKey = packet.subarray(8, 24);
  const { key, iv } = aesKeyIv(authKey, msgKey, 0);
  const plain = new IGE(key, iv).decryptIge(packet.subarray(24));
  const expected = sha256(authKey.subarray(88, 120), plain).subarray(8, 24);
  if (!expected.equals(msgKey)) throw new MessageCryptoError('msg_key mismatch');
  const length = plain.readInt32LE(28);
  const padding = plain.length - 32 - length;
  if (length < 4 || length % 4 !== 0 || padding < 12 || padding > 1024) {
    throw new MessageCryptoError(`message length ${length} in ${plain.length} plaintext bytes`);
  }
  return {
    salt: plain.readBigInt64LE(0),
    sessionId: plain.readBigInt64LE(8),
    msgId: plain.readBigInt64LE(16),
    seqNo: plain.readInt32LE(24),
    body: Buffer.from(plain.subarray(32, 32 + length)),
  };
}

/** Encrypts one server message for the client holding `authKey` (id `authKeyId`). */
export function encryptServerMessage(authKey: Buffer, authKeyId: bigint, message: PlainMessage): Buffer {
  const head = Buffer.alloc(32);
  head.writeBigInt64LE(BigInt.asIntN(64, message.salt), 0);
  head.writeBigInt64LE(BigInt.asIntN(64, message.sessionId), 8);
  head.writeBigInt64LE(BigInt.asIntN(64, message.msgId), 16);
  head.writeInt32LE(message.seqNo, 24);
  head.writeInt32LE(message.body.length, 28);
  const unpadded = 32 + message.body.length;
  const padding = randomBytes(12 + ((16 - ((unpadded + 12) % 16)) % 16));
  const plain = Buffer.concat([head, message.body, padding]);
  const msgKey = sha256(authKey.subarray(96, 128), plain).subarray(8, 24);
  const { key, iv } = aesKeyIv(authKey, msgKey, 8);
  const keyId = Buffer.alloc(8);
  keyId.writeBigInt64LE(BigInt.asIntN(64, authKeyId), 0);
  return Buffer.concat([keyId, msgKey, new IGE(key, iv).encryptIge(plain)]);
}

/** The auth_key_id of a key: the lower 64 bits of SHA-1(auth_key) read little-endian (signed here; gramjs keeps it unsigned — same wire bytes). */
export function authKeyIdOf(authKey: Buffer): bigint {
  return createHash('sha1').update(authKey).digest().readBigInt64LE(12);
}
