/**
 * The relay under load (issue 12), run from the compiled build in its own process so its CPU time and memory
 * are its own: 500 connected devices (stub gateways: RelayLinks that echo who they are) and 500 MCP sessions.
 *
 * Prints:
 * - relay RSS per idle connected device: (RSS with 500 idle devices − RSS with none) / 500, after a GC;
 * - 5,000 concurrent `tools/call` over the 500 devices (10 per user at once): lost and misrouted answers (each
 *   call carries a nonce the device must echo under its own user id) and latency p50/p99;
 * - relay CPU (user + system) per forwarded call in that wave, for the JSON path (no progress token, what
 *   clients send by default) and, side by side, the SSE path (with a progress token).
 *
 * Every device and client dials from 127.0.0.1, where in production each would have its own address: the
 * relay runs with per-address and total connection caps raised to fit the simulated crowd (the defaults,
 * 256 per address and 4,096 in all, would refuse most of it; a refused device redials with backoff and the
 * run never ends). Each step has a time limit (BENCH_RELAY_LOAD_STEP_MS, default 120 s): a step that does not
 * finish in time ends the run with an error naming it, instead of hanging.
 *
 * Env: BENCH_DEVICES (default 500), BENCH_CALLS_PER_DEVICE (default 10), BENCH_JSON_ONLY (skip the SSE wave),
 * BENCH_RELAY_PROF=<dir> (write a CPU profile of the relay during each measured wave there), BENCH_RELAY_MODULE
 * (file URL of another build's relay/index.js, e.g. an older commit's, to compare under the same load).
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { openSession, type Session } from './rawMcp.js';
import { connectStubDevice } from './stubDevice.js';
import type { RelayLink } from '../bridge/link/relayLink.js';
import { ms, percentile } from './stats.js';

const DEVICES = Number(process.env.BENCH_DEVICES ?? 500);
const CALLS_PER_DEVICE = Number(process.env.BENCH_CALLS_PER_DEVICE ?? 10);
const STEP_MS = Number(process.env.BENCH_RELAY_LOAD_STEP_MS ?? 120_000);
const root = join(import.meta.dirname, '..');

/** The relay process: starts the compiled relay and answers `rss` / `cpu` lines on stdin with JSON lines. */
const CHILD = `
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
const { startRelay } = await import(process.env.RELAY_MODULE);
const users = JSON.parse(readFileSync(process.env.RELAY_USERS, 'utf8'));
const crowd = Number(process.env.RELAY_CONNECTIONS);
const relay = await startRelay({ users, connectionLimits: { perAddress: crowd, total: crowd } });
const say = (o) => process.stdout.write(JSON.stringify(o) + '\\n');
// BENCH_RELAY_PROF=<dir>: a CPU profile of each measured wave (from one 'cpu' line to the next).
const { Session } = await import('node:inspector/promises');
let profiler;
let waves = 0;
async function profileWave() {
  if (!process.env.RELAY_PROF_DIR) return;
  if (!profiler) {
    profiler = new Session();
    profiler.connect();
    await profiler.post('Profiler.enable');
    await profiler.post('Profiler.start');
    return;
  }
  const { profile } = await profiler.post('Profiler.stop');
  const { mkdirSync, writeFileSync } = await import('node:fs');
  mkdirSync(process.env.RELAY_PROF_DIR, { recursive: true });
  writeFileSync(\`\${process.env.RELAY_PROF_DIR}/wave-\${++waves}.cpuprofile\`, JSON.stringify(profile));
  profiler.disconnect();
  profiler = undefined;
}
say({ mcpUrl: relay.mcpUrl, bridgeUrl: relay.bridgeUrl });
for await (const line of createInterface({ input: process.stdin })) {
  if (line === 'rss') { globalThis.gc(); globalThis.gc(); await new Promise((r) => setTimeout(r, 200)); say({ rss: process.memoryUsage().rss }); }
  else if (line === 'cpu') { await profileWave(); const u = process.cpuUsage(); say({ userUs: u.user, systemUs: u.system }); }
  else if (line === 'devices') say({ devices: relay.connectedDevices().length });
}
await relay.close();
process.exit(0);
`;

