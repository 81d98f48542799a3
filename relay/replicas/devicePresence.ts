/**
 * Device presence across relay replicas (issue 11): which replica holds each user's device socket.
 *
 * Key `tgr:device:<userId>` = `<replicaId> <connectionId>`, with a TTL (`ttlMs`, default 30 s) that the
 * holding replica refreshes every `ttlMs / 3`. A replica that dies stops refreshing, so its entries vanish
 * within the TTL; until then a call routed to it fails at once (`PUBLISH` reaches nobody). When a socket
 * closes the replica deletes the entry only if it is still its own (compare-and-delete in one Lua script):
 * a device that already redialled to another replica keeps its new entry.
 *
 * A refresh that finds another replica's entry means the device connected elsewhere and this replica missed
 * the `attached` broadcast: {@link DevicePresence} then reports the user as lost so the stale local socket
 * is closed.
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { KEY_PREFIX } from './replicaBus.js';

const deviceKey = (userId: string) => `${KEY_PREFIX}device:${userId}`;

/** KEYS[1] the entry; ARGV[1] our value. Deletes the entry when it is ours. @returns 1 when deleted. */
const RELEASE_SCRIPT = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

/**
 * KEYS[1] the entry; ARGV[1] our value, ARGV[2] TTL in ms. Extends our entry, recreates a missing one (it
 * expired while Redis was unreachable), and leaves another replica's alone.
 * @returns 1 extended or recreated, 0 another replica's.
 */
const REFRESH_SCRIPT = `
local v = redis.call('GET', KEYS[1])
if v == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
if not v then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
return 0`;

/** Options of {@link DevicePresence}. */
export interface DevicePresenceOptions {
  redis: Redis;
  replicaId: string;
  /** Lifetime of an entry not refreshed, in ms; default 30 000 (refreshed every third of it). */
  ttlMs?: number;
  /** Called when a refresh finds that another replica now holds a user's device. */
  onLost: (userId: string) => void;
  logger: Logger;
}

/** This replica's presence entries, and lookups of any user's. */
export class DevicePresence {
  /** Users whose device this replica holds, with the value of their entry. */
  private readonly held = new Map<string, string>();
  private readonly ttlMs: number;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly options: DevicePresenceOptions) {
    this.ttlMs = options.ttlMs ?? 30_000;
    this.timer = setInterval(() => void this.refresh(), Math.max(100, Math.floor(this.ttlMs / 3)));
    this.timer.unref();
  }

  /**
   * Records that this replica holds `userId`'s socket `connectionId` (overwrites any entry).
   * @throws when Redis fails the command.
   */
  async claim(userId: string, connectionId: string): Promise<void> {
    const value = `${this.options.replicaId} ${connectionId}`;
    this.held.set(userId, value);
    await this.options.redis.set(deviceKey(userId), value, 'PX', this.ttlMs);
  }

  /** Deletes `userId`'s entry if it still names this replica's socket `connectionId`. Failures are logged. */
  async release(userId: string, connectionId: string): Promise<void> {
    const value = `${this.options.replicaId} ${connectionId}`;
    if (this.held.get(userId) === value) this.held.delete(userId);
    try {
      await this.options.redis.eval(RELEASE_SCRIPT, 1, deviceKey(userId), value);
    } catch (err) {
      this.options.logger.warn({ userId, err: (err as Error).message }, 'presence release failed; it expires by itself');
    }
  }

  /** Stops tracking `userId` without touching Redis (another replica holds it now). */
  forget(userId: string): void {
    this.held.delete(userId);
  }

  /**
   * The replica holding `userId`'s device, or undefined when none does.
   * @throws when Redis fails the command.
   */
  async holder(userId: string): Promise<string | undefined> {
    const value = await this.options.redis.get(deviceKey(userId));
    return value?.split(' ')[0] || undefined;
  }

  /** Number of devices this replica holds. */
  get size(): number {
    return this.held.size;
  }

  /** Stops refreshing and deletes every entry of this replica that is still its own. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    const entries = [...this.held.entries()];
    this.held.clear();
    if (entries.length === 0) return;
    const batch = this.options.redis.pipeline();
    for (const [userId, value] of entries) batch.eval(RELEASE_SCRIPT, 1, deviceKey(userId), value);
    await batch.exec().catch(() => undefined);
  }

  /** Extends every entry of this replica in one pipeline; reports users another replica took over. */
  private async refresh(): Promise<void> {
    const entries = [...this.held.entries()];
    if (entries.length === 0) return;
    const batch = this.options.redis.pipeline();
    for (const [userId, value] of entries) batch.eval(REFRESH_SCRIPT, 1, deviceKey(userId), value, String(this.ttlMs));
    try {
      const results = (await batch.exec()) ?? [];
      results.forEach(([err, kept], i) => {
        const [userId, value] = entries[i]!;
        if (err || kept !== 0 || this.held.get(userId) !== value) return;
        this.held.delete(userId);
        this.options.logger.info({ userId }, 'device now held by another replica');
        this.options.onLost(userId);
      });
    } catch (err) {
      this.options.logger.warn({ err: (err as Error).message }, 'presence refresh failed');
    }
  }
}
