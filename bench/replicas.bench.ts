/**
 * Relay replicas (issue 11): two `tg-relay serve` processes from the build on one PostgreSQL and one Redis
 * (both started on loopback, as the tests do), with stub devices (RelayLinks that echo who they are) split
 * between them.
 *
 * Prints:
 * - the cost of the cross-replica hop: one device on B, the same tool call sent alternately through a session
 *   on B (same replica) and a session on A (A → Redis → B → device → B → Redis → A), p50/p99 of each and the
 *   ratio, side by side in one run;
 * - 5,000 concurrent `tools/call` over 500 devices (10 per user at once), devices alternating between the two
 *   replicas and each user's MCP session on either, so half the calls cross replicas: lost and misrouted
 *   answers (each call carries a nonce the device must echo under its own user id), p50/p99 and wall time,
 *   and the same wave with every session on its device's replica (nothing crosses) as the baseline;
 * - kill -9 of the replica holding a device (the real engine against the sandbox, default link backoff, dialling
 *   through a loopback TCP balancer that skips dead backends) → first good call through the other replica,
 *   p50/max over BENCH_FAILOVERS rounds (a fresh replica replaces the killed one each round).
 *
 * Env: BENCH_DEVICES (default 500), BENCH_CALLS_PER_DEVICE (default 10), BENCH_HOP_ROUNDS (default 400),
 * BENCH_FAILOVERS (default 4).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBridgeHost } from '../bridge/host/bridgeHost.js';
import { startSandbox } from '../sandbox/index.js';
import { personApproves } from '../test/helpers/clientConsent.js';
import { startPostgres } from '../test/helpers/postgresServer.js';
import { startRedis } from '../test/helpers/redisServer.js';
import { type ReplicaProcess, startReplica, waitFor } from '../test/helpers/relayReplicas.js';
import { sandboxGateway } from '../test/helpers/sandboxGateway.js';
import { startTcpBalancer } from '../test/helpers/tcpBalancer.js';
import { callTool, openSession, type Session } from './rawMcp.js';
import { connectStubDevice } from './stubDevice.js';
import type { RelayLink } from '../bridge/link/relayLink.js';
import { ms, percentile, sideBySide } from './stats.js';

const DEVICES = Number(process.env.BENCH_DEVICES ?? 500);
const CALLS_PER_DEVICE = Number(process.env.BENCH_CALLS_PER_DEVICE ?? 10);
const HOP_ROUNDS = Number(process.env.BENCH_HOP_ROUNDS ?? 400);
const FAILOVERS = Number(process.env.BENCH_FAILOVERS ?? 4);

interface User {
  id: string;
  mcpToken: string;
  bridgeToken: string;
}

/** Runs the replica benchmark and prints its figures. */
export async function benchReplicas(): Promise<void> {
  const pg = await startPostgres();
  if (typeof pg === 'string') throw new Error(`the replica bench needs PostgreSQL: ${pg}`);
  const redis = await startRedis();
  const dir = await mkdtemp(join(tmpdir(), 'tgb-replicas-bench-'));
  const users: User[] = Array.from({ length: DEVICES }, (_, i) => ({
    id: `u${i}`,
    mcpToken: randomBytes(24).toString('base64url'),
    bridgeToken: randomBytes(24).toString('base64url'),
  }));
  const config = join(dir, 'users.json');
  await writeFile(config, JSON.stringify({ users }), { mode: 0o600 });
  const replicas: ReplicaProcess[] = [];
  const links: RelayLink[] = [];
  /** Nonces every device received (the relays forwarded the call). */
  const delivered = new Set<string>();
  try {
    // Every connection comes from loopback, as in a deployment every connection comes from the TLS proxy
    // (deploy/): trusted, so the per-address connection cap does not cap the whole bench.
    const start = (id: string) =>
      startReplica({ id, configPath: config, databaseUrl: pg.url, redisUrl: redis.url, logLevel: 'warn', env: { TRUSTED_PROXIES: '127.0.0.1' } });
    replicas.push(...(await Promise.all([start('bench-a'), start('bench-b')])));
    const [a, b] = replicas as [ReplicaProcess, ReplicaProcess];
    const deviceReplica = (i: number) => replicas[i % 2]!;
    const sessionReplica = (i: number) => replicas[(i >> 1) % 2]!;

    await Promise.all(
      users.map(async (u, i) => {
        links.push(await connectStubDevice(`${deviceReplica(i).url.replace(/^http/, 'ws')}/bridge`, u.id, u.bridgeToken, delivered));
      }),
    );
    const held = await Promise.all(replicas.map(async (r) => (await r.health()).devices));
    process.stdout.write(`devices held: ${replicas.map((r, i) => `${r.id} ${held[i]}`).join(', ')}\n`);

    // Cross-replica hop: user u1's device is on B; one session on B, one on A.
    const hopUser = users[1]!;
    if (deviceReplica(1) !== b) throw new Error('bench layout changed: u1 must be on B');
    const [sameSession, crossSession] = await Promise.all([openSession(b.mcpUrl, hopUser.mcpToken), openSession(a.mcpUrl, hopUser.mcpToken)]);
    let id = 0;
    const hop = (session: Session) => async () => {
      const nonce = randomBytes(6).toString('hex');
      const result = (await callTool(session, ++id, 'list_dialogs', { limit: 1, query: nonce })) as {
        structuredContent?: { dialogs?: Array<{ title: string }> };
      } | null;
      if (result?.structuredContent?.dialogs?.[0]?.title !== `${hopUser.id}|${nonce}`) throw new Error('hop call failed');
    };
    const { a: cross, b: same } = await sideBySide(hop(crossSession), hop(sameSession), HOP_ROUNDS, 30);
    const [c50, c99, s50, s99] = [percentile(cross, 50), percentile(cross, 99), percentile(same, 50), percentile(same, 99)];
    process.stdout.write(
      `one call, device on B: same replica (client on B) p50 ${ms(s50)}, p99 ${ms(s99)}; cross replica (client on A, via Redis) p50 ${ms(c50)}, p99 ${ms(c99)} → ` +
        `cross/same ×${(c50 / s50).toFixed(2)} at p50, ×${(c99 / s99).toFixed(2)} at p99; the hop adds ${ms(c50 - s50)} at p50 (${HOP_ROUNDS} rounds each, interleaved)\n`,
    );

    // 500 sessions on the replica sessionReplica(i) (half the users' calls cross replicas), and for the
    // baseline 500 on the device's own replica (none cross); the two waves run one after the other.
    const open = (replicaOf: (i: number) => ReplicaProcess) =>
      Promise.all(users.map((u, i) => openSession(replicaOf(i).mcpUrl, u.mcpToken).catch(() => openSession(replicaOf(i).mcpUrl, u.mcpToken))));
    const split = await open(sessionReplica);
    const local = await open(deviceReplica);
    const total = users.length * CALLS_PER_DEVICE;
    const crossing = users.filter((_, i) => deviceReplica(i) !== sessionReplica(i)).length * CALLS_PER_DEVICE;
    for (const [label, sessions] of [
      [`${crossing.toLocaleString('en')} crossing replicas`, split],
      ['none crossing: each session on its device\'s replica', local],
    ] as const) {
      await wave(users, sessions, 1, delivered); // warm-up: JIT, consent per session, connection pools
      // Let idle keep-alive sockets close first (see relayLoad.bench.ts: a reused closing socket fails client-side).
      await new Promise((r) => setTimeout(r, 6_000));
      const r = await wave(users, sessions, CALLS_PER_DEVICE, delivered);
      process.stdout.write(
        `${total.toLocaleString('en')} concurrent calls over ${users.length} devices on 2 replicas (${label}): ` +
          `${r.lost} lost, ${r.misrouted} misrouted (${r.resent} resent after a connection reset before delivery); ` +
          `p50 ${ms(percentile(r.latencies, 50))}, p99 ${ms(percentile(r.latencies, 99))}, wall ${ms(r.wallMs)}\n`,
      );
      for (const [reason, n] of r.reasons) process.stdout.write(`  lost ×${n}: ${reason}\n`);
    }

    // The stub devices leave first, so the failover rounds measure one device and not 250 redialling ones.
    await Promise.all(links.splice(0).map((l) => l.stop()));
    await failover(replicas, users[0]!, (id) => start(id), dir);
  } finally {
    await Promise.all(links.map((l) => l.stop()));
    await Promise.allSettled(replicas.map((r) => r.stop()));
    await redis.stop();
    await pg.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Kill -9 of the device's replica → first good call through the other one, FAILOVERS times. The device (real
 * engine, sandbox gateway, default backoff) dials a first-alive balancer; the survivor of each round holds
 * the device next round, and a fresh replica takes the killed one's place in the list.
 */
async function failover(replicas: ReplicaProcess[], user: User, start: (id: string) => Promise<ReplicaProcess>, dir: string): Promise<void> {
  const sandbox = await startSandbox();
  let [holder, other] = replicas as [ReplicaProcess, ReplicaProcess];
  const balancer = await startTcpBalancer([holder.port, other.port], 'first_alive');
  const host = await startBridgeHost({
    clientConsent: personApproves(),
    relayUrl: balancer.url,
    bridgeToken: user.bridgeToken,
    gateway: sandboxGateway(sandbox),
    auditPath: join(dir, 'audit.jsonl'),
  });
  const times: number[] = [];
  try {
    await host.waitConnected();
    await waitFor('the device on the first replica', async () => (await holder.health()).devices >= 1);
    for (let round = 1; round <= FAILOVERS; round++) {
      const session = await openSession(other.mcpUrl, user.mcpToken);
      if (!(await callTool(session, 1, 'list_dialogs', { limit: 1 }))) throw new Error('no call before the kill');
      const t0 = performance.now();
      await holder.kill9();
      for (let id = 2; !(await callTool(session, id, 'list_dialogs', { limit: 1 })); id++) {
        if (performance.now() - t0 > 30_000) throw new Error('no good call within 30 s of killing the replica');
        await new Promise((r) => setTimeout(r, 20));
      }
      times.push(performance.now() - t0);
      const fresh = await start(`bench-f${round}`);
      replicas.push(fresh);
      balancer.backends.splice(0, balancer.backends.length, other.port, fresh.port);
      [holder, other] = [other, fresh];
    }
  } finally {
    await host.stop();
    await balancer.stop();
    await sandbox.stop();
  }
  process.stdout.write(
    `kill -9 of the device's replica → first good call via the other (real engine, default backoff, ${FAILOVERS} rounds): ` +
      `p50 ${ms(percentile(times, 50))}, max ${ms(Math.max(...times))}\n`,
  );
}


/**
 * `perUser` calls per user, all at once, each on the user's session; checks each answer names the right user
 * and nonce. A call whose connection was reset before any device saw its nonce is sent once more (it never
 * reached the relay's routing); anything else that fails counts as lost.
 */
async function wave(users: User[], sessions: Session[], perUser: number, delivered: Set<string>) {
  const latencies: number[] = [];
  const reasons = new Map<string, number>();
  let lost = 0;
  let misrouted = 0;
  let resent = 0;
  const lose = (reason: string) => {
    lost++;
    reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
  };
  const once = async (session: Session, userId: string, id: number) => {
    const nonce = randomBytes(6).toString('hex');
    const t0 = performance.now();
    for (let attempt = 1; ; attempt++) {
      try {
        const res = await fetch(session.url, {
          method: 'POST',
          headers: session.headers,
          body: JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'list_dialogs', arguments: { limit: 1, query: nonce } } }),
        });
        const text = await res.text();
        const title = (JSON.parse(text) as { result?: { structuredContent?: { dialogs?: Array<{ title: string }> } } }).result
          ?.structuredContent?.dialogs?.[0]?.title;
        latencies.push(performance.now() - t0);
        if (title === undefined) lose(`HTTP ${res.status}: ${text.slice(0, 160)}`);
        else if (title !== `${userId}|${nonce}`) misrouted++;
        return;
      } catch (err) {
        if (attempt === 1 && !delivered.has(nonce)) {
          resent++;
          continue;
        }
        lose((err as Error).message);
        return;
      }
    }
  };
  const t0 = performance.now();
  await Promise.all(users.flatMap((u, i) => Array.from({ length: perUser }, (_, k) => once(sessions[i]!, u.id, 1_000 + k))));
  return { latencies, lost, misrouted, resent, reasons, wallMs: performance.now() - t0 };
}
