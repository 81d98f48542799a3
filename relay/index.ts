/**
 * The relay (ARCHITECTURE.md): an MCP endpoint for AI clients at `/mcp` and a WebSocket hub at `/bridge`
 * where each person's device dials in. Every MCP tool call is forwarded to that person's device and runs
 * there; the relay never sees the Telegram session.
 *
 * Walking-skeleton scope: users and their tokens come from config (device pairing is a later issue) and
 * live in memory as SHA-256 digests only.
 */
import type { AddressInfo } from 'node:net';
import pino, { type Logger } from 'pino';
import { z } from 'zod';
import {
  CALL_DEADLINE_MS,
  formatZodIssues,
  IDLE_TIMEOUT_MS,
  PING_INTERVAL_MS,
} from '../bridge/protocol/index.js';
import { ConfiguredToken, TokenIndex } from './auth.js';
import { DeviceHub, type DeviceInfo } from './deviceHub.js';
import { McpEndpoint } from './mcpEndpoint.js';
import { createRelayHttpServer } from './server.js';

/** How long a device may wait for the person's approval by default, in ms (announced in `welcome`). */
export const DEFAULT_APPROVAL_TIMEOUT_MS = 120_000;

/** One user as configured: an id and two distinct tokens (each 16–512 visible ASCII characters). */
export interface RelayUser {
  /** Stable user id; appears in logs. */
  id: string;
  /** Token MCP clients send as `Authorization: Bearer` on `/mcp`. Secret; never logged. */
  mcpToken: string;
  /** Token the device sends as `Authorization: Bearer` on `/bridge`. Secret; never logged. */
  bridgeToken: string;
}

/** Options of {@link startRelay}. Durations in ms. */
export interface RelayOptions {
  /** Interface to listen on; default `127.0.0.1`. */
  host?: string;
  /** TCP port; default 0 = any free port. */
  port?: number;
  /** Users allowed in; an empty list lets nobody in. */
  users: RelayUser[];
  /** Deadline of one forwarded call; default CALL_DEADLINE_MS (PROTOCOL.md: 30 s). */
  callDeadlineMs?: number;
  /** How long a write may wait for the person; default 120 000. Calls that report progress may run this much longer. */
  approvalTimeoutMs?: number;
  /** How often the relay pings each device; default PING_INTERVAL_MS (PROTOCOL.md: 25 s). */
  pingIntervalMs?: number;
  /** A device silent this long is closed; default IDLE_TIMEOUT_MS (PROTOCOL.md: 30 s). */
  idleTimeoutMs?: number;
  /** Where the relay logs; default silent. Logs never contain tokens, arguments or results. */
  logger?: Logger;
}

/** A running relay. */
export interface Relay {
  /** Base URL, e.g. `http://127.0.0.1:PORT`. */
  url: string;
  /** MCP endpoint, `<url>/mcp`. */
  mcpUrl: string;
  /** Device endpoint, e.g. `ws://127.0.0.1:PORT/bridge`. */
  bridgeUrl: string;
  /** The port actually bound. */
  port: number;
  /** Devices connected now, one per user; `connectedAt` in ms since the epoch. */
  connectedDevices(): Array<{ userId: string; app?: string; version?: string; connectedAt: number }>;
  /** Fails calls in flight, closes device sockets (1001), MCP sessions and the server. Idempotent. */
  close(): Promise<void>;
}

const positiveMs = z
  .number()
  .int()
  .positive()
  .max(24 * 3_600_000);

/** Zod schema of one configured user. */
export const RelayUserSchema = z.strictObject({
  id: z.string().min(1).max(128),
  mcpToken: ConfiguredToken,
  bridgeToken: ConfiguredToken,
});

const RelayOptionsSchema = z.object({
  host: z.string().min(1).max(255).default('127.0.0.1'),
  port: z.number().int().min(0).max(65_535).default(0),
  users: z.array(RelayUserSchema).max(10_000),
  callDeadlineMs: positiveMs.default(CALL_DEADLINE_MS),
  approvalTimeoutMs: positiveMs.default(DEFAULT_APPROVAL_TIMEOUT_MS),
  pingIntervalMs: positiveMs.default(PING_INTERVAL_MS),
  idleTimeoutMs: positiveMs.default(IDLE_TIMEOUT_MS),
  logger: z
    .custom<Logger>((v) => typeof v === 'object' && v !== null && typeof (v as Logger).child === 'function', {
      message: 'expected a pino logger',
    })
    .optional(),
});

/**
 * Starts the relay and resolves once it listens.
 * @throws Error naming each bad option (never echoing a token) when options fail validation, when two users
 *   share an id or a token, or when the port cannot be bound.
 */
export async function startRelay(options: RelayOptions): Promise<Relay> {
  const parsed = RelayOptionsSchema.safeParse(options);
  if (!parsed.success) throw new Error(`invalid relay options: ${formatZodIssues(parsed.error)}`);
  const opts = parsed.data;
  const logger = opts.logger ?? pino({ level: 'silent' });
  const tokens = new TokenIndex(opts.users);
  const hub = new DeviceHub({
    callDeadlineMs: opts.callDeadlineMs,
    approvalTimeoutMs: opts.approvalTimeoutMs,
    pingIntervalMs: opts.pingIntervalMs,
    idleTimeoutMs: opts.idleTimeoutMs,
    logger,
  });
  const mcp = new McpEndpoint({ hub, logger });
  const { http, wss } = createRelayHttpServer({ tokens, hub, mcp, logger });

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(opts.port, opts.host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  http.on('error', (err) => logger.error({ err: err.message }, 'http server error'));
  const port = (http.address() as AddressInfo).port;
  const hostPart = urlHost(opts.host);
  const url = `http://${hostPart}:${port}`;
  logger.info({ url, users: opts.users.length }, 'relay listening');

  let closing: Promise<void> | undefined;
  return {
    url,
    mcpUrl: `${url}/mcp`,
    bridgeUrl: `ws://${hostPart}:${port}/bridge`,
    port,
    connectedDevices: (): DeviceInfo[] => hub.connectedDevices(),
    close() {
      closing ??= (async () => {
        await hub.close();
        await mcp.close();
        wss.close();
        await new Promise<void>((resolve) => {
          http.close(() => resolve());
          http.closeAllConnections();
        });
        logger.info('relay closed');
      })();
      return closing;
    },
  };
}

/** Host as it appears in a URL we print: wildcard addresses become loopback; IPv6 gets brackets. */
function urlHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

export type { CallOutcome, DeviceInfo } from './deviceHub.js';
