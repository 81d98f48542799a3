/**
 * The replica bus: how relay replicas talk to each other through Redis (issue 11; ARCHITECTURE.md
 * "Decisions": Redis pub/sub).
 *
 * Why pub/sub and not streams: everything that travels between replicas belongs to a call, a consent or a
 * session that some replica is waiting on right now, with its own deadline. Pub/sub delivers in order per
 * publisher, costs one round trip, and `PUBLISH` answers how many replicas received a message, so a message
 * for a replica that is gone fails at once instead of sitting in a stream nobody reads. A message lost with a
 * dying replica is covered by the waiting side: its deadline, and the liveness key of the replica it waits on
 * (see {@link ReplicaBus.isAlive}). Nothing here needs replay after a restart: a restarted replica holds no
 * calls and no sockets.
 *
 * Channels and keys (prefix `tgr:`):
 * - `tgr:replica:<replicaId>`: messages for one replica ({@link DirectMessage});
 * - `tgr:replicas`: messages for every replica ({@link BroadcastMessage});
 * - `tgr:alive:<replicaId>`: present while the replica runs, refreshed every `heartbeatMs`, expires after 3×.
 *
 * Every message is validated with zod on receipt; an invalid one is logged (kind only) and dropped. Logs
 * carry replica ids, call ids, user ids and message kinds only: never arguments, results or error texts.
 */
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { z } from 'zod';
import { ClientScope } from '../../bridge/protocol/index.js';

/** Prefix of every Redis key and channel the relay uses. */
export const KEY_PREFIX = 'tgr:';
const BROADCAST_CHANNEL = `${KEY_PREFIX}replicas`;
const directChannel = (replicaId: string) => `${KEY_PREFIX}replica:${replicaId}`;
const aliveKey = (replicaId: string) => `${KEY_PREFIX}alive:${replicaId}`;

/** A replica id: letters, digits, `.`, `_`, `-`; 1–64 characters. */
export const ReplicaId = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'a replica id may hold letters, digits and . _ - only (1–64)');

const Id = z.string().min(1).max(200);
const Outcome = z.union([
  z.strictObject({ ok: z.literal(true), result: z.unknown() }),
  z.strictObject({ ok: z.literal(false), error: z.string().max(10_000) }),
]);
const ConsentOutcome = z.union([
  z.strictObject({ approved: z.literal(true), scope: ClientScope }),
  z.strictObject({ approved: z.literal(false), offline: z.boolean(), reason: z.string().max(1_000) }),
]);

/** Messages for one replica; `from` is the sender's replica id, `callId` the waiting side's id. */
export const DirectMessage = z.discriminatedUnion('kind', [
  /** Run a tool call on the device of `userId`, which the receiver holds. */
  z.strictObject({
    kind: z.literal('call'),
    from: ReplicaId,
    callId: Id,
    userId: Id,
    tool: z.string().min(1).max(100),
    args: z.record(z.string(), z.unknown()),
    deadlineMs: z.number().int().positive(),
    client: z.string().max(100).optional(),
    oauthClient: z.string().max(200).optional(),
  }),
  /** Withdraw a call: `gone` when the MCP client went away rather than cancelled. */
  z.strictObject({ kind: z.literal('cancel'), from: ReplicaId, callId: Id, gone: z.boolean() }),
  /** The device reported progress on a call. */
  z.strictObject({ kind: z.literal('progress'), from: ReplicaId, callId: Id, message: z.string().max(10_000) }),
  /** How a call ended; `notHere` when the receiver did not hold the device (it moved). */
  z.strictObject({
    kind: z.literal('result'),
    from: ReplicaId,
    callId: Id,
    userId: Id,
    outcome: Outcome,
    notHere: z.boolean().optional(),
  }),
  /** Ask the device of `userId` about a new OAuth client (custody rule 7). */
  z.strictObject({
    kind: z.literal('consent'),
    from: ReplicaId,
    callId: Id,
    userId: Id,
    clientId: z.string().min(1).max(200),
    clientName: z.string().max(200),
    relay: z.string().max(300),
    timeoutMs: z.number().int().positive(),
  }),
  /** The device's answer to a consent. */
  z.strictObject({ kind: z.literal('consent_result'), from: ReplicaId, callId: Id, userId: Id, outcome: ConsentOutcome }),
]);
export type DirectMessage = z.infer<typeof DirectMessage>;

