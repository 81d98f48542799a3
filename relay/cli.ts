/**
 * `tg-relay` command line: `tg-relay serve --config users.json [--port 8787] [--host 127.0.0.1]`.
 * Run with `npx tsx relay/cli.ts serve ...`. Prints the MCP and bridge URLs and stops cleanly on SIGINT or
 * SIGTERM. Logs (JSON, pino) go to stderr and never contain tokens.
 *
 * Config file: `{"users": [{"id": "alice", "mcpToken": "…", "bridgeToken": "…"}]}` (tokens 16–512 visible
 * ASCII characters, all different).
 */
import { readFile, realpath } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { Command, InvalidArgumentError } from 'commander';
import pino from 'pino';
import { z } from 'zod';
import { formatZodIssues } from '../bridge/protocol/index.js';
import { type RelayUser, RelayUserSchema, startRelay } from './index.js';

/** Schema of the `--config` file. */
export const RelayConfigFile = z.strictObject({ users: z.array(RelayUserSchema).min(1) });

/**
 * Reads and validates a relay config file.
 * @returns the configured users.
 * @throws Error saying what is wrong (unreadable file, bad JSON, or each bad field — never a token's value).
 */
export async function loadRelayConfig(path: string): Promise<{ users: RelayUser[] }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read config file ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`config file ${path} is not valid JSON`);
  }
  const parsed = RelayConfigFile.safeParse(json);
  if (!parsed.success) throw new Error(`config file ${path} is invalid: ${formatZodIssues(parsed.error)}`);
  return parsed.data;
}

function parsePort(value: string): number {
  const parsed = z.coerce.number().int().min(0).max(65_535).safeParse(value);
  if (!parsed.success) throw new InvalidArgumentError('port must be an integer 0–65535');
  return parsed.data;
}

/** Builds the `tg-relay` commander program (exported for tests). */
export function buildRelayCli(): Command {
  const program = new Command('tg-relay').description(
    'Relay between MCP clients and tg-bridge devices (one device per user).',
  );
  program
    .command('serve')
    .description('Start the relay')
    .requiredOption('--config <file>', 'JSON file with {"users":[{id, mcpToken, bridgeToken}]}')
    .option('--port <port>', 'TCP port (0 = any free port)', parsePort, 8787)
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--log-level <level>', 'pino log level', 'info')
    .action(async (opts: { config: string; port: number; host: string; logLevel: string }) => {
      const { users } = await loadRelayConfig(opts.config);
      const logger = pino({ level: opts.logLevel }, pino.destination(2));
      const relay = await startRelay({ host: opts.host, port: opts.port, users, logger });
      process.stdout.write(`MCP endpoint:    ${relay.mcpUrl}\nBridge endpoint: ${relay.bridgeUrl}\n`);
      const stop = (signal: string) => {
        logger.info({ signal }, 'stopping');
        setTimeout(() => process.exit(1), 5_000).unref();
        relay.close().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
    });
  return program;
}

async function isMain(): Promise<boolean> {
  const entry = process.argv[1];
  if (entry === undefined) return false;
  try {
    return import.meta.url === pathToFileURL(await realpath(entry)).href;
  } catch {
    return false;
  }
}

if (await isMain()) {
  buildRelayCli()
    .parseAsync(process.argv)
    .catch((err: unknown) => {
      process.stderr.write(`tg-relay: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    });
}
