/**
 * Builds the renderer with Vite (`npm run build:ui`, and on demand for the demo, the tests and the bench).
 * @param outDir where to write (default `dist/renderer`); tests pass a temporary folder of their own.
 * @returns the folder holding `index.html`.
 */
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CONFIG = fileURLToPath(new URL('../renderer/vite.config.ts', import.meta.url));
const DEFAULT_OUT = fileURLToPath(new URL('../dist/renderer', import.meta.url));

export async function buildUi(outDir: string = DEFAULT_OUT): Promise<string> {
  const { build } = await import('vite');
  await build({ configFile: CONFIG, logLevel: 'warn', build: { outDir, emptyOutDir: true } });
  return outDir;
}

/** Builds into `dist/renderer` unless a build is already there. */
export async function ensureUiBuilt(): Promise<string> {
  try {
    await access(join(DEFAULT_OUT, 'index.html'));
    return DEFAULT_OUT;
  } catch {
    return buildUi(DEFAULT_OUT);
  }
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
