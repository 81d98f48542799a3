#!/usr/bin/env node
// Entry point of the `tg-relay` command: registers the TypeScript loader, then runs the relay CLI.
import { register } from 'tsx/esm/api';

register();
const { runRelayCli } = await import('../relay/cli.ts');
const code = await runRelayCli(process.argv);
if (code !== 0) process.exitCode = code;
