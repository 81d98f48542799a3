/**
 * `npm start [-- --demo]`: builds the app (scripts/buildApp.ts) and runs it with Electron. Electron's binary
 * is not a dependency of this repository's tests; on a desktop machine install it with `npm i -D electron`
 * (its postinstall downloads the binary), or point ELECTRON_PATH at an installed Electron.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { buildApp } from './buildApp.js';

function electronBinary(): string {
  if (process.env.ELECTRON_PATH) return process.env.ELECTRON_PATH;
  try {
    // The electron package's main export is the path of its downloaded binary; it throws when there is none.
    return createRequire(import.meta.url)('electron') as string;
  } catch {
    throw new Error(
      "Electron's binary is not on this machine. Run `node node_modules/electron/install.js` (it downloads it) or set " +
        'ELECTRON_PATH. Without Electron, run the same UI headless: `npm run demo -- --serve --ui`.',
    );
  }
}

async function main(): Promise<number> {
  const binary = electronBinary();
  const dist = await buildApp();
  const child = spawn(binary, [`${dist}/main/app.js`, ...process.argv.slice(2)], { stdio: 'inherit' });
  return new Promise((resolve) => child.on('close', (code) => resolve(code ?? 1)));
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(1);
  },
);
