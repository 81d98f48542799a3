/**
 * Builds the desktop app into `dist/`: the renderer (dist/renderer), the main process (dist/main/app.js, ESM,
 * dependencies left to node_modules) and the preload (dist/main/preload.cjs: CommonJS, as sandboxed preloads
 * must be, with only `electron` left external).
 * @returns the `dist` folder.
 */
import { fileURLToPath } from 'node:url';
import { buildUi } from './buildUi.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

export async function buildApp(dist = `${ROOT}dist`): Promise<string> {
  const { build } = await import('vite');
  await buildUi(`${dist}/renderer`);
  const common = { configFile: false as const, root: ROOT, logLevel: 'warn' as const };
  await build({
    ...common,
    build: {
      ssr: `${ROOT}main/app.ts`,
      outDir: `${dist}/main`,
      emptyOutDir: true,
      target: 'node22',
      rolldownOptions: { external: ['electron'], output: { format: 'es', entryFileNames: 'app.js' } },
    },
  });
  await build({
    ...common,
    build: {
      ssr: `${ROOT}main/preload.ts`,
      outDir: `${dist}/main`,
      emptyOutDir: false,
      target: 'chrome130',
      ssrEmitAssets: false,
      rolldownOptions: { external: ['electron'], output: { format: 'cjs', entryFileNames: 'preload.cjs' } },
    },
    ssr: { noExternal: true },
  });
  return dist;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  buildApp().then(
    (dir) => process.stdout.write(`app built in ${dir}\n`),
    (err: unknown) => {
      process.stderr.write(`app build failed: ${(err as Error).message}\n`);
      process.exit(1);
    },
  );
}
