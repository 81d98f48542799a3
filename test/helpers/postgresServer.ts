/**
 * A real PostgreSQL for tests, started on 127.0.0.1 on a free port from the Debian `postgresql` binaries
 * (`.ci/run` installs them) in a temporary data folder, and stopped after. PostgreSQL refuses to run as root:
 * as root (CI) it runs as the `postgres` user through `runuser`. When the binaries are absent (a developer
 * machine without the package) {@link startPostgres} returns the reason instead, and tests skip saying so.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chmod, chown, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A running PostgreSQL. */
export interface PostgresServer {
  /** `postgres://relay@127.0.0.1:PORT/postgres` (trust auth on loopback only). */
  url: string;
  /** The data folder (for scanning its files). */
  dataDir: string;
  stop(): Promise<void>;
}

/** Folder holding `initdb` and `pg_ctl`: PATH, else the newest /usr/lib/postgresql/N/bin. */
function binDir(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl'))) return dir;
  }
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], 'bin') : undefined;
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/**
 * Starts PostgreSQL. @returns the server, or a string saying why it cannot run here (binaries absent).
 * @throws when the binaries exist but the server fails to start (that is a real failure, not a skip).
 */
export async function startPostgres(): Promise<PostgresServer | string> {
  const bin = binDir();
  if (!bin) return 'PostgreSQL binaries (initdb, pg_ctl) not found; install the Debian postgresql package';
  const asRoot = process.getuid?.() === 0;
  const base = await mkdtemp(join(tmpdir(), 'tgr-pg-'));
  const dataDir = join(base, 'data');
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const uid = Number(stdout.trim());
    const gid = Number((await run('id', ['-g', 'postgres'])).stdout.trim());
    await chown(base, uid, gid);
  }
  await chmod(base, 0o700);
  const as = (cmd: string, args: string[]) =>
    asRoot ? run('runuser', ['-u', 'postgres', '--', join(bin, cmd), ...args]) : run(join(bin, cmd), args);
  await as('initdb', ['-D', dataDir, '-U', 'relay', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  const port = await freePort();
  await as('pg_ctl', [
    '-D', dataDir, '-w', '-t', '60', '-l', join(base, 'server.log'),
    '-o', `-h 127.0.0.1 -p ${port} -k ${base} -c fsync=off`,
    'start',
  ]);
  return {
    url: `postgres://relay@127.0.0.1:${port}/postgres`,
    dataDir,
    async stop() {
      await as('pg_ctl', ['-D', dataDir, '-w', '-m', 'fast', 'stop']).catch(() => undefined);
      await rm(base, { recursive: true, force: true });
    },
  };
}
