/**
 * The auth key exchange, server side (https://core.telegram.org/mtproto/auth_key): plain-text messages
 * req_pq_multi → resPQ, req_DH_params → server_DH_params_ok, set_client_DH_params → dh_gen_ok.
 *
 * One instance per connection; it keeps the nonces and the server's DH secret between steps. The DH group is
 * Telegram's own 2048-bit safe prime with g = 3. RSA uses RSA_PAD as gramjs's `Authenticator` does.
 */
import { generatePrimeSync, randomBytes } from 'node:crypto';
import { Api } from 'telegram';
import { AuthKey } from 'telegram/crypto/AuthKey.js';
import { IGE } from 'telegram/crypto/IGE.js';
import { BinaryReader } from 'telegram/extensions/index.js';
import { generateKeyDataFromNonce, getByteArray, readBigIntFromBuffer } from 'telegram/Helpers.js';
import type { AuthKeyRecord, AuthKeyStore } from './authKeys.js';
import type { ServerRsaKey } from './rsaKey.js';
import { fromTlLong, type TlLong, toTlLong } from './tlWire.js';
import { bigFromBytes, bytesOf, hashOf, modPow } from './bigNumbers.js';

/** Telegram's 2048-bit DH prime (a safe prime; 3 generates the subgroup of order (p-1)/2 since p ≡ 11 mod 24). */
const DH_PRIME_HEX =
  'c71caeb9c6b1c9048e6c522f70f13f73980d40238e3e21c14934d037563d930f48198a0aa7c14058229493d22530f4dbfa336f6e0ac9' +
  '25139543aed44cce7c3720fd51f69458705ac68cd4fe6b6b13abdc9746512969328454f18faf8c595f642477fe96bb2a941d5bcd1d4a' +
  'c8cc49880708fa9b378e3c4f3a9060bee67cf9a4a4a695811051907e162753b56b0f6b410dba74d8a84b2a14b3144e0ef1284754fd17' +
  'ed950d5965b4b9dd46582db1178d169c6bc465b0d6ff9ca3928fef5b9ae4e418fc15e83ebea0f87fa9ff5eed70050ded2849f47bf959' +
  'd956850ce929851f0d8115f635b105ee2e4e15d04b2454bf6f4fadf034b10403119cd8e3b92fcc5b';
const DH_PRIME = BigInt(`0x${DH_PRIME_HEX}`);
/** Telegram's 2048-bit safe prime, for the auth key exchange and for 2FA SRP (which uses the same prime). */
export const TELEGRAM_DH_PRIME = DH_PRIME;
const DH_G = 3;

/** The client broke the exchange (wrong nonce, fingerprint, hash…); the connection must be closed. */
export class AuthKeyExchangeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuthKeyExchangeError';
  }
}





function sameLong(a: TlLong, b: TlLong): boolean {
  return fromTlLong(a) === fromTlLong(b);
}

interface PqStep {
  nonce: TlLong;
  serverNonce: TlLong;
  p: bigint;
  q: bigint;
}

interface DhStep extends PqStep {
  newNonce: TlLong;
  a: bigint;
  key: Buffer;
  iv: Buffer;
}

/** Answers one connection's auth key exchange. */
export class AuthKeyExchange {
  private pq: PqStep | undefined;
  private dh: DhStep | undefined;

  constructor(
    private readonly rsa: ServerRsaKey,
    private readonly keys: AuthKeyStore,
  ) {}

  /**
   * Answers one plain-text request of the exchange.
   * @returns the TL answer to send back unencrypted, and the new auth key once dh_gen_ok is sent.
   * @throws AuthKeyExchangeError when the request is out of order or fails a check.
   */
  async answer(request: unknown): Promise<{ reply: { getBytes(): Buffer }; authKey?: AuthKeyRecord }> {
    if (request instanceof Api.ReqPqMulti || request instanceof Api.ReqPq)
      return { reply: this.resPq(request.nonce) };
    if (request instanceof Api.ReqDHParams) return { reply: await this.serverDhParams(request) };
    if (request instanceof Api.SetClientDHParams) return this.dhGen(request);
    const name = (request as { className?: string } | undefined)?.className ?? typeof request;
    throw new AuthKeyExchangeError(`${name} is not allowed without an auth key`);
  }

  private resPq(nonce: TlLong): Api.ResPQ {
    // Small factors keep the client's Pollard-rho factorisation fast; nothing here needs real hardness.
    // gramjs reads pq as a *signed* big-endian number: a product whose bit length is a multiple of 8 would
    // read as negative and its factorisation would never end. OpenSSL primes have their top two bits set, so a
    // 23-bit × 24-bit product always has 47 bits; the loop only guards that assumption.
    let p: bigint;
    let q: bigint;
    do {
      p = generatePrimeSync(23, { bigint: true });
      q = generatePrimeSync(24, { bigint: true });
    } while ((p * q).toString(2).length % 8 === 0);
    const [lo, hi] = p < q ? [p, q] : [q, p];
    const serverNonce = readBigIntFromBuffer(randomBytes(16), true, true);
    this.pq = { nonce, serverNonce, p: lo, q: hi };
    this.dh = undefined;
    return new Api.ResPQ({
      nonce,
      serverNonce,
      pq: getByteArray(toTlLong(lo * hi)),
      serverPublicKeyFingerprints: [toTlLong(this.rsa.fingerprint)],
    });
  }

