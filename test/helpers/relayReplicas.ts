/**
 * Relay replica processes for tests and benches (issue 11): `tg-relay serve` from the compiled build (`bin/`
 * → `dist/`), each with the same PostgreSQL and Redis, started on 127.0.0.1 with a free port, and stopped
 * (SIGTERM) or killed (SIGKILL, a crashed replica) after.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { join } from 'node:path';

const root = join(import.meta.dirname, '../..');

/** `/healthz` of a replica. */
export interface ReplicaHealth {
  ok: boolean;
  replica: string;
  redis: string;
  db: string;
  devices: number;
  remoteCallsWaiting: number;
}

/** A running replica process. */
export interface ReplicaProcess {
  id: string;
  /** `http://127.0.0.1:PORT`. */
  url: string;
  port: number;
  mcpUrl: string;
  /** What the process wrote to stderr (its JSON logs), for failure messages. */
  logs(): string;
  health(): Promise<ReplicaHealth>;
  /** SIGKILL: the replica dies without closing anything. Resolves once it exited. */
  kill9(): Promise<void>;
  /** SIGTERM and wait for the exit code. */
  stop(): Promise<number | null>;
}

/** Options of {@link startReplica}. */
export interface ReplicaProcessOptions {
  id: string;
  /** `--config` file with the users and their static tokens. */
  configPath: string;
  databaseUrl: string;
  redisUrl: string;
  /** `--public-url`: the one address of all replicas (a balancer's), as in a deployment. */
  publicUrl?: string;
  /** Extra environment (e.g. NODE_OPTIONS for profiling). */
  env?: NodeJS.ProcessEnv;
  logLevel?: string;
}

/** Starts `tg-relay serve` as replica `id`; resolves once it printed its endpoints. @throws when it fails to start. */
export async function startReplica(options: ReplicaProcessOptions): Promise<ReplicaProcess> {
  const child: ChildProcessWithoutNullStreams = spawn(
    process.execPath,
    [
      'bin/tg-relay.js', 'serve', '--port', '0',
      '--config', options.configPath,
      '--database-url', options.databaseUrl,
      '--redis-url', options.redisUrl,
      '--replica-id', options.id,
      '--log-level', options.logLevel ?? 'info',
      ...(options.publicUrl ? ['--public-url', options.publicUrl] : []),
    ],
    { cwd: root, env: { ...process.env, DATABASE_URL: '', REDIS_URL: '', ...options.env } },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString('utf8');
    if (err.length > 200_000) err = err.slice(-100_000);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + 30_000;
  while (!/Bridge endpoint:/.test(out)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`replica ${options.id} did not start:\n${out}\n${err.slice(-4_000)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  // Its own address (the bridge endpoint is always the listening one; the MCP URL is the public one).
  const url = /Bridge endpoint:\s+ws:\/\/(\S+)\/bridge/.exec(out)![1]!.replace(/^/, 'http://');
  const mcpUrl = `${url}/mcp`;
  return {
    id: options.id,
    url,
    port: Number(new URL(url).port),
    mcpUrl,
    logs: () => err,
    async health() {
      return (await (await fetch(`${url}/healthz`)).json()) as ReplicaHealth;
    },
    async kill9() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** Polls `check` every 50 ms until it returns true; @throws with `what` after `timeoutMs`. */
export async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
