/**
 * Vitest global set-up: makes sure `dist/` (the compiled build the `bin` entries run) is not older than the
 * sources, so tests of the built CLIs never run yesterday's build. `npm test` builds first and this finds it
 * fresh; a single test file run after an edit rebuilds here (tsc -p tsconfig.build.json, a few seconds).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '../..');
/** The file the `tg-bridge` bin loads; tsc rewrites every output on each build. */
const builtEntry = join(root, 'dist/bridge/cli/main.js');

function newestMtime(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const name of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, name)));
  return newest;
}

/** Rebuilds `dist/` when it is missing or older than `bridge/`, `relay/`, package.json or the tsconfigs. */
export default function setup(): void {
  const sources = ['bridge', 'relay', 'package.json', 'tsconfig.json', 'tsconfig.build.json'].map((p) =>
    join(root, p),
  );
  if (existsSync(builtEntry) && statSync(builtEntry).mtimeMs >= Math.max(...sources.map(newestMtime))) return;
  execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
    cwd: root,
    stdio: 'inherit',
  });
}
