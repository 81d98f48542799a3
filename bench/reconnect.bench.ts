/**
 * Relay restart → first good call (issue 12): the relay is stopped and started again on the same port, back to
 * back (restarts less than a minute apart, the case that used to cost 2–7 s); from the moment it listens
 * again, an MCP client opens a session and calls list_dialogs until one succeeds through the re-dialled
 * bridge (real engine, sandbox gateway, default link backoff). Prints p50/p90/max over the restarts.
 *
 * Env: BENCH_RESTARTS (default 10).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBridgeHost } from '../bridge/host/bridgeHost.js';
import { type Relay, startRelay } from '../relay/index.js';
import { startSandbox } from '../sandbox/index.js';
import { sandboxGateway } from '../test/helpers/sandboxGateway.js';
import { callTool, openSession, type Session } from './rawMcp.js';
import { ms, percentile } from './stats.js';
import { personApproves } from '../test/helpers/clientConsent.js';

const RESTARTS = Number(process.env.BENCH_RESTARTS ?? 10);

/** Runs the restart benchmark and prints its figures. */
export async function benchReconnect(): Promise<void> {
  const home = await mkdtemp(join(tmpdir(), 'tgb-reconnect-bench-'));
  const user = {
    id: 'bench',
    mcpToken: randomBytes(24).toString('base64url'),
    bridgeToken: randomBytes(24).toString('base64url'),
  };
  const sandbox = await startSandbox();
  let relay: Relay = await startRelay({ users: [user] });
  const port = relay.port;
  const host = await startBridgeHost({
    clientConsent: personApproves(),
    relayUrl: relay.url,
    bridgeToken: user.bridgeToken,
    auditPath: join(home, 'audit.jsonl'),
    gateway: sandboxGateway(sandbox),
  });
  const firstRedials: number[] = [];
  host.link?.on('status', (s) => {
    if (s.state === 'waiting' && s.attempt === 0) firstRedials.push(s.retryInMs);
  });
  try {
    await host.waitConnected();
    // One good call first: the relay has welcomed the device and gramjs is connected to the sandbox, so the
    // restarts measure the relay link alone.
    const warm = await openSession(relay.mcpUrl, user.mcpToken);
    while (!(await callTool(warm, 0, 'list_dialogs', { limit: 5 }))) await new Promise((r) => setTimeout(r, 20));
    const took: number[] = [];
    for (let r = 0; r < RESTARTS; r++) {
      await relay.close();
      relay = await startRelay({ users: [user], port });
      const t0 = performance.now();
      // A client retries: a pooled keep-alive socket to the old process fails first; the session is new.
      let session: Session | null = null;
      for (let id = 1; ; id++) {
        session ??= await openSession(relay.mcpUrl, user.mcpToken).catch(() => null);
        if (session && (await callTool(session, id, 'list_dialogs', { limit: 5 }))) break;
        if (performance.now() - t0 > 30_000) throw new Error('no good call within 30 s of a relay restart');
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      took.push(performance.now() - t0);
    }
    process.stdout.write(
      `relay restart → first good call, ${RESTARTS} back-to-back restarts: p50 ${ms(percentile(took, 50))}, ` +
        `p90 ${ms(percentile(took, 90))}, max ${ms(Math.max(...took))} (target p50 ≤ 500 ms); ` +
        `each: ${took.map((t) => Math.round(t)).join(', ')} ms; quick first redials after ${firstRedials.join(', ')} ms\n`,
    );
  } finally {
    await host.stop();
    await relay.close();
    await sandbox.stop();
    await rm(home, { recursive: true, force: true });
  }
}