/** Messages for every replica. */
export const BroadcastMessage = z.discriminatedUnion('kind', [
  /** `from` now holds the device of `userId`: any other socket of that user is replaced. */
  z.strictObject({ kind: z.literal('attached'), from: ReplicaId, userId: Id }),
  /** A device was revoked: close its socket wherever it is. */
  z.strictObject({
    kind: z.literal('disconnect'),
    from: ReplicaId,
    userId: Id,
    deviceId: Id.optional(),
    reason: z.string().max(123),
  }),
  /** An MCP client sent `notifications/cancelled` in session `sessionId` (it may have landed elsewhere). */
  z.strictObject({
    kind: z.literal('session_cancel'),
    from: ReplicaId,
    sessionId: Id,
    requestId: z.union([z.string().max(200), z.number()]),
    reason: z.string().max(1_000).optional(),
  }),
  /** An MCP session ended (DELETE, revoked client): drop local copies. */
  z.strictObject({ kind: z.literal('session_closed'), from: ReplicaId, sessionId: Id }),
]);
export type BroadcastMessage = z.infer<typeof BroadcastMessage>;

/** Messages without the `from` the bus fills in. */
type Unsent<T> = T extends unknown ? Omit<T, 'from'> : never;

/** Options of {@link ReplicaBus.connect}. */
export interface ReplicaBusOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://…` (TLS). Never logged. */
  redisUrl: string;
  replicaId: string;
  /** How often the liveness key is refreshed, in ms (it expires after 3×); default 2 000. */
  heartbeatMs?: number;
  logger: Logger;
}

/** One replica's two Redis connections (commands, subscriptions), its channels and its liveness key. */
export class ReplicaBus {
  private directHandler: (message: DirectMessage) => void = () => {};
  private broadcastHandler: (message: BroadcastMessage) => void = () => {};
  private readonly heartbeat: NodeJS.Timeout;
  private closed = false;

  private constructor(
    /** Connection for commands (GET, SET, PUBLISH, scripts); shared with presence and shared state. */
    readonly redis: Redis,
    private readonly sub: Redis,
    readonly replicaId: string,
    private readonly heartbeatMs: number,
    private readonly logger: Logger,
  ) {
    this.heartbeat = setInterval(() => this.beat(), heartbeatMs);
    this.heartbeat.unref();
    sub.on('message', (channel: string, text: string) => this.onMessage(channel, text));
  }

  /**
   * Connects to Redis, subscribes to this replica's channel and the broadcast channel, and sets the liveness
   * key. @throws Error naming the cause (never the URL, which may carry a password) when Redis cannot be
   * reached within 10 s, or when another live replica still uses `replicaId` after 3 heartbeats (a crashed
   * one's key has expired by then).
   */
  static async connect(options: ReplicaBusOptions): Promise<ReplicaBus> {
    const replicaId = ReplicaId.parse(options.replicaId);
    const heartbeatMs = options.heartbeatMs ?? 2_000;
    const make = () =>
      new Redis(options.redisUrl, {
        lazyConnect: true,
        connectTimeout: 10_000,
        maxRetriesPerRequest: 2,
        // Reconnects forever with a capped backoff; commands wait in the offline queue meanwhile.
        retryStrategy: (times) => Math.min(times * 200, 2_000),
      });
    const redis = make();
    const sub = make();
    const log = options.logger.child({ replica: replicaId });
    for (const [name, conn] of [['commands', redis], ['subscriber', sub]] as const) {
      conn.on('error', (err: Error) => log.warn({ connection: name, err: err.message }, 'redis connection error'));
    }
    try {
      await Promise.all([redis.connect(), sub.connect()]);
      // A replica restarted under the same id right after a crash finds its old liveness key: wait for it to
      // expire (3 heartbeats) before deciding that another live replica uses the id.
      const deadline = Date.now() + heartbeatMs * 3 + 1_000;
      while ((await redis.set(aliveKey(replicaId), String(process.pid), 'PX', heartbeatMs * 3, 'NX')) !== 'OK') {
        if (Date.now() > deadline) throw new Error(`another live relay replica already uses the id "${replicaId}"`);
        await new Promise((resolve) => setTimeout(resolve, Math.min(250, heartbeatMs)));
      }
      await sub.subscribe(directChannel(replicaId), BROADCAST_CHANNEL);
    } catch (err) {
      redis.disconnect();
      sub.disconnect();
      const message = err instanceof Error ? err.message : String(err);
      throw new Error(`cannot use Redis (--redis-url / REDIS_URL): ${message.replace(/rediss?:\/\/\S+/g, '<url>')}`);
    }
    log.info('replica joined');
    return new ReplicaBus(redis, sub, replicaId, heartbeatMs, log);
  }

