#!/usr/bin/env -S node --max-semi-space-size=1
// Entry point of the `tg-bridge` command: runs the compiled CLI (`npm run build` → dist/).
// --max-semi-space-size=1 (MiB): a small young generation, so the engine idling for hours holds ~75 MiB rather
// than ~95 (gramjs's start-up garbage otherwise leaves V8's young generation at its 16 MiB × 2 maximum); calls
// stay cheap (a scavenge of 1 MiB takes well under a millisecond). `env -S` splits the flags (coreutils ≥ 8.30,
// macOS, BSD; npm's Windows shims read it too); `node bin/tg-bridge.js` also works, with default heap sizes.
import { existsSync } from 'node:fs';

const entry = new URL('../dist/bridge/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('tg-bridge: the compiled build is missing; run `npm run build` in the checkout first\n');
  process.exit(2);
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv);
