/**
 * The headless bridge host: wires gateway, audit chain, approval queue, engine and relay link into one
 * running device. Used by `tg-bridge connect`, the demo and the end-to-end tests; the Electron main process
 * builds the same pieces with its own approval popup and vault.
 */
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import { AuditChain, type DeviceKey, deviceKeyPathFor, loadDeviceKey } from '../audit/auditChain.js';
import { type ControlServer, startControlServer } from '../control/controlSocket.js';
import { BridgeEngine, type BridgeEngineOptions } from '../engine.js';
import { type LinkStatus, RelayLink, type RelayLinkOptions } from '../link/relayLink.js';
import { ApprovalQueue } from '../policy/approvals.js';
import {
  type ClientConsentPrompt,
  ClientScopes,
  clientConsentHandler,
  runScoped,
} from '../policy/clientScopes.js';
import type { LogoutResult } from '../protocol/index.js';
import type { TelegramGateway } from '../telegram/gateway.js';
import { TOOL_NAMES } from '../tools/registry.js';
import { relayBaseUrl } from '../link/devicePairing.js';
import { APP_NAME, APP_VERSION } from '../version.js';

/** Options of {@link startBridgeHost}. */
export interface BridgeHostOptions {
  /** Relay base URL or `/bridge` URL; absent = local front doors only (no cloud). */
  relayUrl?: string;
  /** Bridge token (secret, never logged) or a function minting one per connection; required with `relayUrl`. */
  bridgeToken?: RelayLinkOptions['token'];
  /** Path of the local control socket for `tg-bridge mcp` and other local front doors; absent = none. */
  controlSocketPath?: string;
  /** The Telegram gateway (already constructed; connected lazily on first use). */
  gateway: TelegramGateway;
  /** Path of the audit chain file (created 0600 in a 0700 directory). */
  auditPath: string;
  /**
   * The device key that keys the audit chain (entry MACs, head record, peer tags). Default: `device.key` beside
   * the audit chain, created on first start (bridge/audit/deviceKey.ts); the desktop app passes its own.
   */
  deviceKey?: DeviceKey;
  /** How long a write waits for the person, in ms (default 120 000). */
  approvalTimeoutMs?: number;
  /** The undo window after an approval, in ms (default 5 000; 0 = none; at most 60 000). See ApprovalQueue. */
  undoMs?: number;
  /** Link timing overrides (tests shorten them). */
  link?: Pick<RelayLinkOptions, 'backoff' | 'pingIntervalMs' | 'idleTimeoutMs'>;
  /** Per-AI-client scopes enforced on relay calls (custody rule 7); default: in memory, none approved. */
  clientScopes?: ClientScopes;
  /** Asks the person about a new AI client; absent = such requests are declined. */
  clientConsent?: ClientConsentPrompt;
  /** Proof-of-possession headers per connection (a paired device); see RelayLinkOptions.connectHeaders. */
  connectHeaders?: RelayLinkOptions['connectHeaders'];
  /**
   * The person's media settings (media folder for `send_media` file paths, `file_url` on/off); see BridgeEngine.
   * `dataDir` defaults to the audit chain's folder, so the media folder never serves it.
   */
  media?: BridgeEngineOptions['media'];
  logger?: Logger;
}

/** A running device. */
export interface BridgeHost {
  engine: BridgeEngine;
  /** The AI clients the person approved on this device, with their scopes. */
  clientScopes: ClientScopes;
  /** The Telegram gateway (the UI lists chats through it for an AI app's scope; not an AI call, not audited). */
  gateway: TelegramGateway;
  approvals: ApprovalQueue;
  audit: AuditChain;
  /** The relay link, when a relay is configured (replaced by {@link setRelay}). */
  readonly link: RelayLink | null;
  /** The relay URL the link dials, when one is configured. */
  readonly relayUrl: string | undefined;
  /**
   * Points the device at another relay (the connection screen): the new link starts dialing, then the old one
   * is stopped (its calls in flight are aborted).
   * `connectHeaders` is a paired device's proof of possession (RelayLinkOptions.connectHeaders).
   * @throws Error on a bad URL (see bridgeUrlOf) or after {@link stop}.
   */
  setRelay(
    url: string,
    token: RelayLinkOptions['token'],
    connectHeaders?: RelayLinkOptions['connectHeaders'],
  ): Promise<void>;
  /** Stops and forgets the relay link (the connection screen's "Forget"): local front doors keep working. */
  clearRelay(): Promise<void>;
  /** The key the audit chain is keyed with (to verify it after `stop`). */
  deviceKey: DeviceKey;
  /** The control socket, when one was requested. */
  control: ControlServer | null;
  /** Resolves once the link is connected (or rejects after `timeoutMs`, default 10 000). */
  waitConnected(timeoutMs?: number): Promise<void>;
  /**
   * Resolves when `tg-bridge logout` ended the Telegram session through this engine (control socket): the host
   * should then be stopped — its gateway is closed.
   */
  loggedOut: Promise<void>;
  /** Withdraws pending approvals, closes the link, the gateway and the audit chain. */
  stop(): Promise<void>;
}

/**
 * Starts a device: opens (and repairs) the audit chain, opens the control socket, then dials the relay.
 * @throws when the audit chain or control socket can't be opened (e.g. permissions, another engine running)
 *   — nothing is left running then; RangeError for an approval timeout or undo window out of range.
 */
