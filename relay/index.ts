/**
 * The relay (ARCHITECTURE.md): an MCP endpoint for AI clients at `/mcp` and a WebSocket hub at `/bridge`
 * where each person's device dials in. Every MCP tool call is forwarded to that person's device and runs
 * there; the relay never sees the Telegram session.
 *
 * State (accounts, devices, token digests, OAuth clients, grants, pairing codes) lives in the relay store:
 * PGlite in a data folder or memory, or PostgreSQL (store/). Users given in options (`tg-relay serve
 * --config`) are imported on every start with their static tokens as a personal access token (`/mcp`) and
 * a bridge token (`/bridge`); tokens from an earlier config are dropped.
 *
 * With `redisUrl` (and PostgreSQL) the relay is one replica of several behind a load balancer: device presence,
 * calls for devices on other replicas, MCP sessions and short-lived page state go through Redis (replicas/).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino, { type Logger } from 'pino';
import { z } from 'zod';
import {
  CALL_DEADLINE_MS,
  formatZodIssues,
  IDLE_TIMEOUT_MS,
  isLoopbackHostname,
  PING_INTERVAL_MS,
} from '../bridge/protocol/index.js';
import { checkConfigUsers, ConfiguredToken, hashToken } from './auth.js';
import { TrustedProxies } from './clientAddress.js';
import { LocalCallRouter } from './callRouter.js';
import { type RelayClock, systemClock } from './clock.js';
import { DeviceHub, type DeviceInfo } from './deviceHub.js';
import { type ConnectionLimits, connectionsCheckingIntervalMs, DEFAULT_CONNECTION_LIMITS, limitConnections } from './httpGuards.js';
import { McpEndpoint } from './mcpEndpoint.js';
import { RelayOAuthProvider } from './oauth/provider.js';
import { WebSessions } from './pages/webSession.js';
import { DevicePairing } from './pairing/devicePairing.js';
import { installRelayRoutes } from './server.js';
import { openRelayStore, type RelayStore, type TokenRecord } from './store/relayStore.js';
import { ReplicaCluster, type ReplicaTiming } from './replicas/replicaCluster.js';
import { FailureThrottle } from './throttle.js';

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
  /** Users from config with static tokens (imported into the store on start); default none. */
  users?: RelayUser[];
  /** The store to use (not closed by the relay); default: opened from `databaseUrl` / `dataDir` / memory. */
  store?: RelayStore;
  /** PostgreSQL URL (`DATABASE_URL`); wins over `dataDir`. Never logged. */
  databaseUrl?: string;
  /** PGlite data folder; absent (and no `databaseUrl`) = an in-memory database. */
  dataDir?: string;
  /**
   * The URL people and AI apps reach this relay at (e.g. `https://relay.example`, behind a TLS proxy);
   * default `http://<host>:<port>`. Must be https unless it is loopback (OAuth 2.1 issuer rule).
   */
  publicUrl?: string;
  /** Extra Host header values `/mcp` accepts (the public host and the listening address always are). */
  allowedHosts?: string[];
  /** Browser origins allowed to call `/mcp` (CORS); default none besides the relay's own. */
  allowedOrigins?: string[];
  /** Deadline of one forwarded call; default CALL_DEADLINE_MS (PROTOCOL.md: 30 s). */
  callDeadlineMs?: number;
  /** How long a write may wait for the person; default 120 000. Calls that report progress may run this much longer. */
  approvalTimeoutMs?: number;
  /** How long the consent page waits for the device's answer on a new OAuth client; default `approvalTimeoutMs`. */
  deviceConsentTimeoutMs?: number;
  /** How often the relay pings each device; default PING_INTERVAL_MS (PROTOCOL.md: 25 s). */
  pingIntervalMs?: number;
  /** While a write waits for the person, MCP progress repeats this often; default 10 000. */
  progressHeartbeatMs?: number;
  /** A device silent this long is closed; default IDLE_TIMEOUT_MS (PROTOCOL.md: 30 s). */
  idleTimeoutMs?: number;
  /**
   * Reverse proxies (addresses or `address/prefix` subnets) whose `X-Forwarded-For` names the client for
   * throttles and connection caps; default none (clientAddress.ts).
   */
  trustedProxies?: string[];
  /** Connection caps and timeouts; default {@link DEFAULT_CONNECTION_LIMITS}. */
  connectionLimits?: Partial<ConnectionLimits>;
  /**
   * Redis URL (`REDIS_URL`, `redis://…` or `rediss://…`): run as one replica of several sharing the store's
   * PostgreSQL and this Redis (issue 11; replicas/). Absent: a single process, all state in memory and the
   * store. Never logged.
   */
  redisUrl?: string;
  /** This replica's id in logs, health and Redis; default `<hostname>-<pid>-<random>`. Only with `redisUrl`. */
  replicaId?: string;
  /** Replica heartbeat and presence timings (tests shorten them). Only with `redisUrl`. */
  replicaTiming?: ReplicaTiming;
  /** Source of time for expiries and throttles; default the system clock. */
  clock?: RelayClock;
  /** Where the relay logs; default silent. Logs never contain tokens, arguments or results. */
  logger?: Logger;
}

