/**
 * Sandbox throughput: how many messages per second the local Telegram sustains for unmodified gramjs clients,
 * so it is never the bottleneck of the bridge benchmarks. Several sessions of the account send in parallel
 * (every send is also pushed to the other sessions, as Telegram does) and read history pages; then one session
 * sends one message at a time (round-trip bound: how the bridge uses it).
 *
 * Env: BENCH_SANDBOX_CLIENTS (sessions, default 4), BENCH_SANDBOX_MESSAGES (sends per run, default 2000),
 * BENCH_SANDBOX_INFLIGHT (sends in flight per client, default 4).
 */
import { Api, type TelegramClient } from 'telegram';
import { createSandboxClient, startSandbox } from '../sandbox/index.js';

const CLIENTS = Number(process.env.BENCH_SANDBOX_CLIENTS ?? 4);
const MESSAGES = Number(process.env.BENCH_SANDBOX_MESSAGES ?? 2000);
const INFLIGHT = Number(process.env.BENCH_SANDBOX_INFLIGHT ?? 4);

/** What {@link benchSandbox} measured (per second, wall clock). */
export interface SandboxBenchResult {
  /** sendMessage calls answered per second, all clients in parallel. */
  parallelSendsPerSecond: number;
  /** sendMessage calls answered per second, one client, one at a time. */
  serialSendsPerSecond: number;
  /** getHistory (limit 100) calls answered per second, all clients in parallel (× 100 = messages read/s). */
  historyReadsPerSecond: number;
}

/** Runs `total` calls of `call` across `workers` loops with `window` calls in flight each; returns calls/s. */
async function throughput(
  total: number,
  workers: number,
  window: number,
  call: (worker: number, i: number) => Promise<unknown>,
): Promise<number> {
  let next = 0;
  const t0 = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: workers * window }, async (_, lane) => {
      const worker = lane % workers;
      for (let i = next++; i < total; i = next++) await call(worker, i);
    }),
  );
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return total / seconds;
}

/** Runs the sandbox throughput benchmark and prints msgs/s. */
export async function benchSandbox(): Promise<SandboxBenchResult> {
  const sandbox = await startSandbox();
  const clients: TelegramClient[] = [];
  try {
    for (let i = 0; i < CLIENTS; i++) clients.push(createSandboxClient(sandbox));
    await Promise.all(clients.map((c) => c.connect()));
    const peers = await Promise.all(clients.map((c) => c.getInputEntity('@priya_raman')));
    const send = (worker: number, i: number) =>
      clients[worker]!.invoke(new Api.messages.SendMessage({ peer: peers[worker]!, message: `bench message ${i}` }));
    const read = (worker: number) =>
      clients[worker]!.invoke(
        new Api.messages.GetHistory({
          peer: peers[worker]!,
          offsetId: 0,
          offsetDate: 0,
          addOffset: 0,
          limit: 100,
          maxId: 0,
          minId: 0,
        }),
      );

    await throughput(CLIENTS * 20, CLIENTS, INFLIGHT, send); // warm-up
    const parallelSendsPerSecond = await throughput(MESSAGES, CLIENTS, INFLIGHT, send);
    const historyReadsPerSecond = await throughput(Math.ceil(MESSAGES / 10), CLIENTS, INFLIGHT, (w) => read(w));
    // One session alone, as the bridge uses the account: no other session to push each message to.
    await Promise.all(clients.splice(1).map((c) => c.destroy()));
    const serialSendsPerSecond = await throughput(Math.ceil(MESSAGES / 2), 1, 1, send);

    const rate = (v: number) => `${Math.round(v).toLocaleString('en-US').padStart(7)}/s`;
    const row = (name: string, value: number, unit: string, note: string) =>
      `  ${name.padEnd(40)} ${rate(value)} ${unit}  (${note})`;
    process.stdout.write(
      [
        'sandbox throughput (gramjs clients in this process, one account; gramjs TL coding dominates both sides):',
        row(
          `sendMessage, ${CLIENTS} sessions × ${INFLIGHT} in flight`,
          parallelSendsPerSecond,
          'msgs',
          `each pushed to the other ${CLIENTS - 1} sessions`,
        ),
        row(
          `getHistory limit 100, ${CLIENTS} sessions`,
          historyReadsPerSecond * 100,
          'msgs',
          `${Math.round(historyReadsPerSecond)} pages/s`,
        ),
        row('sendMessage, 1 session, one at a time', serialSendsPerSecond, 'msgs', 'round-trip bound, as the bridge sends'),
        '',
      ].join('\n'),
    );
    return { parallelSendsPerSecond, serialSendsPerSecond, historyReadsPerSecond };
  } finally {
    await Promise.all(clients.map((c) => c.destroy()));
    await sandbox.stop();
  }
}
