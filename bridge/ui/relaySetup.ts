/**
 * The connection screen's relay set-up (issue 9: "relay URL, token or pairing"): device pairing with a code
 * (link/devicePairing.ts), a pasted bridge token, and forgetting the relay. Whatever the person sets up is
 * saved in a {@link RelayConfigStore} (sealed by the desktop app, a 0600 file for the headless host), so the
 * next start reconnects without asking again. The running device, when there is one, switches at once.
 */
import { hostname } from 'node:os';
import type { BridgeHost } from '../host/bridgeHost.js';
import { type DeviceCredential, pairDevice, relayBaseUrl } from '../link/devicePairing.js';
import { type RelayConfig, type RelayConfigStore, relayConnectOptions } from '../link/relayConfig.js';
import { bridgeUrlOf } from '../link/relayLink.js';
import { isLoopbackHostname, type PairingStep } from '../protocol/index.js';
import { sentence } from '../protocol/sentence.js';

/** Options of {@link RelaySetup}. */
export interface RelaySetupOptions {
  /** Where the set-up is kept; absent = only for this run (tests, the demo). */
  store?: RelayConfigStore;
  /** The set-up loaded at start (the embedder loads it to start the engine with it). */
  current?: RelayConfig | null;
  /** Name shown on the relay's device list (default: this computer's host name). */
  deviceName?: string;
  /** Poll interval override while waiting for the person, in ms (tests); default the relay's. */
  pairPollMs?: number;
  now?: () => number;
}

/** A result the device API returns as is. */
type Ok = { ok: boolean; error?: string };

/**
 * Pairs, configures and forgets the relay. One pairing at a time; a new one cancels the previous.
 * `emit` receives every {@link PairingStep}.
 */
export class RelaySetup {
  #config: RelayConfig | null;
  #step: PairingStep = { step: 'idle' };
  #abort: AbortController | null = null;
  readonly #now: () => number;

  constructor(
    private readonly options: RelaySetupOptions,
    private readonly emit: (step: PairingStep) => void,
  ) {
    this.#config = options.current ?? null;
    this.#now = options.now ?? Date.now;
  }

  /** The pairing step now (the screen asks on load, then follows `pairing.step` events). */
  get step(): PairingStep {
    return this.#step;
  }

  /** The relay account this device is paired with, when the saved set-up is a pairing. */
  get pairedAs(): string | undefined {
    return this.#config?.kind === 'paired' ? this.#config.credential.user : undefined;
  }

  /**
   * Uses a relay URL + bridge token: checks the URL, points the running device at it and saves it.
   * @returns `{ ok: false, error }` for a URL that is not a relay address (nothing changes then).
   */
  async useToken(host: BridgeHost | null, relayUrl: string, bridgeToken: string): Promise<Ok> {
    const checked = checkRelayUrl(relayUrl);
    if (!checked.ok) return checked;
    const config: RelayConfig = { kind: 'token', relayUrl: relayUrl.trim(), bridgeToken };
    return this.#apply(host, config);
  }