/** A running relay. */
export interface Relay {
  /** Base URL it listens on, e.g. `http://127.0.0.1:PORT`. */
  url: string;
  /** Public base URL (the OAuth issuer), `publicUrl` or `url`. */
  publicUrl: string;
  /** MCP endpoint, `<publicUrl>/mcp`: the URL a person pastes into Claude or ChatGPT. */
  mcpUrl: string;
  /** Device endpoint, e.g. `ws://127.0.0.1:PORT/bridge`. */
  bridgeUrl: string;
  /** The port actually bound. */
  port: number;
  /** The relay's store. */
  store: RelayStore;
  /** This replica's id when running with Redis, else undefined. */
  replicaId: string | undefined;
  /** Devices connected now, one per user; `connectedAt` in ms since the epoch. */
  connectedDevices(): DeviceInfo[];
  /** Fails calls in flight, closes device sockets (1001), MCP sessions, the server and an owned store. Idempotent. */
  close(): Promise<void>;
}

const positiveMs = z
  .number()
  .int()
  .positive()
  .max(24 * 3_600_000);

/** Zod schema of one configured user. */
export const RelayUserSchema = z.strictObject({
  id: z.string().min(1).max(128).regex(/^[A-Za-z0-9._@-]+$/, 'a user id may hold letters, digits and . _ @ - only'),
  mcpToken: ConfiguredToken,
  bridgeToken: ConfiguredToken,
});