/** The relay process's CPU time so far, in µs (process.cpuUsage). */
interface Cpu {
  userUs: number;
  systemUs: number;
}

/** Nonces of every call a device received (the relay forwarded it). */
const delivered = new Set<string>();

interface User {
  id: string;
  mcpToken: string;
  bridgeToken: string;
}

/** Runs the relay load benchmark and prints its figures. */
export async function benchRelayLoad(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'tgb-relay-load-'));
  const users: User[] = Array.from({ length: DEVICES }, (_, i) => ({
    id: `u${i}`,
    mcpToken: randomBytes(24).toString('base64url'),
    bridgeToken: randomBytes(24).toString('base64url'),
  }));
  await writeFile(join(dir, 'users.json'), JSON.stringify(users), { mode: 0o600 });
  const child = spawn(process.execPath, ['--expose-gc', '--input-type=module', '-e', CHILD], {
    env: {
      ...process.env,
      RELAY_MODULE: process.env.BENCH_RELAY_MODULE ?? new URL('../dist/relay/index.js', import.meta.url).href,
      RELAY_USERS: join(dir, 'users.json'),
      ...(process.env.BENCH_RELAY_PROF ? { RELAY_PROF_DIR: process.env.BENCH_RELAY_PROF } : {}),
      // Every device socket plus every call's own connection, with room for retries.
      RELAY_CONNECTIONS: String(2 * DEVICES * (CALLS_PER_DEVICE + 1)),
    },
    cwd: root,
  });
  const relay = relayControl(child);
  const links: RelayLink[] = [];
  try {
    const { mcpUrl, bridgeUrl } = (await step('relay start', relay.next())) as { mcpUrl: string; bridgeUrl: string };
    const rssEmpty = ((await relay.ask('rss')) as { rss: number }).rss;

    await step(`${DEVICES} devices connecting`, Promise.all(
      users.map(async (u) => {
        links.push(await connectStubDevice(bridgeUrl, u.id, u.bridgeToken, delivered));
      }),
    ));
    const connected = ((await relay.ask('devices')) as { devices: number }).devices;
    await new Promise((r) => setTimeout(r, 1_000));
    const rssDevices = ((await relay.ask('rss')) as { rss: number }).rss;
    const perDeviceKiB = (rssDevices - rssEmpty) / 1024 / connected;
    process.stdout.write(
      `relay RSS: ${(rssEmpty / 2 ** 20).toFixed(1)} MiB with no device, ${(rssDevices / 2 ** 20).toFixed(1)} MiB with ${connected} idle devices → ${perDeviceKiB.toFixed(1)} KiB per idle connected device (target ≤ 50 KiB)\n`,
    );

    // 500 clients initialize at once; like real clients, one retries if its connection was reset.
    const sessions = await step(`${DEVICES} MCP sessions opening`, Promise.all(
      users.map((u) => openSession(mcpUrl, u.mcpToken).catch(() => openSession(mcpUrl, u.mcpToken))),
    ));
    await step('warm-up wave (JSON)', wave(users, sessions, 1, false)); // warm-up: JIT, connection pools
    await step('warm-up wave (SSE)', wave(users, sessions, 1, true));
    for (const progress of process.env.BENCH_JSON_ONLY ? [false] : [false, true]) {
      // Let the relay close every idle keep-alive socket (Node's 5 s keepAliveTimeout) and the client see it
      // close, before the wave: reusing a socket the server is closing fails the request in the client
      // (ECONNRESET), which would count as lost though the relay never saw it. Each call then opens its own
      // connection, as 5,000 distinct clients would; the relay's CPU per call includes accepting it.
      await new Promise((r) => setTimeout(r, 6_000));
      const cpu0 = (await relay.ask('cpu')) as Cpu;
      const r = await step(`${progress ? 'SSE' : 'JSON'} wave`, wave(users, sessions, CALLS_PER_DEVICE, progress));
      const cpu1 = (await relay.ask('cpu')) as Cpu;
      const total = users.length * CALLS_PER_DEVICE;
      const perCall = (us: number) => (us / 1000 / total).toFixed(3);
      process.stdout.write(
        `${total.toLocaleString('en')} concurrent calls over ${users.length} devices, ${progress ? 'SSE path (progress token)' : 'JSON path (no progress token)'}: ` +
          `${r.lost} lost, ${r.misrouted} misrouted (${r.resent} resent after a connection reset before delivery); p50 ${ms(percentile(r.latencies, 50))}, p99 ${ms(percentile(r.latencies, 99))}, wall ${ms(r.wallMs)}; ` +
          `relay CPU ${perCall(cpu1.userUs + cpu1.systemUs - cpu0.userUs - cpu0.systemUs)} ms per forwarded call${progress ? '' : ' (target ≤ 0.4 ms)'} ` +
          `(user ${perCall(cpu1.userUs - cpu0.userUs)}, system ${perCall(cpu1.systemUs - cpu0.systemUs)})\n`,
      );
      for (const [reason, n] of r.reasons) process.stdout.write(`  lost ×${n}: ${reason}\n`);
    }
  } finally {
    await Promise.all(links.map((l) => l.stop()));
    child.stdin.end();
    const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
    if (child.exitCode === null && child.signalCode === null) await new Promise((r) => child.once('close', r));
    clearTimeout(kill);
    await rm(dir, { recursive: true, force: true });
  }
}

