/**
 * A self-hosted relay's memory at rest: `tg-relay serve` (compiled) on its embedded database (PGlite) in a new
 * data folder, then started again on the same folder, each idling 20 s with no device; bare node for scale. The
 * first start creates the folder (initdb) in a child process, so it should hold about what a restart holds.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { childRss } from './childRss.js';

const root = join(import.meta.dirname, '..');

/** Runs the relay memory benchmark and prints its lines. */
export async function benchRelayMemory(): Promise<void> {
  const dataDir = join(await mkdtemp(join(tmpdir(), 'tgr-mem-')), 'data');
  const mib = (kib: number) => `${(kib / 1024).toFixed(1)} MiB`;
  try {
    const serve = () =>
      childRss(
        process.execPath,
        [join(root, 'bin', 'tg-relay.js'), 'serve', '--data-dir', dataDir, '--port', '0', '--log-level', 'warn'],
        { DATABASE_URL: '', REDIS_URL: '' },
        /tg-bridge pair --relay http/,
      );
    const first = await serve();
    const again = await serve();
    const bare = await childRss(process.execPath, ['-e', 'console.log("ready"); setInterval(() => {}, 1000)'], {}, /ready/);
    process.stdout.write(
      `tg-relay serve on PGlite, idle, no device: first start (creates its data folder) RSS ${mib(first.settled)} settled ` +
        `(${mib(first.after2s)} 2 s after start-up); started again on that folder ${mib(again.settled)} ` +
        `(${mib(again.after2s)}); bare node ${mib(bare.settled)}\n`,
    );
  } finally {
    await rm(dirname(dataDir), { recursive: true, force: true });
  }
}
