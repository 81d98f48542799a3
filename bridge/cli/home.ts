/** Where the headless bridge keeps its files. */
import { homedir } from 'node:os';
import { join } from 'node:path';

/** Default data directory: `$TG_BRIDGE_HOME` or `~/.tg-bridge`. */
export function defaultHome(): string {
  return process.env.TG_BRIDGE_HOME || join(homedir(), '.tg-bridge');
}

/** Default audit chain path inside a data directory. */
export function auditPathIn(home: string): string {
  return join(home, 'audit.jsonl');
}
