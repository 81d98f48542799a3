/** `npm run demo` as a child process, and waiting for what it prints (the demo's end-to-end tests). */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';

/** Starts `scripts/demo.ts` with `args`; `output()` is everything printed so far (stdout and stderr). */
export function startDemo(args: string[]): { child: ChildProcessWithoutNullStreams; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/demo.ts', ...args], {
    env: { ...process.env, FORCE_COLOR: '0' },
  });
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  child.stderr.on('data', (d) => {
    out += d;
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

/** Resolves with the first match of `re` in `output()`; throws with the output after `ms`. */
export async function waitFor(output: () => string, re: RegExp, ms = 30_000): Promise<RegExpMatchArray> {
  const t0 = Date.now();
  for (;;) {
    const m = output().match(re);
    if (m) return m;
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${re}; output so far:\n${output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
