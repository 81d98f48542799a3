/**
 * Builds the renderer with Vite (`npm run build:ui`; the demo, the tests and the bench build their own copy).
 * @param outDir where to write (default `dist/renderer`); tests pass a temporary folder of their own.
 * @returns the folder holding `index.html`.
 */
import { fileURLToPath } from 'node:url';

const CONFIG = fileURLToPath(new URL('../renderer/vite.config.ts', import.meta.url));
const DEFAULT_OUT = fileURLToPath(new URL('../dist/renderer', import.meta.url));

export async function buildUi(outDir: string = DEFAULT_OUT): Promise<string> {
  const { build } = await import('vite');
  await build({ configFile: CONFIG, logLevel: 'warn', build: { outDir, emptyOutDir: true } });
  return outDir;
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
