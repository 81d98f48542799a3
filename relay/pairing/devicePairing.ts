/**
 * Device pairing in the OAuth device-authorization style (RFC 8628; PROTOCOL.md "Transport"):
 * 1. the device posts its Ed25519 public key and a name to `POST /pair/device_authorization` and gets a
 *    `device_code` (secret, polled with) and a short `user_code` it shows the person;
 * 2. the person, signed in on the relay, enters the user code at `/pair` and confirms;
 * 3. the device polls `POST /pair/token` (`authorization_pending` until then) and receives its device id
 *    and a bridge token bound to that device.
 * On every connect the device proves possession of its key: it takes a single-use nonce from
 * `POST /bridge/nonce` and sends `X-Device-Id`, `X-Device-Nonce` and `X-Device-Proof` (Ed25519 signature of
 * `device_id.nonce`, base64url) with its bridge token. A stolen bridge token alone opens nothing.
 */
import { createPublicKey, randomBytes, randomInt, randomUUID, verify } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import express, { type Request, type Response, type Router } from 'express';
import type { Logger } from 'pino';
import { z } from 'zod';
import { hashToken, newToken } from '../auth.js';
import type { RelayClock } from '../clock.js';
import { esc, sendPage, visible } from '../pages/html.js';
import { WebSessions } from '../pages/webSession.js';
import { type RelayStore, tokenRecord } from '../store/relayStore.js';
import { clientAddress } from '../clientAddress.js';
import type { FailureThrottle } from '../throttle.js';

/** How long a pairing code is valid, in ms (RFC 8628 `expires_in`). */
export const PAIRING_TTL_MS = 10 * 60_000;
/** How often the device should poll, in s (RFC 8628 `interval`). */
export const PAIRING_POLL_INTERVAL_S = 2;
/** How long a connect nonce is valid, in ms. */
export const NONCE_TTL_MS = 60_000;
/** Nonces outstanding at most; the oldest are dropped first. */
const MAX_NONCES = 10_000;
/** User-code alphabet: no vowels (no words), no look-alikes (RFC 8628 §6.1). */
const USER_CODE_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ';

/** Headers of the proof of possession on `GET /bridge`. */
export const PROOF_HEADERS = { deviceId: 'x-device-id', nonce: 'x-device-nonce', proof: 'x-device-proof' } as const;

const DeviceAuthorizationRequest = z.object({
  public_key: z.string().min(40).max(200).regex(/^[A-Za-z0-9_-]+$/),
  device_name: z.string().trim().min(1).max(100),
});
const TokenRequest = z.object({ device_code: z.string().min(1).max(200) });

/** A fresh user code, `XXXX-XXXX` from {@link USER_CODE_ALPHABET} (20^8 ≈ 2.6e10 codes). */
function newUserCode(): string {
  let code = '';
  for (let i = 0; i < 8; i++) code += USER_CODE_ALPHABET[randomInt(USER_CODE_ALPHABET.length)];
  return `${code.slice(0, 4)}-${code.slice(4)}`;
}

