/** Resident memory of a child process, read from /proc (Linux), for the memory benches. */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';

/**
 * Starts `command args`, waits for `ready` on stdout, then reads VmRSS (KiB) from /proc every second for 20 s of
 * idleness and stops it. @returns the RSS 2 s after ready, and the settled RSS (the lowest seen: what the
 * process holds once V8's memory reducer has run, as it stays for hours of idling).
 */
export async function childRss(
  command: string,
  args: string[],
  env: Record<string, string>,
  ready: RegExp,
): Promise<{ after2s: number; settled: number }> {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  child.stderr.on('data', (d) => {
    out += d;
  });
  try {
    const t0 = Date.now();
    while (!ready.test(out)) {
      if (Date.now() - t0 > 30_000 || child.exitCode !== null) throw new Error(`child did not get ready:\n${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const samples: number[] = [];
    for (let second = 1; second <= 20; second++) {
      await new Promise((r) => setTimeout(r, 1_000));
      const m = /VmRSS:\s+(\d+) kB/.exec(await readFile(`/proc/${child.pid}/status`, 'utf8'));
      if (!m) throw new Error('no VmRSS in /proc status');
      samples.push(Number(m[1]));
    }
    return { after2s: samples[1]!, settled: Math.min(...samples) };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('close', r));
  }
}
