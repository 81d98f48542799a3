/**
 * Vitest global set-up: makes sure `dist/` (the compiled build the `bin` entries run) is not older than the
 * sources, so tests of the built CLIs never run yesterday's build. `npm test` builds first and this finds it
 * fresh; a single test file run after an edit rebuilds here (tsc -p tsconfig.build.json, a few seconds).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ensureUiBuilt, newestMtime } from '../../scripts/buildUi.js';

const root = join(import.meta.dirname, '../..');
/** The file the `tg-bridge` bin loads; tsc rewrites every output on each build. */
const builtEntry = join(root, 'dist/bridge/cli/main.js');

/**
 * Rebuilds `dist/` when it is missing or older than `bridge/`, `relay/`, package.json or the tsconfigs, and the
 * UI in `dist/renderer` when it is missing or older than `renderer/` (the demo and the package serve it).
 */
export default async function setup(): Promise<void> {
  await ensureUiBuilt();
  const sources = ['bridge', 'relay', 'package.json', 'tsconfig.json', 'tsconfig.build.json'].map((p) =>
    join(root, p),
  );
  if (existsSync(builtEntry) && statSync(builtEntry).mtimeMs >= Math.max(...sources.map(newestMtime))) return;
  execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
    cwd: root,
    stdio: 'inherit',
  });
}
