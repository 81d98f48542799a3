#!/usr/bin/env node
// Entry point of the `tg-relay` command: runs the compiled relay CLI (`npm run build` → dist/).
import { existsSync } from 'node:fs';

const entry = new URL('../dist/relay/cli.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('tg-relay: the compiled build is missing; run `npm run build` in the checkout first\n');
  process.exit(2);
}
const { runRelayCli } = await import(entry.href);
const code = await runRelayCli(process.argv);
if (code !== 0) process.exitCode = code;