/** Parses an Ed25519 public key (SPKI DER, base64url). @returns undefined when it is not one. */
function ed25519Key(spki: string) {
  try {
    const key = createPublicKey({ key: Buffer.from(spki, 'base64url'), format: 'der', type: 'spki' });
    return key.asymmetricKeyType === 'ed25519' ? key : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Where connect nonces wait between `POST /bridge/nonce` and the upgrade, which may reach another relay
 * replica: in memory ({@link MemoryConnectNonces}) or Redis (replicas/sharedState.ts).
 */
export interface ConnectNonces {
  /** Remembers `nonce` until `expiresAt` (ms since the epoch). */
  add(nonce: string, expiresAt: number, now: number): Promise<void>;
  /** Forgets `nonce` and says whether it was outstanding and unexpired at `now` (single use). */
  take(nonce: string, now: number): Promise<boolean>;
}

/** Connect nonces in this process's memory, at most MAX_NONCES (the oldest dropped first). */
export class MemoryConnectNonces implements ConnectNonces {
  private readonly nonces = new Map<string, number>();

  async add(nonce: string, expiresAt: number, now: number): Promise<void> {
    for (const [n, exp] of this.nonces) {
      if (exp > now && this.nonces.size < MAX_NONCES) break;
      this.nonces.delete(n);
    }
    this.nonces.set(nonce, expiresAt);
  }

  async take(nonce: string, now: number): Promise<boolean> {
    const expires = this.nonces.get(nonce);
    this.nonces.delete(nonce);
    return expires !== undefined && expires > now;
  }
}

/** Options of {@link DevicePairing}. */
export interface DevicePairingOptions {
  store: RelayStore;
  /** Where connect nonces wait; default in memory. */
  nonces?: ConnectNonces;
  clock: RelayClock;
  sessions: WebSessions;
  publicUrl: URL;
  /** Failed code entries and polls, keyed `ip:<address>` / `user:<id>`. */
  throttle: FailureThrottle;
  logger: Logger;
}

/** The relay side of device pairing and of the proof of possession on connect. */
export class DevicePairing {
  private readonly nonces: ConnectNonces;

  constructor(private readonly options: DevicePairingOptions) {
    this.nonces = options.nonces ?? new MemoryConnectNonces();
  }

  /** The pairing routes: `/pair/device_authorization`, `/pair/token`, `/pair` (page), `/bridge/nonce`. */
  routes(): Router {
    const { store, clock, sessions, publicUrl, throttle, logger } = this.options;
    const r = express.Router();
    const body = [express.json({ limit: '4kb' }), express.urlencoded({ extended: false, limit: '4kb' })];

    r.post('/pair/device_authorization', ...body, async (req, res) => {
      const parsed = DeviceAuthorizationRequest.safeParse(req.body);
      if (!parsed.success || !ed25519Key(parsed.data.public_key)) {
        oauthError(res, 400, 'invalid_request', 'Send public_key (Ed25519, SPKI DER, base64url) and device_name.');
        return;
      }
      const deviceCode = newToken('dc');
      const userCode = newUserCode();
      const now = clock.now();
      await store.insertPairing({
        deviceCodeHash: hashToken(deviceCode),
        userCode,
        publicKey: parsed.data.public_key,
        deviceName: parsed.data.device_name,
        userId: null,
        deviceId: null,
        createdAt: now,
        expiresAt: now + PAIRING_TTL_MS,
        approvedAt: null,
        consumedAt: null,
      });
      const verification = new URL('/pair', publicUrl);
      res.set('Cache-Control', 'no-store').json({
        device_code: deviceCode,
        user_code: userCode,
        verification_uri: verification.href,
        verification_uri_complete: `${verification.href}?code=${userCode}`,
        expires_in: PAIRING_TTL_MS / 1000,
        interval: PAIRING_POLL_INTERVAL_S,
      });
    });

    r.post('/pair/token', ...body, async (req, res) => {
      const parsed = TokenRequest.safeParse(req.body);
      if (!parsed.success) {
        oauthError(res, 400, 'invalid_request', 'Send device_code.');
        return;
      }
      const hash = hashToken(parsed.data.device_code);
      const pairing = await store.findPairing(hash);
      const now = clock.now();
      if (!pairing || pairing.consumedAt !== null) {
        oauthError(res, 400, 'invalid_grant', 'Unknown or already used device code; start pairing again.');
        return;
      }
      if (pairing.approvedAt === null) {
        if (pairing.expiresAt <= now) oauthError(res, 400, 'expired_token', 'The code expired; start pairing again.');
        else oauthError(res, 400, 'authorization_pending', 'Waiting for the person to confirm the code on the relay.');
        return;
      }
      const taken = await store.consumePairing(hash, now);
      if (!taken || !taken.userId || !taken.deviceId) {
        oauthError(res, 400, 'invalid_grant', 'The device code was already used.');
        return;
      }
      const bridgeToken = newToken('bt');
      await store.insertToken(
        tokenRecord({
          tokenHash: hashToken(bridgeToken),
          kind: 'bridge',
          userId: taken.userId,
          deviceId: taken.deviceId,
          label: taken.deviceName,
          createdAt: now,
        }),
      );
      logger.info({ userId: taken.userId, deviceId: taken.deviceId }, 'device paired');
      res.set('Cache-Control', 'no-store').json({
        device_id: taken.deviceId,
        bridge_token: bridgeToken,
        user: taken.userId,
        relay: publicUrl.origin,
      });
    });

    r.post('/bridge/nonce', async (_req, res) => {
      res.set('Cache-Control', 'no-store').json({ nonce: await this.issueNonce(), expires_in: NONCE_TTL_MS / 1000 });
    });

    const pairPage = (res: Response, signedIn: { csrf: string }, code: string, error?: string) =>
      sendPage(
        res,
        error ? 400 : 200,
        'Pair a device',
        `${error ? `<p class="err">${esc(error)}</p>` : ''}<p>Run <code>tg-bridge pair --relay ${esc(publicUrl.origin)}</code> on your computer and enter the code it shows.</p>
        <form method="post" action="/pair"><input type="hidden" name="csrf" value="${esc(signedIn.csrf)}">
        <label>Code <input type="text" name="user_code" value="${esc(code)}" autocomplete="off" required></label>
        <button type="submit">Pair this device</button></form>`,
      );

    r.get('/pair', async (req, res) => {
      const signedIn = await sessions.current(req);
      if (!signedIn) {
        res.redirect(303, `/signin?next=${encodeURIComponent(req.originalUrl)}`);
        return;
      }
      pairPage(res, signedIn, String(req.query.code ?? '').slice(0, 20));
    });

    r.post('/pair', express.urlencoded({ extended: false, limit: '4kb' }), async (req: Request, res) => {
      const signedIn = await sessions.current(req);
      const form = req.body as Record<string, unknown>;
      if (!signedIn || !sessions.sameOrigin(req) || !WebSessions.checkCsrf(signedIn, form.csrf)) {
        sendPage(res, 403, 'Request refused', '<p>This form expired or did not come from this relay. Reload and try again.</p>');
        return;
      }
      const keys = [`ip:${clientAddress(req)}`, `user:${signedIn.userId}`];
      const wait = throttle.retryAfterSeconds(keys);
      if (wait > 0) {
        res.set('Retry-After', String(wait));
        sendPage(res, 429, 'Too many wrong codes', `<p>Try again in ${wait} s.</p>`);
        return;
      }
      const code = String(form.user_code ?? '').trim().toUpperCase().replace(/[^A-Z]/g, '');
      const pairing =
        code.length === 8
          ? await store.findPairingByUserCode(`${code.slice(0, 4)}-${code.slice(4)}`, clock.now())
          : undefined;
      if (!pairing) {
        throttle.fail(keys);
        pairPage(res, signedIn, '', 'That code is unknown or expired. Check the code your computer shows.');
        return;
      }
      const deviceId = randomUUID();
      const now = clock.now();
      await store.insertDevice({
        id: deviceId,
        userId: signedIn.userId,
        name: pairing.deviceName,
        publicKey: pairing.publicKey,
        createdAt: now,
        lastSeenAt: null,
        revokedAt: null,
      });
      await store.approvePairing(pairing.deviceCodeHash, signedIn.userId, deviceId, now);
      sendPage(
        res,
        200,
        'Device paired',
        `<p><strong>${esc(visible(pairing.deviceName))}</strong> is now paired with your account. It connects by itself.</p><p><a href="/account">Your devices</a></p>`,
      );
    });
    return r;
  }

  /** A fresh single-use nonce for a connect proof. */
  async issueNonce(): Promise<string> {
    const now = this.options.clock.now();
    const nonce = randomBytes(24).toString('base64url');
    await this.nonces.add(nonce, now + NONCE_TTL_MS, now);
    return nonce;
  }

  /**
   * Checks the proof of possession on a device's upgrade request.
   * @returns `'ok'`, or a sentence saying what is wrong (sent to the device with the 401).
   */
  async checkProof(req: IncomingMessage, deviceId: string): Promise<string> {
    const header = (name: string) => {
      const v = req.headers[name];
      return typeof v === 'string' ? v : undefined;
    };
    const claimed = header(PROOF_HEADERS.deviceId);
    const nonce = header(PROOF_HEADERS.nonce);
    const proof = header(PROOF_HEADERS.proof);
    if (!claimed || !nonce || !proof) return 'This bridge token needs a device proof; update tg-bridge.';
    const fresh = await this.nonces.take(nonce, this.options.clock.now());
    if (claimed !== deviceId || !fresh) {
      return 'The device proof is stale or for another device; connect again.';
    }
    const device = await this.options.store.getDevice(deviceId);
    const key = device?.publicKey ? ed25519Key(device.publicKey) : undefined;
    if (!device || device.revokedAt !== null || !key) return 'This device was revoked; pair it again.';
    let valid = false;
    try {
      valid = verify(null, Buffer.from(`${deviceId}.${nonce}`, 'utf8'), key, Buffer.from(proof, 'base64url'));
    } catch {
      valid = false;
    }
    return valid ? 'ok' : 'The device proof does not match the paired key.';
  }
}

function oauthError(res: Response, status: number, error: string, description: string): void {
  res.status(status).set('Cache-Control', 'no-store').json({ error, error_description: description });
}
