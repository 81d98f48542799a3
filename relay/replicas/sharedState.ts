/**
 * Short-lived relay state that must be the same on every replica, kept in Redis (issue 11). Each piece is
 * small, expires by itself, and loses nothing a person cares about if Redis restarts (they start the step
 * again):
 * - parked `/authorize` requests (`tgr:parked:<id>`, 10 min): the consent page may reach another replica
 *   than the `/authorize` redirect; taking one is atomic (`GETDEL`), so a decision is applied once;
 * - device connect nonces (`tgr:nonce:<nonce>`, 60 s): `POST /bridge/nonce` and the upgrade that spends the
 *   nonce may reach different replicas; spending is atomic (`DEL` answers 1 for one caller only);
 * - failure throttle counts (`tgr:fail:<throttle>:<key>`): one window per key for all replicas.
 *
 * Values are JSON written by the relay itself; a value that no longer parses is treated as absent.
 */
import type { Redis } from 'ioredis';
import type { ConnectNonces } from '../pairing/devicePairing.js';
import type { ParkedAuthorization, ParkedAuthorizations } from '../oauth/provider.js';
import type { SharedFailureCounts } from '../throttle.js';
import { KEY_PREFIX } from './replicaBus.js';

/** Parked `/authorize` requests in Redis, each expiring at its own `expiresAt`. */
export class RedisParkedAuthorizations implements ParkedAuthorizations {
  constructor(private readonly redis: Redis) {}

  async park(request: ParkedAuthorization): Promise<void> {
    const ttl = Math.max(1, request.expiresAt - Date.now());
    await this.redis.set(parkedKey(request.id), JSON.stringify(request), 'PX', ttl);
  }

  async get(id: string, now: number): Promise<ParkedAuthorization | undefined> {
    return live(await this.redis.get(parkedKey(id)), now);
  }

  async take(id: string, now: number): Promise<ParkedAuthorization | undefined> {
    return live(await this.redis.getdel(parkedKey(id)), now);
  }
}

const parkedKey = (id: string) => `${KEY_PREFIX}parked:${id}`;

function live(text: string | null, now: number): ParkedAuthorization | undefined {
  if (text === null) return undefined;
  try {
    const p = JSON.parse(text) as ParkedAuthorization;
    if (typeof p.expiresAt !== 'number' || p.expiresAt <= now) return undefined;
    // JSON turned the RFC 8707 resource URL into a string.
    const resource = p.params.resource as unknown;
    if (typeof resource === 'string') p.params.resource = new URL(resource);
    return p;
  } catch {
    return undefined;
  }
}

/** Connect nonces in Redis: single use across all replicas. */
export class RedisConnectNonces implements ConnectNonces {
  constructor(private readonly redis: Redis) {}

  async add(nonce: string, expiresAt: number, now: number): Promise<void> {
    await this.redis.set(nonceKey(nonce), '1', 'PX', Math.max(1, expiresAt - now));
  }

  async take(nonce: string): Promise<boolean> {
    return (await this.redis.del(nonceKey(nonce))) === 1;
  }
}

const nonceKey = (nonce: string) => `${KEY_PREFIX}nonce:${nonce}`;

/** KEYS[1] the count; ARGV[1] window in ms. @returns {failures, ms left of the window}. */
const ADD_FAILURE_SCRIPT = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local left = redis.call('PTTL', KEYS[1])
if left < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) left = tonumber(ARGV[1]) end
return {n, left}`;

/** One throttle's failure counts in Redis; `name` keeps throttles apart (`signin`, `token`, `pairing`). */
export class RedisFailureCounts implements SharedFailureCounts {
  constructor(
    private readonly redis: Redis,
    private readonly name: string,
  ) {}

  async add(key: string, windowMs: number): Promise<{ failures: number; windowLeftMs: number }> {
    const [failures, windowLeftMs] = (await this.redis.eval(ADD_FAILURE_SCRIPT, 1, this.key(key), String(windowMs))) as [number, number];
    return { failures, windowLeftMs };
  }

  async clear(key: string): Promise<void> {
    await this.redis.del(this.key(key));
  }

  private key(key: string): string {
    return `${KEY_PREFIX}fail:${this.name}:${key}`;
  }
}