  private async serverDhParams(req: Api.ReqDHParams): Promise<Api.ServerDHParamsOk> {
    const pq = this.pq;
    if (!pq) throw new AuthKeyExchangeError('req_DH_params before req_pq_multi');
    if (!sameLong(req.nonce, pq.nonce) || !sameLong(req.serverNonce, pq.serverNonce)) {
      throw new AuthKeyExchangeError('req_DH_params with a wrong nonce');
    }
    if (fromTlLong(req.publicKeyFingerprint) !== this.rsa.fingerprint) {
      throw new AuthKeyExchangeError('req_DH_params for an unknown RSA key');
    }
    if (req.encryptedData.length !== 256) throw new AuthKeyExchangeError('encrypted_data is not 256 bytes');
    // RSA_PAD: temp_key_xor(32) ‖ AES-IGE(temp_key, iv 0)(reversed(data_with_padding)(192) ‖ SHA-256(temp_key ‖ data_with_padding)).
    const block = this.rsa.decrypt(req.encryptedData);
    const aesEncrypted = block.subarray(32);
    const digest = hashOf('sha256', aesEncrypted);
    const tempKey = Buffer.from(block.subarray(0, 32).map((byte, i) => byte ^ digest[i]!));
    const dataWithHash = new IGE(tempKey, Buffer.alloc(32)).decryptIge(aesEncrypted);
    const dataWithPadding = Buffer.from(dataWithHash.subarray(0, 192)).reverse();
    if (!hashOf('sha256', tempKey, dataWithPadding).equals(dataWithHash.subarray(192, 224))) {
      throw new AuthKeyExchangeError('RSA_PAD hash mismatch');
    }
    const inner = new BinaryReader(dataWithPadding).tgReadObject();
    if (!(inner instanceof Api.PQInnerData || inner instanceof Api.PQInnerDataDc)) {
      throw new AuthKeyExchangeError('encrypted_data is not p_q_inner_data');
    }
    if (!sameLong(inner.nonce, pq.nonce) || !sameLong(inner.serverNonce, pq.serverNonce)) {
      throw new AuthKeyExchangeError('p_q_inner_data with a wrong nonce');
    }
    if (bigFromBytes(inner.p) !== pq.p || bigFromBytes(inner.q) !== pq.q) {
      throw new AuthKeyExchangeError('p_q_inner_data with wrong factors');
    }
    const a = (bigFromBytes(randomBytes(256)) % (DH_PRIME - 2n)) + 1n;
    const gA = modPow(BigInt(DH_G), a, DH_PRIME);
    const answer = new Api.ServerDHInnerData({
      nonce: pq.nonce,
      serverNonce: pq.serverNonce,
      g: DH_G,
      dhPrime: bytesOf(DH_PRIME, 256),
      gA: bytesOf(gA, 256),
      serverTime: Math.floor(Date.now() / 1000),
    }).getBytes();
    const { key, iv } = await generateKeyDataFromNonce(pq.serverNonce, inner.newNonce);
    this.dh = { ...pq, newNonce: inner.newNonce, a, key, iv };
    const plain = Buffer.concat([hashOf('sha1', answer), answer]);
    const padded = Buffer.concat([plain, randomBytes((16 - (plain.length % 16)) % 16)]);
    return new Api.ServerDHParamsOk({
      nonce: pq.nonce,
      serverNonce: pq.serverNonce,
      encryptedAnswer: new IGE(key, iv).encryptIge(padded),
    });
  }

  private async dhGen(req: Api.SetClientDHParams): Promise<{ reply: Api.DhGenOk; authKey: AuthKeyRecord }> {
    const dh = this.dh;
    if (!dh) throw new AuthKeyExchangeError('set_client_DH_params before req_DH_params');
    if (!sameLong(req.nonce, dh.nonce) || !sameLong(req.serverNonce, dh.serverNonce)) {
      throw new AuthKeyExchangeError('set_client_DH_params with a wrong nonce');
    }
    if (req.encryptedData.length % 16 !== 0)
      throw new AuthKeyExchangeError('encrypted_data is not AES blocks');
    const plain = new IGE(dh.key, dh.iv).decryptIge(req.encryptedData);
    const reader = new BinaryReader(plain);
    reader.read(20);
    const inner = reader.tgReadObject();
    if (!(inner instanceof Api.ClientDHInnerData)) throw new AuthKeyExchangeError('not client_DH_inner_data');
    if (!hashOf('sha1', plain.subarray(20, reader.tellPosition())).equals(plain.subarray(0, 20))) {
      throw new AuthKeyExchangeError('client_DH_inner_data hash mismatch');
    }
    if (!sameLong(inner.nonce, dh.nonce) || !sameLong(inner.serverNonce, dh.serverNonce)) {
      throw new AuthKeyExchangeError('client_DH_inner_data with a wrong nonce');
    }
    const gB = bigFromBytes(inner.gB);
    if (gB <= 1n || gB >= DH_PRIME - 1n) throw new AuthKeyExchangeError('g_b out of range');
    const gAB = modPow(gB, dh.a, DH_PRIME);
    // Exactly what the client computes (SANDBOX.md): minimal big-endian bytes, 255 long about once in 256.
    const keyBytes = getByteArray(toTlLong(gAB));
    const record = this.keys.register(keyBytes);
    const check = new AuthKey();
    await check.setKey(keyBytes);
    const newNonceHash1 = await check.calcNewNonceHash(dh.newNonce, 1);
    this.pq = undefined;
    this.dh = undefined;
    return {
      reply: new Api.DhGenOk({ nonce: dh.nonce, serverNonce: dh.serverNonce, newNonceHash1 }),
      authKey: record,
    };
  }
}