/** Resolves with `work`, or rejects naming `what` when it takes longer than STEP_MS. */
async function step<T>(what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`relay load bench: "${what}" did not finish within ${STEP_MS / 1000} s`)), STEP_MS);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}


/** `perUser` calls per user, all at once; checks each answer names the right user and nonce. */
async function wave(users: User[], sessions: Session[], perUser: number, progress: boolean) {
  const latencies: number[] = [];
  let lost = 0;
  let misrouted = 0;
  let resent = 0;
  const reasons = new Map<string, number>();
  const lose = (reason: string) => {
    lost++;
    reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
  };
  const t0 = performance.now();
  await Promise.all(
    users.flatMap((u, i) =>
      Array.from({ length: perUser }, async (_, k) => {
        const nonce = randomBytes(6).toString('hex');
        const start = performance.now();
        for (let attempt = 1; ; attempt++) {
          try {
            const res = await fetch(sessions[i]!.url, {
              method: 'POST',
              headers: sessions[i]!.headers,
              body: JSON.stringify({
                jsonrpc: '2.0',
                id: k + 1,
                method: 'tools/call',
                params: {
                  name: 'list_dialogs',
                  arguments: { limit: 1, query: nonce },
                  ...(progress ? { _meta: { progressToken: `${u.id}-${k}` } } : {}),
                },
              }),
            });
            const text = await res.text();
            const json = res.headers.get('content-type')?.startsWith('text/event-stream')
              ? /^data: (.*"result".*)$/m.exec(text)?.[1]
              : text;
            const title = (
              JSON.parse(json ?? '{}') as { result?: { structuredContent?: { dialogs?: { title: string }[] } } }
            ).result?.structuredContent?.dialogs?.[0]?.title;
            latencies.push(performance.now() - start);
            if (title === undefined) lose(`HTTP ${res.status}: ${text.slice(0, 160)}`);
            else if (title !== `${u.id}|${nonce}`) misrouted++;
            return;
          } catch (err) {
            // A connection reset by the TCP stack before the relay read the request (a burst of 5,000 new
            // connections overflows the listen backlog): the device never saw it, so a client may send it
            // again. Reset after the device saw it, or twice, counts as lost.
            const cause = (err as { cause?: { code?: string } }).cause;
            if (attempt === 1 && !delivered.has(nonce)) {
              resent++;
              continue;
            }
            lose(`${(err as Error).message}${cause?.code ? ` (${cause.code})` : ''}`);
            return;
          }
        }
      }),
    ),
  );
  return { latencies, lost, misrouted, resent, reasons, wallMs: performance.now() - t0 };
}

/** Line-based JSON conversation with the relay child. */
function relayControl(child: ChildProcessWithoutNullStreams) {
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  const next = async (): Promise<unknown> => {
    const { value, done } = await lines.next();
    if (done) throw new Error(`relay process ended:\n${stderr}`);
    return JSON.parse(value as string);
  };
  return {
    next,
    ask: async (command: string) => {
      child.stdin.write(`${command}\n`);
      return next();
    },
  };
}