export async function startBridgeHost(options: BridgeHostOptions): Promise<BridgeHost> {
  if (options.relayUrl && !options.bridgeToken) throw new Error('a relay URL needs a bridge token');
  const approvals = new ApprovalQueue({
    ...(options.approvalTimeoutMs ? { timeoutMs: options.approvalTimeoutMs } : {}),
    ...(options.undoMs === undefined ? {} : { undoMs: options.undoMs }),
  });
  const deviceKey =
    options.deviceKey ?? (await loadDeviceKey(deviceKeyPathFor(options.auditPath), { create: true }))!;
  const audit = await AuditChain.open(options.auditPath, { deviceKey });
  const engine = new BridgeEngine({
    gateway: options.gateway,
    audit,
    approvals,
    ...(options.approvalTimeoutMs ? { approvalTimeoutMs: options.approvalTimeoutMs } : {}),
    media: { ...options.media, dataDir: options.media?.dataDir ?? dirname(options.auditPath) },
  });
  let markLoggedOut: () => void = () => {};
  const loggedOut = new Promise<void>((resolve) => {
    markLoggedOut = resolve;
  });
  // `tg-bridge logout` while this engine runs: the only gramjs connection ends the session (issue 8 §7).
  const logout = async (): Promise<LogoutResult> => {
    approvals.cancelAll('the person logged out of Telegram');
    const r = await options.gateway.logOut();
    // After the answer is written (it is sent in a microtask), so the stop does not cut it off.
    setImmediate(markLoggedOut);
    return r.ended ? { telegram: 'ended' } : { telegram: 'not_told', ...(r.detail ? { detail: r.detail } : {}) };
  };
  let control: ControlServer | null = null;
  if (options.controlSocketPath) {
    try {
      control = await startControlServer(
        options.controlSocketPath,
        (call, scope) =>
          engine.call({ callId: call.id, tool: call.tool, args: call.args, client: call.client, ...scope }),
        logout,
      );
    } catch (err) {
      await audit.close();
      throw err;
    }
  }
  const scopes = options.clientScopes ?? (await ClientScopes.open());
  const makeLink = (
    url: string,
    token: RelayLinkOptions['token'],
    connectHeaders: RelayLinkOptions['connectHeaders'] | undefined,
  ): RelayLink => {
    // Approvals of AI apps are bound to the relay they were granted through (ClientApproval.via).
    const via = relayBaseUrl(url);
    const relayLink: RelayLink = new RelayLink({
      url,
      token,
      hello: { app: APP_NAME, version: APP_VERSION, tools: TOOL_NAMES },
      onCall: (call, scope): Promise<unknown> =>
        runScoped(
          scopes,
          options.gateway,
          call,
          () =>
            engine.call({
              callId: call.id,
              tool: call.tool,
              args: call.args,
              signal: scope.signal,
              progress: scope.progress,
              ...(call.client ? { client: call.client } : {}),
              approvalCeilingMs: BridgeEngine.relayApprovalCeilingMs(relayLink.relayLimits),
            }),
          // Our relay (paired, or it sent `welcome`) names every caller; an unnamed call is a lying relay.
          Boolean(connectHeaders) || relayLink.relayLimits !== null,
          via,
        ),
      onClientConsent: clientConsentHandler(scopes, options.clientConsent, Date.now, via),
      ...(connectHeaders ? { connectHeaders } : {}),
      ...options.link,
      ...(options.logger ? { logger: options.logger } : {}),
    });
    relayLink.start();
    return relayLink;
  };
  let link: RelayLink | null =
        options.relayUrl && options.bridgeToken
      ? makeLink(options.relayUrl, options.bridgeToken, options.connectHeaders)
      : null;
  let relayUrl = link ? options.relayUrl : undefined;
  let stopped = false;
  return {
    engine,
    clientScopes: scopes,
    gateway: options.gateway,
    approvals,
    audit,
    get link() {
      return link;
    },
    get relayUrl() {
      return relayUrl;
    },
    deviceKey,
    control,
    loggedOut,
    async setRelay(url, token, connectHeaders) {
      if (stopped) throw new Error('the bridge has stopped');
      const next = makeLink(url, token, connectHeaders);
      const previous = link;
      link = next;
      relayUrl = url;
      await previous?.stop();
    },
    async clearRelay() {
      const previous = link;
      link = null;
      relayUrl = undefined;
      await previous?.stop();
    },
    waitConnected: (timeoutMs = 10_000) =>
      link ? waitForStatus(link, 'connected', timeoutMs) : Promise.reject(new Error('no relay configured')),
    async stop() {
      if (stopped) return;
      stopped = true;
      approvals.cancelAll('the bridge is shutting down');
      await control?.close();
      await link?.stop();
      await engine.close();
    },
  };
}

function waitForStatus(link: RelayLink, state: LinkStatus['state'], timeoutMs: number): Promise<void> {
  if (link.status.state === state) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      link.off('status', onStatus);
      const s = link.status;
      reject(
        new Error(
          `relay link not ${state} after ${timeoutMs} ms${s.state === 'waiting' ? `: ${s.reason}` : ''}`,
        ),
      );
    }, timeoutMs);
    const onStatus = (s: LinkStatus) => {
      if (s.state !== state) return;
      clearTimeout(timer);
      link.off('status', onStatus);
      resolve();
    };
    link.on('status', onStatus);
  });
}

