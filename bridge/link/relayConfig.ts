/**
 * The relay this device connects to, as the person last set it up in the UI (issue 9: "Settings (relay)"):
 * either a paired device credential (device pairing, link/devicePairing.ts) or a relay URL with a pasted
 * bridge token. Both hold secrets, so both stores keep them private: the desktop app seals the record with
 * its SecretBox (safeStorage), the headless host writes a 0600 file (like `tg-bridge pair`'s `device.json`).
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { readPrivateFile, writePrivateFileAtomic } from '../storage/privateFile.js';
import type { SecretBox } from '../vault/secretBox.js';
import type { RelayLinkOptions } from './relayLink.js';
import { DeviceCredential, loadCredential, proofHeaders } from './devicePairing.js';

/** A saved relay set-up. `relayUrl` is what the person typed (http(s) or ws(s)); secrets never logged. */
export const RelayConfig = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('paired'), credential: DeviceCredential }),
  z.object({
    kind: z.literal('token'),
    relayUrl: z.string().url().max(2048),
    bridgeToken: z.string().min(1).max(512),
  }),
]);
export type RelayConfig = z.infer<typeof RelayConfig>;

/** Where the saved relay set-up lives. `save(null)` forgets it. */
export interface RelayConfigStore {
  /** The saved set-up, or null when none. @throws Error naming the file when it exists but can't be used. */
  load(): Promise<RelayConfig | null>;
  save(config: RelayConfig | null): Promise<void>;
}

/** What `startBridgeHost` / `BridgeHost.setRelay` need for a saved set-up (a paired device also signs). */
export interface RelayConnectOptions {
  relayUrl: string;
  bridgeToken: string;
  connectHeaders?: RelayLinkOptions['connectHeaders'];
}

/** Turns a saved set-up into link options: a paired device proves its key on every connect. */
export function relayConnectOptions(config: RelayConfig): RelayConnectOptions {
  if (config.kind === 'token') return { relayUrl: config.relayUrl, bridgeToken: config.bridgeToken };
  const { credential } = config;
  return { relayUrl: credential.relay, bridgeToken: credential.bridgeToken, connectHeaders: () => proofHeaders(credential) };
}

/** `{"kind":"none"}` records a set-up the person removed (it then also hides `device.json`). */
function parseConfig(text: string, where: string): RelayConfig | null {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  if ((json as { kind?: unknown } | undefined)?.kind === 'none') return null;
  const parsed = RelayConfig.safeParse(json);
  if (!parsed.success) throw new Error(`${where} is not a saved relay set-up; delete it and set the relay up again`);
  return parsed.data;
}

/**
 * The headless host's store: `path` (0600 JSON, written atomically). When it is absent, a credential from
 * `tg-bridge pair` at `pairedPath` (`device.json`) counts as the saved set-up, so pairing once from the
 * terminal is enough for `tg-bridge ui` too.
 * @throws (from load) Error when a file is readable by others or damaged — it is never overwritten silently.
 */
export function fileRelayConfig(path: string, pairedPath?: string): RelayConfigStore {
  return {
    async load() {
      const text = await readPrivateFile(path);
      if (text !== null) return parseConfig(text, path);
      const credential = pairedPath ? await loadCredential(pairedPath) : undefined;
      return credential ? { kind: 'paired', credential } : null;
    },
    async save(config) {
      const value = config === null ? { kind: 'none' } : RelayConfig.parse(config);
      await writePrivateFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
    },
  };
}

/**
 * The desktop app's store: the set-up sealed with `box` (safeStorage) in `path`, written 0600 atomically.
 * @throws (from load) the box's errors (CorruptSecretError…) or Error when the opened record is not a set-up.
 */
export function sealedRelayConfig(path: string, box: SecretBox): RelayConfigStore {
  return {
    async load() {
      const sealed = await readFile(path).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return null;
        throw err;
      });
      if (!sealed) return null;
      const text = (await box.open(sealed)).toString('utf8');
      if (text === '') return null;
      return parseConfig(text, path);
    },
    async save(config) {
      const text = config === null ? '' : JSON.stringify(RelayConfig.parse(config));
      await writePrivateFileAtomic(path, await box.seal(Buffer.from(text, 'utf8')));
    },
  };
}