  /**
   * Starts pairing with the relay at `relayUrl` in the background; the steps are emitted. A pairing already
   * under way is cancelled first.
   * @returns the first step (`starting`, or `failed` for a bad URL).
   */
  pair(host: () => BridgeHost | null, relayUrl: string): PairingStep {
    this.#abort?.abort();
    const checked = checkRelayUrl(relayUrl);
    if (!checked.ok) return this.#set({ step: 'failed', error: sentence(checked.error ?? 'not a relay address') });
    const base = relayBaseUrl(relayUrl.trim());
    const abort = new AbortController();
    this.#abort = abort;
    this.#set({ step: 'starting', relayUrl: base });
    void pairDevice({
      relay: base,
      deviceName: (this.options.deviceName ?? hostname()).slice(0, 100),
      signal: abort.signal,
      ...(this.options.pairPollMs ? { pollIntervalMs: this.options.pairPollMs } : {}),
      now: this.#now,
      show: (code, verificationUri, complete, expiresInMs) => {
        if (abort.signal.aborted) return;
        if (!isWebAddress(verificationUri) || (complete !== undefined && !isWebAddress(complete))) {
          // A relay that sends another kind of link (javascript:, file:) is not followed.
          abort.abort();
          this.#set({ step: 'failed', error: 'The relay sent a pairing page address that is not a web address; pairing stopped.' });
          return;
        }
        this.#set({
          step: 'code',
          relayUrl: base,
          code,
          verificationUri,
          ...(complete ? { verificationUriComplete: complete } : {}),
          expiresAt: this.#now() + expiresInMs,
        });
      },
    }).then(
      async (credential: DeviceCredential) => {
        if (abort.signal.aborted) return;
        const applied = await this.#apply(host(), { kind: 'paired', credential });
        this.#set(
          applied.ok
            ? { step: 'done', relayUrl: credential.relay, user: credential.user }
            : { step: 'failed', error: `Paired, but ${applied.error ?? 'the set-up could not be saved'}` },
        );
      },
      (err: unknown) => {
        if (abort.signal.aborted) return;
        this.#set({ step: 'failed', error: sentence(pairingWords((err as Error).message), 'Pairing failed.') });
      },
    );
    return this.#step;
  }

  /**
   * A `tgbridge://pair` link asked to pair with `relayUrl`: shown on the connection screen for the person to
   * check and start — a link never starts pairing (or switches relays) by itself. Ignored during a pairing.
   */
  suggest(relayUrl: string): void {
    if (this.#step.step === 'starting' || this.#step.step === 'code') return;
    if (!checkRelayUrl(relayUrl).ok) return;
    this.#set({ step: 'idle', suggestedRelayUrl: relayUrl });
  }

  /** The relay page the person is asked to open now (the app lets the browser open exactly this one). */
  get pairingPage(): string | undefined {
    return this.#step.step === 'code' ? (this.#step.verificationUriComplete ?? this.#step.verificationUri) : undefined;
  }

  /** Cancels a pairing under way (nothing is saved). */
  cancel(): void {
    this.#abort?.abort();
    this.#abort = null;
    this.#set({ step: 'idle' });
  }

  /** Disconnects the running device from its relay and forgets the saved set-up. */
  async forget(host: BridgeHost | null): Promise<Ok> {
    this.cancel();
    try {
      await this.options.store?.save(null);
    } catch (err) {
      return { ok: false, error: `the saved relay could not be removed: ${(err as Error).message}` };
    }
    this.#config = null;
    await host?.clearRelay();
    return { ok: true };
  }

  /** Stops a pairing under way (the service is closing). */
  close(): void {
    this.#abort?.abort();
  }

  async #apply(host: BridgeHost | null, config: RelayConfig): Promise<Ok> {
    const link = relayConnectOptions(config);
    try {
      await host?.setRelay(link.relayUrl, link.bridgeToken, link.connectHeaders);
    } catch (err) {
      return { ok: false, error: (err as Error).message };
    }
    try {
      await this.options.store?.save(config);
    } catch (err) {
      this.#config = config;
      return { ok: false, error: `connected for now, but the relay could not be saved: ${(err as Error).message}` };
    }
    this.#config = config;
    return { ok: true };
  }

  #set(step: PairingStep): PairingStep {
    this.#step = step;
    this.emit(step);
    return step;
  }
}

/** Only https, or http on this computer (a local relay), may carry a bridge token; ws(s) is accepted too. */
function checkRelayUrl(raw: string): Ok {
  let url: URL;
  try {
    url = new URL(raw.trim());
    bridgeUrlOf(url.toString());
  } catch {
    return { ok: false, error: 'enter the relay address, like https://relay.example' };
  }
  if (url.username || url.password) return { ok: false, error: 'the relay address must not carry a user name or password' };
  const secure = url.protocol === 'https:' || url.protocol === 'wss:';
  if (!secure && !isLoopbackHostname(url.hostname)) {
    return { ok: false, error: 'use https:// for a relay on another computer (http is only for one on this computer)' };
  }
  return { ok: true };
}

/** A page the person may be sent to: https, or http on this computer. */
function isWebAddress(raw: string): boolean {
  try {
    const u = new URL(raw);
    return u.protocol === 'https:' || (u.protocol === 'http:' && isLoopbackHostname(u.hostname));
  } catch {
    return false;
  }
}

/** The pairing flow's words with the terminal's advice ("run pair again") turned into the screen's. */
function pairingWords(message: string): string {
  return message.replace('run pair again', 'start pairing again');
}