const RelayOptionsSchema = z.object({
  host: z.string().min(1).max(255).default('127.0.0.1'),
  port: z.number().int().min(0).max(65_535).default(0),
  users: z.array(RelayUserSchema).max(10_000).default([]),
  store: z.custom<RelayStore>((v) => typeof v === 'object' && v !== null).optional(),
  databaseUrl: z.string().min(1).optional(),
  dataDir: z.string().min(1).optional(),
  publicUrl: z.url({ protocol: /^https?$/ }).optional(),
  allowedHosts: z.array(z.string().min(1).max(255)).max(100).default([]),
  allowedOrigins: z.array(z.url()).max(100).default([]),
  callDeadlineMs: positiveMs.default(CALL_DEADLINE_MS),
  approvalTimeoutMs: positiveMs.default(DEFAULT_APPROVAL_TIMEOUT_MS),
  deviceConsentTimeoutMs: positiveMs.optional(),
  pingIntervalMs: positiveMs.default(PING_INTERVAL_MS),
  progressHeartbeatMs: positiveMs.optional(),
  idleTimeoutMs: positiveMs.default(IDLE_TIMEOUT_MS),
  redisUrl: z.string().regex(/^rediss?:\/\//, 'must start with redis:// or rediss://').optional(),
  replicaId: z.string().optional(),
  replicaTiming: z
    .strictObject({ heartbeatMs: positiveMs.optional(), presenceTtlMs: positiveMs.optional() })
    .optional(),
  trustedProxies: z.array(z.string().min(1).max(100)).max(100).default([]),
  connectionLimits: z
    .strictObject({
      perAddress: z.number().int().positive().optional(),
      total: z.number().int().positive().optional(),
      headersTimeoutMs: positiveMs.optional(),
      requestTimeoutMs: positiveMs.optional(),
      keepAliveTimeoutMs: positiveMs.optional(),
    })
    .optional(),
  clock: z.custom<RelayClock>((v) => typeof v === 'object' && v !== null && typeof (v as RelayClock).now === 'function').optional(),
  logger: z
    .custom<Logger>((v) => typeof v === 'object' && v !== null && typeof (v as Logger).child === 'function', {
      message: 'expected a pino logger',
    })
    .optional(),
});

/** Config users as store tokens: one personal access token (`/mcp`) and one bridge token each. */
function configTokens(users: readonly RelayUser[], now: number): TokenRecord[] {
  const base = {
    clientId: null,
    deviceId: null,
    family: null,
    resource: null,
    scopes: [],
    source: 'config' as const,
    createdAt: now,
    expiresAt: null,
    revokedAt: null,
  };
  return users.flatMap((u) => [
    { ...base, tokenHash: hashToken(u.mcpToken), kind: 'personal' as const, userId: u.id, label: 'config mcpToken' },
    { ...base, tokenHash: hashToken(u.bridgeToken), kind: 'bridge' as const, userId: u.id, label: 'config bridgeToken' },
  ]);
}

/**
 * Starts the relay and resolves once it listens.
 * @throws Error naming each bad option (never echoing a token) when options fail validation, when two users
 *   share an id or a token, when the public URL is plain http on a non-loopback host, when the store cannot
 *   be opened, or when the port cannot be bound.
 */
export async function startRelay(options: RelayOptions = {}): Promise<Relay> {
  const parsed = RelayOptionsSchema.safeParse(options);
  if (!parsed.success) throw new Error(`invalid relay options: ${formatZodIssues(parsed.error)}`);
  const opts = parsed.data;
  checkConfigUsers(opts.users);
  if (opts.publicUrl) {
    const u = new URL(opts.publicUrl);
    if (u.protocol !== 'https:' && !isLoopbackHostname(u.hostname)) {
      throw new Error(`--public-url must be https (OAuth 2.1 requires it) unless it is loopback: ${u.origin}`);
    }
  }
  if (opts.redisUrl && !opts.databaseUrl && !opts.store) {
    throw new Error('--redis-url (REDIS_URL) runs one replica of several: they must share PostgreSQL, so set DATABASE_URL too');
  }
  const trustedProxies = new TrustedProxies(opts.trustedProxies);
  const logger = opts.logger ?? pino({ level: 'silent' });
  const clock = opts.clock ?? systemClock;
  const ownsStore = opts.store === undefined;
  const store =
    opts.store ??
    (await openRelayStore({
      ...(opts.databaseUrl ? { databaseUrl: opts.databaseUrl } : {}),
      ...(opts.dataDir ? { dataDir: opts.dataDir } : {}),
    }));
  let cluster: ReplicaCluster | undefined;
  try {
    for (const u of opts.users) await store.ensureUser(u.id, clock.now());
    await store.replaceConfigTokens(configTokens(opts.users, clock.now()));
    if (opts.redisUrl) {
      cluster = await ReplicaCluster.join({
        redisUrl: opts.redisUrl,
        ...(opts.replicaId !== undefined ? { replicaId: opts.replicaId } : {}),
        ...(opts.replicaTiming ? { timing: opts.replicaTiming } : {}),
        logger,
      });
    }
  } catch (err) {
    if (ownsStore) await store.close();
    throw err;
  }

  const limits: ConnectionLimits = { ...DEFAULT_CONNECTION_LIMITS, ...opts.connectionLimits };
  const http = createServer({ connectionsCheckingInterval: connectionsCheckingIntervalMs(limits) });
  limitConnections(http, limits, trustedProxies);
  try {
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(opts.port, opts.host, () => {
        http.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    await cluster?.close();
    if (ownsStore) await store.close();
    throw err;
  }
  http.on('error', (err) => logger.error({ err: err.message }, 'http server error'));
  const port = (http.address() as AddressInfo).port;
  const hostPart = urlHost(opts.host);
  const url = `http://${hostPart}:${port}`;
  const publicUrl = new URL(opts.publicUrl ?? url);

  const hub = new DeviceHub({
    callDeadlineMs: opts.callDeadlineMs,
    approvalTimeoutMs: opts.approvalTimeoutMs,
    pingIntervalMs: opts.pingIntervalMs,
    idleTimeoutMs: opts.idleTimeoutMs,
    logger,
    ...(cluster ? { presence: cluster.presenceListener } : {}),
  });
  const router = cluster
    ? cluster.attachHub(hub, { callDeadlineMs: opts.callDeadlineMs, approvalTimeoutMs: opts.approvalTimeoutMs })
    : new LocalCallRouter(hub);
  const mcp = new McpEndpoint({
    router,
    logger,
    ...(cluster ? { directory: cluster.sessions } : {}),
    ...(opts.progressHeartbeatMs ? { progressHeartbeatMs: opts.progressHeartbeatMs } : {}),
    deviceConsent: { relay: publicUrl.origin, timeoutMs: opts.deviceConsentTimeoutMs ?? opts.approvalTimeoutMs },
  });
  const provider = new RelayOAuthProvider({
    store,
    clock,
    resource: new URL('/mcp', publicUrl),
    ...(cluster ? { parked: cluster.parked } : {}),
  });
  const shared = (name: string) => (cluster ? { shared: cluster.failureCounts(name) } : {});
  const sessions = new WebSessions(store, clock, publicUrl);
  // Sign-ins: 5 failures per account, 20 per address, per 15 minutes.
  const signinThrottle = new FailureThrottle(clock, {
    maxFailures: (key) => (key.startsWith('user:') ? 5 : 20),
    windowMs: 15 * 60_000,
    ...shared('signin'),
  });
  const pairing = new DevicePairing({
    store,
    clock,
    sessions,
    publicUrl,
    throttle: new FailureThrottle(clock, { maxFailures: 10, windowMs: 15 * 60_000, ...shared('pairing') }),
    ...(cluster ? { nonces: cluster.nonces } : {}),
    logger,
  });
  const hosts = new Set(
    [publicUrl.host, `${hostPart}:${port}`, `localhost:${port}`, `127.0.0.1:${port}`, ...opts.allowedHosts].map((h) =>
      h.toLowerCase(),
    ),
  );
  const wss = installRelayRoutes(http, {
    store,
    clock,
    hub,
    mcp,
    provider,
    pairing,
    pages: {
      store,
      clock,
      provider,
      router,
      mcp,
      sessions,
      signinThrottle,
      publicUrl,
      deviceConsentTimeoutMs: opts.deviceConsentTimeoutMs ?? opts.approvalTimeoutMs,
    },
    tokenThrottle: new FailureThrottle(clock, { maxFailures: 20, windowMs: 60_000, ...shared('token') }),
    policy: {
      hosts,
      origins: new Set([publicUrl.origin, ...opts.allowedOrigins.map((o) => new URL(o).origin)]),
    },
    publicUrl,
    ...(cluster ? { health: () => replicaHealth(cluster, store) } : {}),
    trustedProxies,
    logger,
  });
  logger.info(
    { url, publicUrl: publicUrl.origin, users: opts.users.length, store: store.kind, replica: cluster?.replicaId },
    'relay listening',
  );

  let closing: Promise<void> | undefined;
  return {
    url,
    publicUrl: publicUrl.origin,
    mcpUrl: new URL('/mcp', publicUrl).href,
    bridgeUrl: `ws://${hostPart}:${port}/bridge`,
    port,
    store,
    replicaId: cluster?.replicaId,
    connectedDevices: (): DeviceInfo[] => hub.connectedDevices(),
    close() {
      closing ??= (async () => {
        await hub.close();
        await mcp.close();
        await cluster?.close();
        wss.close();
        await new Promise<void>((resolve) => {
          http.close(() => resolve());
          http.closeAllConnections();
        });
        if (ownsStore) await store.close();
        logger.info('relay closed');
      })();
      return closing;
    },
  };
}

/** `/healthz` of a replica: ok when both Redis and the database answer; never a URL or a secret. */
async function replicaHealth(cluster: ReplicaCluster, store: RelayStore): Promise<{ ok: boolean } & Record<string, unknown>> {
  const [replica, db] = await Promise.all([
    cluster.health(),
    store.ping().then(
      () => 'ok',
      (err: unknown) => (err instanceof Error ? err.message : String(err)).replace(/postgres(ql)?:\/\/\S+/g, '<url>'),
    ),
  ]);
  return { ok: replica.redis === 'ok' && db === 'ok', ...replica, db };
}

/** Host as it appears in a URL we print: wildcard addresses become loopback; IPv6 gets brackets. */
function urlHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

export type { CallOutcome, DeviceInfo } from './deviceHub.js';
export { ManualClock, type RelayClock, systemClock } from './clock.js';
export type { RelayStore } from './store/relayStore.js';
