/**
 * A real Redis for tests: the Debian `redis-server` (`.ci/run` installs it) started on 127.0.0.1 on a free
 * port, without persistence (`--save '' --appendonly no`), in a temporary folder, and stopped after.
 * Unlike PostgreSQL's helper this never skips: the relay replica tests are acceptance tests of issue 11, so a
 * missing binary is a failure that says how to install it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './postgresServer.js';

/** A running Redis. */
export interface RedisServer {
  /** `redis://127.0.0.1:PORT`. */
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** `redis-server` on PATH, else /usr/bin/redis-server. */
function redisBinary(): string | undefined {
  for (const dir of [...(process.env.PATH ?? '').split(':'), '/usr/bin', '/usr/sbin']) {
    if (dir && existsSync(join(dir, 'redis-server'))) return join(dir, 'redis-server');
  }
  return undefined;
}

/**
 * Starts Redis and resolves once it accepts connections.
 * @throws Error when `redis-server` is not installed (saying which package to install) or fails to start.
 */
export async function startRedis(): Promise<RedisServer> {
  const bin = redisBinary();
  if (!bin) throw new Error('redis-server not found: install the Debian redis-server package (apt-get install redis-server); .ci/run does');
  const dir = await mkdtemp(join(tmpdir(), 'tgr-redis-'));
  const port = await freePort();
  const child: ChildProcess = spawn(
    bin,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--protected-mode', 'yes'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server did not start within 10 s:\n${output}`)), 10_000);
    const onData = (d: Buffer) => {
      output += d.toString('utf8');
      if (/Ready to accept connections/.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with ${code}:\n${output}`));
    });
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
