/**
 * Builds the renderer with Vite (`npm run build:ui`, `npm run build`; the demo and the tests' global set-up
 * rebuild `dist/renderer` only when stale; browser tests and the bench build their own copy).
 * @param outDir where to write (default `dist/renderer`); tests pass a temporary folder of their own.
 * @returns the folder holding `index.html`.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CONFIG = fileURLToPath(new URL('../renderer/vite.config.ts', import.meta.url));
const DEFAULT_OUT = fileURLToPath(new URL('../dist/renderer', import.meta.url));

export async function buildUi(outDir: string = DEFAULT_OUT): Promise<string> {
  const { build } = await import('vite');
  await build({ configFile: CONFIG, logLevel: 'warn', build: { outDir, emptyOutDir: true } });
  return outDir;
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Newest modification time (ms) of a file or anything under a folder. */
export function newestMtime(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const name of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, name)));
  return newest;
}

/**
 * Builds into `dist/renderer` only when it is missing or older than its sources (renderer/, bridge/protocol/),
 * so concurrent users of a fresh build (the demo, the package tests) never see it rebuilt under them.
 * @returns the folder holding `index.html`.
 */
export async function ensureUiBuilt(): Promise<string> {
  const index = join(DEFAULT_OUT, 'index.html');
  const sources = Math.max(...['renderer', 'bridge/protocol'].map((p) => newestMtime(join(ROOT, p))));
  if (existsSync(index) && statSync(index).mtimeMs >= sources) return DEFAULT_OUT;
  return buildUi(DEFAULT_OUT);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  buildUi().then(
    (dir) => process.stdout.write(`UI built in ${dir}\n`),
    (err: unknown) => {
      process.stderr.write(`UI build failed: ${(err as Error).message}\n`);
      process.exit(1);
    },
  );
}
