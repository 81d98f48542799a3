#!/usr/bin/env node
// Entry point of the `tg-bridge` command: runs the compiled CLI (`npm run build` → dist/).
import { existsSync } from 'node:fs';

const entry = new URL('../dist/bridge/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('tg-bridge: the compiled build is missing; run `npm run build` in the checkout first\n');
  process.exit(2);
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv);