  /** Sets the receiver of messages addressed to this replica. */
  onDirect(handler: (message: DirectMessage) => void): void {
    this.directHandler = handler;
  }

  /** Sets the receiver of broadcast messages from other replicas (never this replica's own). */
  onBroadcast(handler: (message: BroadcastMessage) => void): void {
    this.broadcastHandler = handler;
  }

  /**
   * Sends `message` to replica `to`. @returns how many subscribers received it: 0 means that replica is gone.
   * @throws when Redis fails the command.
   */
  async send(to: string, message: Unsent<DirectMessage>): Promise<number> {
    return this.redis.publish(directChannel(to), JSON.stringify({ ...message, from: this.replicaId }));
  }

  /** Sends `message` to every other replica. Failures are logged, not thrown. */
  broadcast(message: Unsent<BroadcastMessage>): void {
    this.redis
      .publish(BROADCAST_CHANNEL, JSON.stringify({ ...message, from: this.replicaId }))
      .catch((err: Error) => this.logger.warn({ kind: message.kind, err: err.message }, 'broadcast failed'));
  }

  /** Whether replica `replicaId` still refreshes its liveness key. @throws when Redis fails the command. */
  async isAlive(replicaId: string): Promise<boolean> {
    return (await this.redis.exists(aliveKey(replicaId))) === 1;
  }

  /** Redis round trip status for health checks: `'ok'` or the error's message. */
  async ping(): Promise<string> {
    try {
      return (await this.redis.ping()) === 'PONG' ? 'ok' : 'unexpected answer';
    } catch (err) {
      return err instanceof Error ? err.message : String(err);
    }
  }

  /** Leaves: stops the heartbeat, deletes the liveness key, closes both connections. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeat);
    await this.redis.del(aliveKey(this.replicaId)).catch(() => undefined);
    await Promise.allSettled([this.sub.quit(), this.redis.quit()]);
  }

  private beat(): void {
    this.redis
      .set(aliveKey(this.replicaId), String(process.pid), 'PX', this.heartbeatMs * 3)
      .catch((err: Error) => this.logger.warn({ err: err.message }, 'replica heartbeat failed'));
  }

  private onMessage(channel: string, text: string): void {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      this.logger.warn({ channel }, 'non-JSON replica message dropped');
      return;
    }
    if (channel === BROADCAST_CHANNEL) {
      const parsed = BroadcastMessage.safeParse(json);
      if (!parsed.success) {
        this.logger.warn({ channel }, 'invalid broadcast message dropped');
        return;
      }
      if (parsed.data.from === this.replicaId) return;
      this.dispatch(() => this.broadcastHandler(parsed.data));
      return;
    }
    const parsed = DirectMessage.safeParse(json);
    if (!parsed.success) {
      this.logger.warn({ channel }, 'invalid replica message dropped');
      return;
    }
    this.dispatch(() => this.directHandler(parsed.data));
  }

  private dispatch(run: () => void): void {
    try {
      run();
    } catch (err) {
      this.logger.error({ err: err instanceof Error ? err.message : String(err) }, 'replica message handler failed');
    }
  }
}
