#!/usr/bin/env node
// Entry point of the `tg-relay` command: registers the TypeScript loader, then runs the relay CLI.
import { register } from 'tsx/esm/api';

register();
const { buildRelayCli } = await import('../relay/cli.ts');
await buildRelayCli()
  .parseAsync(process.argv)
  .catch((err) => {
    process.stderr.write(`tg-relay: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
