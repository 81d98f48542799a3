/**
 * The headless bridge host: wires gateway, audit chain, approval queue, engine and relay link into one
 * running device. Used by `tg-bridge connect`, the demo and the end-to-end tests; the Electron main process
 * builds the same pieces with its own approval popup and vault.
 */
import type { Logger } from 'pino';
import { AuditChain } from '../audit/auditChain.js';
import { BridgeEngine } from '../engine.js';
import { type LinkStatus, RelayLink, type RelayLinkOptions } from '../link/relayLink.js';
import { ApprovalQueue } from '../policy/approvals.js';
import type { TelegramGateway } from '../telegram/gateway.js';
import { TOOL_NAMES } from '../tools/registry.js';
import { APP_NAME, APP_VERSION } from '../version.js';

/** Options of {@link startBridgeHost}. */
export interface BridgeHostOptions {
  /** Relay base URL or `/bridge` URL. */
  relayUrl: string;
  /** Bridge token (secret, never logged) or a function minting one per connection. */
  bridgeToken: RelayLinkOptions['token'];
  /** The Telegram gateway (already constructed; connected lazily on first use). */
  gateway: TelegramGateway;
  /** Path of the audit chain file (created 0600 in a 0700 directory). */
  auditPath: string;
  /** How long a write waits for the person, in ms (default 120 000). */
  approvalTimeoutMs?: number;
  /** Link timing overrides (tests shorten them). */
  link?: Pick<RelayLinkOptions, 'backoff' | 'pingIntervalMs' | 'idleTimeoutMs'>;
  logger?: Logger;
}

/** A running device. */
export interface BridgeHost {
  engine: BridgeEngine;
  approvals: ApprovalQueue;
  audit: AuditChain;
  link: RelayLink;
  /** Resolves once the link is connected (or rejects after `timeoutMs`, default 10 000). */
  waitConnected(timeoutMs?: number): Promise<void>;
  /** Withdraws pending approvals, closes the link, the gateway and the audit chain. */
  stop(): Promise<void>;
}

/**
 * Starts a device: opens (and repairs) the audit chain, then dials the relay.
 * @throws when the audit chain can't be opened (e.g. permissions) — nothing else has started then.
 */
export async function startBridgeHost(options: BridgeHostOptions): Promise<BridgeHost> {
  const audit = await AuditChain.open(options.auditPath);
  const approvals = new ApprovalQueue(
    options.approvalTimeoutMs ? { timeoutMs: options.approvalTimeoutMs } : {},
  );
  const engine = new BridgeEngine({
    gateway: options.gateway,
    audit,
    approvals,
    ...(options.approvalTimeoutMs ? { approvalTimeoutMs: options.approvalTimeoutMs } : {}),
  });
  const link = new RelayLink({
    url: options.relayUrl,
    token: options.bridgeToken,
    hello: { app: APP_NAME, version: APP_VERSION, tools: TOOL_NAMES },
    onCall: (call, scope) =>
      engine.call({
        callId: call.id,
        tool: call.tool,
        args: call.args,
        signal: scope.signal,
        progress: scope.progress,
      }),
    ...options.link,
    ...(options.logger ? { logger: options.logger } : {}),
  });
  link.on('welcome', (limits) => engine.setRelayLimits(limits));
  link.on('status', (s) => {
    if (s.state !== 'connected') engine.setRelayLimits(null);
  });
  link.start();
  let stopped = false;
  return {
    engine,
    approvals,
    audit,
    link,
    waitConnected: (timeoutMs = 10_000) => waitForStatus(link, 'connected', timeoutMs),
    async stop() {
      if (stopped) return;
      stopped = true;
      approvals.cancelAll('the bridge is shutting down');
      await link.stop();
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
