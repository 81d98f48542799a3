/**
 * Device pairing, device side (PROTOCOL.md "Transport"; RFC 8628 style): make an Ed25519 device key, ask
 * the relay for a code, show it to the person, poll until they confirm it on the relay while signed in, and
 * keep the credential (device id, bridge token, private key) in a 0600 file. On every connect the device
 * proves possession of the key: it fetches a single-use nonce from the relay and signs `device_id.nonce`.
 */
import { createPrivateKey, generateKeyPairSync, sign } from 'node:crypto';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { readPrivateFile, writePrivateFileAtomic } from '../storage/privateFile.js';

/** A paired device's credential as kept on disk. `pairedAt` in ms since the epoch. */
export const DeviceCredential = z.object({
  relay: z.string().url(),
  user: z.string(),
  deviceId: z.string().min(1).max(100),
  bridgeToken: z.string().min(16).max(512),
  /** Ed25519 private key, PKCS#8 DER, base64url. Secret. */
  privateKey: z.string().min(40),
  pairedAt: z.number(),
});
export type DeviceCredential = z.infer<typeof DeviceCredential>;

/** Where `tg-bridge pair` keeps the credential in a data directory. */
export function credentialPathIn(home: string): string {
  return join(home, 'device.json');
}

const AuthorizationResponse = z.object({
  device_code: z.string(),
  user_code: z.string(),
  verification_uri: z.string(),
  verification_uri_complete: z.string().optional(),
  expires_in: z.number(),
  interval: z.number().default(5),
});
const TokenResponse = z.object({ device_id: z.string(), bridge_token: z.string(), user: z.string() });

/** Options of {@link pairDevice}. */
export interface PairOptions {
  /** Relay base URL, e.g. `https://relay.example`. */
  relay: string;
  /** Name shown on the relay's device list. */
  deviceName: string;
  /** Shows the person the code and where to enter it; `expiresInMs` is how long the code lives, in ms. */
  show(code: string, verificationUri: string, completeUri: string | undefined, expiresInMs: number): void;
  /** Poll interval override, in ms (tests); default the relay's `interval`. */
  pollIntervalMs?: number;
  signal?: AbortSignal;
  now?: () => number;
}

/** Relay base URL from what a person typed (`wss://x/bridge` → `https://x`). @throws Error on a bad URL. */
export function relayBaseUrl(url: string): string {
  const u = new URL(url);
  if (u.protocol === 'ws:') u.protocol = 'http:';
  else if (u.protocol === 'wss:') u.protocol = 'https:';
  else if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`relay URL must be http(s): ${url}`);
  return u.origin;
}

async function postJson(url: string, body: unknown, signal?: AbortSignal): Promise<{ status: number; json: unknown }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(body),
    ...(signal ? { signal } : {}),
  });
  const text = await res.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    // A non-JSON answer (a proxy's error page) is reported with its status below.
  }
  return { status: res.status, json };
}

/**
 * Pairs this device with a relay account.
 * @returns the credential (not yet saved).
 * @throws Error saying what happened: relay unreachable or not a tg-relay, code expired, pairing refused.
 */
export async function pairDevice(options: PairOptions): Promise<DeviceCredential> {
  const base = relayBaseUrl(options.relay);
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const spki = publicKey.export({ format: 'der', type: 'spki' }).toString('base64url');
  const start = await postJson(
    `${base}/pair/device_authorization`,
    { public_key: spki, device_name: options.deviceName },
    options.signal,
  );
  const auth = AuthorizationResponse.safeParse(start.json);
  if (start.status !== 200 || !auth.success) {
    throw new Error(`the relay at ${base} did not start pairing (HTTP ${start.status}); is it a tg-relay?`);
  }
  options.show(
    auth.data.user_code,
    auth.data.verification_uri,
    auth.data.verification_uri_complete,
    auth.data.expires_in * 1000,
  );
  const now = options.now ?? Date.now;
  const deadline = now() + auth.data.expires_in * 1000;
  const interval = options.pollIntervalMs ?? auth.data.interval * 1000;
  for (;;) {
    await sleep(interval, undefined, options.signal ? { signal: options.signal } : {}).catch(() => undefined);
    if (options.signal?.aborted) throw new Error('pairing cancelled');
    const poll = await postJson(`${base}/pair/token`, { device_code: auth.data.device_code }, options.signal);
    const ok = TokenResponse.safeParse(poll.json);
    if (poll.status === 200 && ok.success) {
      return {
        relay: base,
        user: ok.data.user,
        deviceId: ok.data.device_id,
        bridgeToken: ok.data.bridge_token,
        privateKey: privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64url'),
        pairedAt: now(),
      };
    }
    const error = (poll.json as { error?: string } | null)?.error;
    if (error === 'authorization_pending' && now() < deadline) continue;
    if (error === 'expired_token' || now() >= deadline) throw new Error('the code expired before it was confirmed; run pair again');
    throw new Error(`the relay refused pairing: ${error ?? `HTTP ${poll.status}`}`);
  }
}

/** Saves a credential 0600, atomically. */
export async function saveCredential(path: string, credential: DeviceCredential): Promise<void> {
  await writePrivateFileAtomic(path, `${JSON.stringify(credential, null, 2)}\n`);
}

/**
 * Loads a credential; undefined when there is none.
 * @throws Error when the file is readable by others or is not a credential.
 */
export async function loadCredential(path: string): Promise<DeviceCredential | undefined> {
  const text = await readPrivateFile(path);
  if (text === null) return undefined;
  const parsed = DeviceCredential.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(`${path} is not a device credential; pair again`);
  return parsed.data;
}

/**
 * The proof of possession for one connect: fetches a nonce from the relay and signs `device_id.nonce`.
 * @returns the headers to send with the bridge token (`X-Device-Id`, `X-Device-Nonce`, `X-Device-Proof`).
 * @throws Error when the relay gives no nonce (the link then retries with backoff).
 */
export async function proofHeaders(credential: DeviceCredential): Promise<Record<string, string>> {
  const res = await postJson(`${credential.relay}/bridge/nonce`, {});
  const nonce = (res.json as { nonce?: unknown } | null)?.nonce;
  if (res.status !== 200 || typeof nonce !== 'string') throw new Error(`the relay gave no connect nonce (HTTP ${res.status})`);
  const key = createPrivateKey({ key: Buffer.from(credential.privateKey, 'base64url'), format: 'der', type: 'pkcs8' });
  const proof = sign(null, Buffer.from(`${credential.deviceId}.${nonce}`, 'utf8'), key).toString('base64url');
  return { 'X-Device-Id': credential.deviceId, 'X-Device-Nonce': nonce, 'X-Device-Proof': proof };
}
