/**
 * One relay replica's membership in a group of replicas sharing PostgreSQL and Redis (issue 11): the parts
 * {@link startRelay} plugs in when `redisUrl` is set. Without it the relay keeps all of this in its own memory
 * and stays the single process it always was.
 *
 * What is shared, and where:
 * - accounts, tokens, OAuth clients, grants, devices, pairing: the SQL store (PostgreSQL), as before;
 * - which replica holds each device socket: {@link DevicePresence} (Redis keys with a TTL);
 * - tool calls, progress, cancels and consents for a device on another replica: {@link ReplicaCallRouter}
 *   over the {@link ReplicaBus} (Redis pub/sub);
 * - MCP sessions: {@link RedisSessionDirectory} (a record per session; cancels and session ends broadcast);
 * - parked `/authorize` requests, connect nonces, failure throttle counts: sharedState.ts (Redis);
 * - device revocation: broadcast, so the replica holding the socket closes it.
 * Per connection and fine where it is: each device socket's calls in flight (they live on the replica that
 * holds the socket, which is the only one that can answer them) and each MCP POST's HTTP exchange.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { DeviceHub, DevicePresenceListener } from '../deviceHub.js';
import { SESSION_IDLE_MS } from '../mcpEndpoint.js';
import { DevicePresence } from './devicePresence.js';
import { ReplicaBus, ReplicaId } from './replicaBus.js';
import { ReplicaCallRouter } from './replicaCallRouter.js';
import { RedisSessionDirectory } from './sharedSessions.js';
import { RedisConnectNonces, RedisFailureCounts, RedisParkedAuthorizations } from './sharedState.js';

/** Timing of a replica, in ms; tests shorten them. */
export interface ReplicaTiming {
  /** Liveness key refresh (expires after 3×) and liveness checks of replicas that calls wait on; default 2 000. */
  heartbeatMs?: number;
  /** Lifetime of a device presence entry, refreshed every third; default 30 000. */
  presenceTtlMs?: number;
}

/** Options of {@link joinReplicaCluster}. */
export interface ReplicaClusterOptions {
  /** `redis://…` or `rediss://…`; never logged. */
  redisUrl: string;
  /** This replica's id; default `<hostname>-<pid>-<random>` (unique per process). */
  replicaId?: string;
  timing?: ReplicaTiming;
  logger: Logger;
}

/** A default replica id: unique per process, readable in logs. */
export function defaultReplicaId(): string {
  const host = hostname().replace(/[^A-Za-z0-9._-]/g, '').slice(0, 40) || 'relay';
  return `${host}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

/** A replica's shared parts; {@link ReplicaCluster.attachHub} completes it once the hub exists. */
export class ReplicaCluster {
  readonly sessions: RedisSessionDirectory;
  readonly parked: RedisParkedAuthorizations;
  readonly nonces: RedisConnectNonces;
  readonly presence: DevicePresence;
  /** Feeds {@link DevicePresence} from the hub; give it to the hub's options. */
  readonly presenceListener: DevicePresenceListener;
  private router: ReplicaCallRouter | undefined;
  private hub: DeviceHub | undefined;

  private constructor(
    readonly bus: ReplicaBus,
    private readonly timing: ReplicaTiming,
    private readonly logger: Logger,
  ) {
    const { redis } = bus;
    this.sessions = new RedisSessionDirectory(redis, bus, SESSION_IDLE_MS);
    this.parked = new RedisParkedAuthorizations(redis);
    this.nonces = new RedisConnectNonces(redis);
    this.presence = new DevicePresence({
      redis,
      replicaId: bus.replicaId,
      ...(timing.presenceTtlMs !== undefined ? { ttlMs: timing.presenceTtlMs } : {}),
      onLost: (userId) => this.hub?.replaceElsewhere(userId),
      logger,
    });
    this.presenceListener = {
      attached: (userId, connectionId) => {
        this.presence.claim(userId, connectionId).then(
          () => bus.broadcast({ kind: 'attached', userId }),
          (err: Error) => logger.warn({ userId, err: err.message }, 'presence claim failed; calls from other replicas cannot reach this device'),
        );
      },
      detached: (userId, connectionId) => void this.presence.release(userId, connectionId),
    };
    bus.onDirect((m) => this.router?.onDirect(m));
    bus.onBroadcast((m) => {
      if (m.kind === 'session_closed' || m.kind === 'session_cancel') this.sessions.onBroadcast(m);
      else this.router?.onBroadcast(m);
    });
  }

  /**
   * Connects to Redis and joins. @throws Error (without the URL) when Redis is unreachable, the replica id
   * is invalid, or another live replica uses it.
   */
  static async join(options: ReplicaClusterOptions): Promise<ReplicaCluster> {
    const replicaId = ReplicaId.parse(options.replicaId ?? defaultReplicaId());
    const bus = await ReplicaBus.connect({
      redisUrl: options.redisUrl,
      replicaId,
      ...(options.timing?.heartbeatMs !== undefined ? { heartbeatMs: options.timing.heartbeatMs } : {}),
      logger: options.logger,
    });
    return new ReplicaCluster(bus, options.timing ?? {}, options.logger.child({ replica: replicaId }));
  }

  get replicaId(): string {
    return this.bus.replicaId;
  }

  /** The call router over `hub` (the hub must have been built with {@link presenceListener}). */
  attachHub(hub: DeviceHub, timing: { callDeadlineMs: number; approvalTimeoutMs: number }): ReplicaCallRouter {
    this.hub = hub;
    this.router = new ReplicaCallRouter({
      hub,
      bus: this.bus,
      presence: this.presence,
      ...timing,
      ...(this.timing.heartbeatMs !== undefined ? { livenessCheckMs: this.timing.heartbeatMs } : {}),
      logger: this.logger,
    });
    return this.router;
  }

  /** Failure counts of the throttle called `name`, shared by all replicas. */
  failureCounts(name: string): RedisFailureCounts {
    return new RedisFailureCounts(this.bus.redis, name);
  }

  /** What `/healthz` reports about this replica: its id, Redis status, devices held, remote calls waiting. */
  async health(): Promise<{ replica: string; redis: string; devices: number; remoteCallsWaiting: number }> {
    return {
      replica: this.replicaId,
      redis: await this.bus.ping(),
      devices: this.presence.size,
      remoteCallsWaiting: this.router?.waitingCount ?? 0,
    };
  }

  /** Fails remote waits, removes this replica's presence entries, and leaves Redis. Idempotent. */
  async close(): Promise<void> {
    this.router?.close();
    await this.presence.close();
    await this.bus.close();
  }
}
